#include "xgrad/autograd/blas.hpp"

#include <cblas.h>

#include <cstdlib>
#include <string>

#include "xgrad/autograd/skinny_gemm.hpp"

// Declared here rather than taken from <cblas.h>, which may be the reference CBLAS header; the
// library links OpenBLAS itself, which exports them.
extern "C" void openblas_set_num_threads(int num_threads);
extern "C" char* openblas_get_corename(void);
extern "C" int openblas_get_num_threads(void);

namespace xgrad
{
namespace blas
{
namespace
{
inline int as_int(std::size_t v)
{
    return static_cast<int>(v);
}
// Leading dimensions must be at least 1 even for empty operands.
inline int ld(std::size_t v)
{
    return static_cast<int>(v ? v : 1);
}
// XGRAD_NO_SKINNY_GEMM=1 sends every product to OpenBLAS (for A/B measurements).
const bool skinny_on = [] {
    const char* v = std::getenv("XGRAD_NO_SKINNY_GEMM");
    return !(v && *v && std::string(v) != "0");
}();
} // namespace

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
          const float* a, const float* b, float beta, float* c)
{
    if (m == 0 || n == 0)
        return;
    if (skinny_on && alpha == 1.0f && skinny_applies(ta, tb, m, n, k))
    {
        if (tb)
            skinny_nt(m, n, k, a, b, beta, c);
        else
            skinny_nn(m, n, k, a, b, beta, c);
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                as_int(m), as_int(n), as_int(k), alpha, a, ld(ta ? m : k), b, ld(tb ? k : n), beta,
                c, ld(n));
}

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha,
          const double* a, const double* b, double beta, double* c)
{
    if (m == 0 || n == 0)
        return;
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                as_int(m), as_int(n), as_int(k), alpha, a, ld(ta ? m : k), b, ld(tb ? k : n), beta,
                c, ld(n));
}

} // namespace blas

void set_num_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}
int num_threads()
{
    return openblas_get_num_threads();
}

const char* blas_core_name()
{
    return openblas_get_corename();
}

} // namespace xgrad
