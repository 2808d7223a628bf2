// Softmax, log-softmax and log-sum-exp along one axis, computed stably (each lane's maximum is
// subtracted before exponentiating), each with an optional mask.
//
// A mask (a Tensor of any dtype broadcasting to x's shape; see ops/mask.hpp) is true (non-zero)
// where a position takes part, as sequence_mask() gives it: the positions where it is false are
// left out of the normalisation, so
//   softmax:     masked positions get probability exactly 0;
//   log_softmax: masked positions get -inf;
//   logsumexp:   sums only the unmasked positions.
// A lane with every position masked (an empty sum) is defined, never NaN: softmax gives all 0,
// log_softmax all -inf, logsumexp -inf; its gradient is 0. Without a mask, IEEE arithmetic
// applies as in PyTorch (a lane of all -inf gives NaN).
// Throws shape_error for an axis out of range or a mask that does not broadcast to x.
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// y_i = exp(x_i) / sum_j exp(x_j) along `axis` (default: the last). Same shape as x.
// dL/dx_j = y_j (g_j - sum_i g_i y_i).
Variable softmax(const Variable& x, int axis = -1);
Variable softmax(const Variable& x, const Tensor& mask, int axis = -1);

// y_i = x_i - log sum_j exp(x_j) along `axis`; never overflows for large logits.
// dL/dx_j = g_j - softmax_j sum_i g_i (masked positions: 0).
Variable log_softmax(const Variable& x, int axis = -1);
Variable log_softmax(const Variable& x, const Tensor& mask, int axis = -1);

// log sum_j exp(x_j) along `axis`: the axis is removed, or kept with size 1 when keepdims.
// dL/dx_j = g softmax_j. Over an empty axis the result is -inf.
Variable logsumexp(const Variable& x, int axis = -1, bool keepdims = false);
Variable logsumexp(const Variable& x, const Tensor& mask, int axis = -1, bool keepdims = false);

} // namespace xgrad
