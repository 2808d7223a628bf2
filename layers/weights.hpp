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
// Loads a weight file into a module. Every name, shape and dtype is checked first; a mismatch
// throws value_error listing each missing, unexpected or wrong entry, and changes nothing. A
// parameter stored in a dtype xgrad cannot read (BF16, ...) throws value_error naming the file,
// the tensor and that dtype.
void load(Module& module, const std::string& path);

} // namespace xgrad::nn
