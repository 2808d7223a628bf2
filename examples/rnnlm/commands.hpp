// The rnnlm program's subcommands and the pieces they share.
#pragma once

#include <string>
#include <vector>

#include "examples/rnnlm/model.hpp"
#include "examples/text/vocabulary.hpp"

namespace rnnlm
{

int train_command(int argc, char** argv);
int score_command(int argc, char** argv);
int generate_command(int argc, char** argv);

// Sentences of a corpus file (text or CSV "body" column), tokenised; at most `limit` (0: all).
std::vector<std::vector<std::string>> load_sentences(const std::string& path, std::size_t limit);

// A trained model directory: model.safetensors (weights + config in its metadata), vocab.txt,
// and for resuming optimizer.safetensors and trainer.safetensors.
struct model_dir
{
    std::string path;
    std::string weights() const { return path + "/model.safetensors"; }
    std::string vocab() const { return path + "/vocab.txt"; }
    std::string optimizer() const { return path + "/optimizer.safetensors"; }
    std::string trainer() const { return path + "/trainer.safetensors"; }
};

// Loads the model and vocabulary of a directory; throws std::runtime_error (or xgrad::error)
// with the reason when a file is missing or does not match.
std::unique_ptr<Model> load_model(const model_dir& dir, text::vocabulary& vocab);

// The default corpus shipped with the repository.
std::string default_corpus();

} // namespace rnnlm
