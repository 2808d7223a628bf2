// Matrix products, BLAS-backed (one GEMM forward, one GEMM per input backward).
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// a [M,K] x b [K,N] -> [M,N]. A 1-D a [K] acts as a row ([K] x [K,N] -> [N]); a 1-D b [K] as a
// column ([M,K] x [K] -> [M]); two 1-D operands give their dot product (shape []).
// Throws shape_error "matmul: [3,4] x [5,2]: inner dimensions differ" (and for ranks > 2).
// d(ab)/da: dL/da = dL/dy b^T;  d(ab)/db: dL/db = a^T dL/dy.
Variable matmul(const Variable& a, const Variable& b);

// PyTorch's F.linear: y = x w^T + b, with x [..., I], w [O, I], bias [O] (or undefined for none)
// -> y [..., O]. All leading dimensions of x are one GEMM (e.g. every time step of [T, B, I]).
Variable linear(const Variable& x, const Variable& w, const Variable& bias = Variable());

} // namespace xgrad
