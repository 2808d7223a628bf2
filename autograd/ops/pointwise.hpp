// Elementwise functions of one tensor. Output shape and dtype equal the input's.
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

Variable tanh(const Variable& x);
Variable sigmoid(const Variable& x);
Variable relu(const Variable& x);
Variable exp(const Variable& x);
// Natural log; values <= 0 give -inf/NaN as in IEEE arithmetic (as PyTorch).
Variable log(const Variable& x);
Variable sqrt(const Variable& x);
// x^p for a constant exponent p.
Variable pow(const Variable& x, double p);
// min(max(x, lo), hi). The gradient is 1 for x in [lo, hi], the bounds included (as PyTorch:
// an input exactly at a bound passes its gradient), and 0 outside.
// Throws value_error when lo > hi.
Variable clamp(const Variable& x, double lo, double hi);

} // namespace xgrad
