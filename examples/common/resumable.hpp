// What the early-stopping examples (tagger, speech) share to make a run resumable bit-exactly:
// the generator's state as text, an epoch's batch order as a function of seed and epoch, and
// one checkpoint generation (weights, the best weights so far, optimizer, trainer position).
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "examples/common/run_record.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/tensor.hpp"
#include "xgrad/optim/optimizer.hpp"

namespace cli
{

// The engine's state as text (for a checkpoint's metadata), and back; the second throws
// std::runtime_error naming `source` when the text is not a state.
std::string engine_state(std::mt19937_64& e);
void set_engine_state(std::mt19937_64& e, const std::string& state, const std::string& source);

// The order of `batches` batches in epoch `epoch`: a function of the seed and the epoch only,
// so a resumed run sees the same order without saving it.
std::vector<std::size_t> epoch_order(std::size_t batches, std::uint64_t seed, std::size_t epoch);

// Writes one checkpoint generation into ckpt and commits it: model.safetensors (weights, with
// their metadata), best.safetensors (these weights when best_too or on the first save, else the
// previous generation's best: every generation is complete), optimizer.safetensors and
// trainer.safetensors (the position tensors, with the run record as metadata). Throws io_error;
// a failed save leaves the last committed generation as it was.
void save_generation(xgrad::io::checkpoint_dir& ckpt,
                     const std::map<std::string, xgrad::Tensor>& weights,
                     const std::map<std::string, std::string>& weights_metadata, bool best_too,
                     const xgrad::optim::Optimizer& opt,
                     const std::map<std::string, xgrad::Tensor>& position,
                     const run_record& position_metadata);

} // namespace cli
