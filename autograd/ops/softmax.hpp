// Softmax and log-softmax along one axis, computed stably (the axis maximum is subtracted first).
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// exp(x_i) / sum_j exp(x_j) along `axis` (default: the last). Same shape as x.
Variable softmax(const Variable& x, int axis = -1);
// x_i - log sum_j exp(x_j) along `axis`; never overflows for large logits.
Variable log_softmax(const Variable& x, int axis = -1);

} // namespace xgrad
