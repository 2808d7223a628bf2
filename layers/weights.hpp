// A module's parameters as a safetensors weight file (autograd/io/safetensors.hpp), named and
// shaped exactly as PyTorch's state_dict(), so a model moves between xgrad and PyTorch without
// renaming anything.
#pragma once

#include <string>

#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

// A module's state_dict() as a weight file (metadata {"format": "pt"}, as PyTorch writes).
// Written atomically; throws io_error.
void save(const Module& module, const std::string& path);
// Loads a weight file into a module: Module::load_state_dict(file tensors, strict), so entries
// convert to the parameters' dtype (an F32 file loads into a float64 model), and without strict
// the missing and unexpected names are returned instead of thrown. Everything is checked first
// and nothing changes on an error: value_error naming the file and every problem. A parameter
// stored in a dtype xgrad cannot read (BF16, ...) throws value_error naming the file, the
// tensor and that dtype, strict or not; such entries that no parameter wants count as
// unexpected.
incompatible_keys load(Module& module, const std::string& path, bool strict = true);

} // namespace xgrad::nn
