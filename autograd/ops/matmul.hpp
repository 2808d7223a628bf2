// Matrix products, BLAS-backed: one GEMM per matrix forward, one per input and matrix backward.
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// torch.matmul. For 1-D and 2-D operands: a [M,K] x b [K,N] -> [M,N]; a 1-D a [K] acts as a row
// ([K] x [K,N] -> [N]); a 1-D b [K] as a column ([M,K] x [K] -> [M]); two 1-D operands give
// their dot product (shape []). Operands of rank > 2 are stacks of matrices whose leading
// (batch) dimensions broadcast as NumPy's do: a [..., M, K] x b [..., K, N] -> [..., M, N], e.g.
// [B,1,H] x [B,H,S] -> [B,1,S] (attention scores) or [T,B,H] x [H,N] -> [T,B,N]. A 2-D (or 1-D)
// right operand folds every batch of a into one GEMM (unless transpose_a).
// Throws shape_error "matmul: [3,4] x [5,2]: inner dimensions differ", or naming the batch
// shapes that do not broadcast; value_error when the dtypes differ.
// dL/da = dL/dy b^T and dL/db = a^T dL/dy per matrix, summed over the batch entries that
// broadcasting made share a matrix.
// transpose_a / transpose_b use the operand's last two axes swapped without copying it (as
// BLAS's flags, or TensorFlow's matmul(a, b, transpose_a, transpose_b)): matmul(q, k, false,
// true) is q k^T. Both need an operand of rank >= 2.
Variable matmul(const Variable& a, const Variable& b, bool transpose_a = false,
                bool transpose_b = false);

// torch.bmm: a [B,M,K] x b [B,K,N] -> [B,M,N] with equal B (no broadcasting: a mismatch is
// more often a bug than an intent); the transpose flags as matmul's. Attention scores of
// queries [B,1,H] against keys [B,S,H]: bmm(q, keys, false, true) -> [B,1,S].
// Throws shape_error for other ranks or a B or K mismatch.
Variable bmm(const Variable& a, const Variable& b, bool transpose_a = false,
             bool transpose_b = false);

// PyTorch's F.linear: y = x w^T + b, with x [..., I], w [O, I], bias [O] (or undefined for none)
// -> y [..., O]. All leading dimensions of x are one GEMM (e.g. every time step of [T, B, I]).
Variable linear(const Variable& x, const Variable& w, const Variable& bias = Variable());

// linear(x, w, bias) for a weight used in many products in a row (a recurrent weight over the
// time steps of a sequence): w_t [I, O] must hold transpose(w), made once by the caller. The
// forward product reads x w_t and the backward's dL/dx reads g w, both in row order: faster in
// OpenBLAS, and for small products the skinny GEMMs (autograd/skinny_gemm.hpp) run them
// without repacking the weight each step. Values
// equal linear's up to float rounding (another summation order); gradients go to x, w and bias
// (w_t is a constant). Throws shape_error when w_t is not [I, O], value_error on mixed dtypes.
Variable linear_pretransposed(const Variable& x, const Variable& w, const Tensor& w_t,
                              const Variable& bias = Variable());

} // namespace xgrad
