// The tagger's subcommands and what they share: reading a corpus by format, loading a trained
// model from a checkpoint folder.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "examples/tagger/model.hpp"

namespace tagger
{

int train_command(int argc, char** argv);
int tag_command(int argc, char** argv);
int evaluate_command(int argc, char** argv);

// --format auto|conllu|conll and --column upos|xpos applied to a file.
std::vector<sentence> read_corpus(const std::string& path, const std::string& format,
                                  const std::string& column);

// The best model of a checkpoint folder written by `train` (best.safetensors, verified against
// the manifest), or of a plain folder holding best.safetensors.
std::unique_ptr<tagger_model> load_model(const std::string& dir, xgrad::generator& g);

} // namespace tagger
