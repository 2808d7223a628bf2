// Float GEMMs with a small dimension (a batch of <= 64 rows) against a large operand used in
// place, without the packing OpenBLAS does on every call. These are the recurrent products of
// an RNN step: h [B, H] times weight_hh^T [H, G H] forward, dgates [B, G H] times weight_hh
// [G H, H] backward, where OpenBLAS copies the whole weight (1 MB for an LSTM 256) into its
// panel layout at every time step.
// blas::gemm routes the shapes of skinny_applies here; everything else goes to OpenBLAS (all of
// it with XGRAD_NO_SKINNY_GEMM=1 in the environment, for A/B measurements).
//
// Contract (row-major, alpha = 1):
//   nt: C[m,n] = A[m,k] B[n,k]^T + beta C      (lda = k, ldb = k, ldc = n)
//   nn: C[m,n] = A[m,k] B[k,n]   + beta C      (lda = k, ldb = n, ldc = n)
// beta is 0 (C is not read: it may hold NaN) or any other value. Each C element is one sum over
// k in a fixed order that depends only on k: not on the thread count, nor on m, n or where the
// element sits (a row of a product equals that row multiplied alone), so results are
// deterministic.
// The kernels use AVX-512F; a build without it never routes here (skinny_applies is false), and
// the functions compute the same sums one element at a time.
#pragma once

#include <cstddef>

namespace xgrad::blas
{

// The large operand's size window, in floats: from 64 KB (below, packing is cheap) to 1 MB (it
// stays in L2).
constexpr std::size_t skinny_operand_min = 16384, skinny_operand_max = 262144;

// Whether gemm(ta, tb, m, n, k, alpha = 1, ...) on floats goes to skinny_nt/skinny_nn: no
// transposed A, m <= 64, B in the window above, fewer than 2^22 multiply-adds (above, OpenBLAS's
// threads win at 2 threads; the kernels are single-threaded), and for nt rows of k >= 128.
// Shapes alone decide, never the thread count.
bool skinny_applies(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k);

void skinny_nt(std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b,
               float beta, float* c);
void skinny_nn(std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b,
               float beta, float* c);

} // namespace xgrad::blas
