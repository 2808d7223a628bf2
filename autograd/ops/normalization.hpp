// Layer normalisation over the last axis, fused into one tape node.
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// PyTorch's F.layer_norm over the last axis: for each row of x [..., D],
//   xhat = (x - mean) / sqrt(var + eps),  y = xhat * weight + bias
// with the biased variance (divided by D). weight and bias are [D], either may be undefined
// (then 1 and 0). Backward, with rstd = 1/sqrt(var + eps) and dxhat = g * weight:
//   dL/dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)),
//   dL/dweight = sum over rows of g xhat,  dL/dbias = sum over rows of g.
// A constant row has var = 0: xhat = 0 and y = bias (no division by zero while eps > 0).
// Throws shape_error for a scalar x or a weight/bias that is not [D]; value_error for eps < 0 or
// mixed dtypes.
Variable layer_norm(const Variable& x, const Variable& weight = Variable(),
                    const Variable& bias = Variable(), double eps = 1e-5);

} // namespace xgrad
