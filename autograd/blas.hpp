// The BLAS calls xgrad makes: GEMM on contiguous row-major buffers, transposes as flags (never
// copies), and the one thread-count setting of the process.
#pragma once

#include <cstddef>

namespace xgrad
{

namespace blas
{
// C[m,n] = alpha * op(A) * op(B) + beta * C, row-major. op(A) is [m,k]: A is stored [m,k], or
// [k,m] when trans_a. op(B) is [k,n]: B is stored [k,n], or [n,k] when trans_b.
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
          const float* a, const float* b, float beta, float* c);
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha,
          const double* a, const double* b, double beta, double* c);
} // namespace blas

// Threads OpenBLAS uses for every GEMM (OpenBLAS's default is one per core). A program that runs
// its own threads should set 1 to avoid oversubscription.
void set_num_threads(int n);
int num_threads();
// The name of the kernel set OpenBLAS chose for this CPU ("SkylakeX", "Haswell", "Zen", ...;
// OPENBLAS_CORETYPE overrides it). Results are reproducible for one kernel set: another one
// rounds differently (docs/design.md, Determinism).
const char* blas_core_name();

} // namespace xgrad
