// The speech example's subcommands and what they share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "examples/speech/model.hpp"

namespace speech
{

int make_data_command(int argc, char** argv);
int train_command(int argc, char** argv);
int recognise_command(int argc, char** argv);
int evaluate_command(int argc, char** argv);

// The best model of a checkpoint folder written by `train` (best.safetensors, verified against
// the manifest), or of a plain folder holding best.safetensors.
std::unique_ptr<speech_model> load_model(const std::string& dir, xgrad::generator& g);

// What the model hears in every utterance of data (batches: length_batches of it).
std::vector<xgrad::nn::label_sequence>
recognise_all(speech_model& m, const std::vector<example>& data,
              const std::vector<std::vector<std::size_t>>& batches, std::size_t beam);
// The label error rate of the model on data.
double label_error_rate(speech_model& m, const std::vector<example>& data,
                        const std::vector<std::vector<std::size_t>>& batches, std::size_t beam);

} // namespace speech
