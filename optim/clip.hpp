// Gradient clipping over a set of parameters (parameters without a gradient are skipped).
#pragma once

#include <vector>

#include "xgrad/autograd/variable.hpp"
#include "xgrad/optim/clip_stats.hpp"

namespace xgrad::optim
{

// Scales all gradients together so that their global L2 norm is at most max_norm: when the
// norm exceeds it, every gradient is multiplied by max_norm / (norm + 1e-6) (PyTorch's rule).
// Returns the norm before clipping (accumulated in double). Finite gradients always give their
// true norm: when the plain sum of squares overflows or underflows (float64 gradients of 1e200
// or 1e-200) it is recomputed scaled by the running maximum, as LAPACK's dnrm2 does. A norm
// beyond double's range (finite gradients) is returned as inf and the gradients are still
// scaled to max_norm. A gradient holding NaN or infinity throws value_error naming the first
// such parameter, unless error_if_nonfinite is false, in which case nothing is scaled and the
// (NaN or infinite) norm is returned. Throws value_error for max_norm <= 0 (or NaN).
double clip_grad_norm(const std::vector<Variable>& params, double max_norm,
                      bool error_if_nonfinite = true);

// The same, and records the step in stats (clip_stats::record with the returned norm). With
// error_if_nonfinite, a non-finite gradient throws before anything is recorded.
double clip_grad_norm(const std::vector<Variable>& params, double max_norm, clip_stats& stats,
                      bool error_if_nonfinite = true);

// Clamps every gradient element into [-clip, clip]. Throws value_error for clip < 0.
void clip_grad_value(const std::vector<Variable>& params, double clip);

} // namespace xgrad::optim
