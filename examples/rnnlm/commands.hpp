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

// A trained model. `rnnlm train --out DIR` writes DIR as a checkpoint (xgrad::io::checkpoint_dir:
// DIR/current -> DIR/gen-N/ holding model.safetensors (weights, config and the vocabulary's
// checksum in its metadata), vocab.txt, optimizer.safetensors, trainer.safetensors and MANIFEST).
// A plain folder holding model.safetensors and vocab.txt (weights exported from PyTorch, say)
// is read too.
struct model_files
{
    std::string folder;
    std::string weights() const { return folder + "/model.safetensors"; }
    std::string vocab() const { return folder + "/vocab.txt"; }
    std::string optimizer() const { return folder + "/optimizer.safetensors"; }
    std::string trainer() const { return folder + "/trainer.safetensors"; }
};

// The files of the model at `path`: the checkpoint's current generation, verified against its
// manifest (with the optimizer and trainer files required when `for_resume`), or `path` itself
// when it is a plain folder. Throws xgrad::io_error saying what is missing or damaged.
model_files find_model(const std::string& path, bool for_resume = false);

// Loads a model and its vocabulary; throws std::runtime_error (or xgrad::error) with the reason
// when a file is missing or does not match (a vocabulary other than the one the model was
// trained with is refused by its checksum).
std::unique_ptr<Model> load_model(const model_files& files, text::vocabulary& vocab);

// The default corpus shipped with the repository.
std::string default_corpus();

} // namespace rnnlm
