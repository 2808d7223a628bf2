// Gradient clipping over a set of parameters (parameters without a gradient are skipped).
#pragma once

#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace xgrad::optim
{

// Scales all gradients together so that their global L2 norm is at most max_norm: when the
// norm exceeds it, every gradient is multiplied by max_norm / (norm + 1e-6) (PyTorch's rule).
// Returns the norm before clipping (accumulated in double). A NaN or infinite norm throws
// value_error naming the first parameter with a non-finite gradient, unless error_if_nonfinite
// is false, in which case nothing is scaled and the norm is returned.
double clip_grad_norm(const std::vector<Variable>& params, double max_norm,
                      bool error_if_nonfinite = true);

// Clamps every gradient element into [-clip, clip]. Throws value_error for clip < 0.
void clip_grad_value(const std::vector<Variable>& params, double clip);

} // namespace xgrad::optim
