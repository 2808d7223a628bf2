// The skinny GEMMs (autograd/skinny_gemm.hpp): values against a double-precision reference on
// shapes with every kind of edge (rows, columns and k not multiples of the tiles), beta, bits
// that do not depend on where an element sits, and blas::gemm's routing.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/blas.hpp"
#include "xgrad/autograd/skinny_gemm.hpp"

using namespace xgrad;

namespace skinny_test
{

std::vector<float> random_floats(std::size_t n, std::uint64_t seed)
{
    generator g(seed);
    std::vector<float> v(n);
    for (float& x : v)
        x = static_cast<float>(g.uniform(-1.0, 1.0));
    return v;
}

enum class form
{
    nt,
    nn
};
const char* name(form f)
{
    return f == form::nt ? "nt" : "nn";
}

// C = op(A) op(B) + beta C0 in double.
std::vector<double> reference(form f, std::size_t m, std::size_t n, std::size_t k,
                              const std::vector<float>& a, const std::vector<float>& b, float beta,
                              const std::vector<float>& c0)
{
    std::vector<double> c(m * n);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
        {
            double s = 0;
            for (std::size_t p = 0; p < k; ++p)
                s += double(a[i * k + p]) * double(f == form::nt ? b[j * k + p] : b[p * n + j]);
            c[i * n + j] = s + (beta == 0.0f ? 0.0 : double(beta) * c0[i * n + j]);
        }
    return c;
}

void run(form f, std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b,
         float beta, float* c)
{
    if (f == form::nt)
        blas::skinny_nt(m, n, k, a, b, beta, c);
    else
        blas::skinny_nn(m, n, k, a, b, beta, c);
}

bool same_bits(float x, float y)
{
    return std::memcmp(&x, &y, sizeof x) == 0;
}

} // namespace skinny_test

using namespace skinny_test;

TEST_CASE("skinny GEMMs equal a double reference on shapes with every edge",
          "[autograd][blas][skinny]")
{
    struct shape
    {
        std::size_t m, n, k;
    };
    const shape shapes[] = {{1, 1, 1},    {3, 5, 7},     {4, 4, 16},    {5, 17, 33},
                            {8, 32, 128}, {9, 33, 129},  {13, 50, 250}, {32, 1024, 256},
                            {64, 64, 64}, {7, 100, 300}, {2, 16, 15},   {17, 31, 1}};
    for (const form f : {form::nt, form::nn})
        for (const shape& s : shapes)
            for (const float beta : {0.0f, 1.0f, -0.5f})
            {
                INFO(name(f) << " " << s.m << " x " << s.n << " x " << s.k << " beta " << beta);
                const auto a = random_floats(s.m * s.k, 1), b = random_floats(s.n * s.k, 2),
                           c0 = random_floats(s.m * s.n, 3);
                // With beta = 0, C is not read: NaN there must not reach the result.
                std::vector<float> c =
                    beta == 0.0f
                        ? std::vector<float>(s.m * s.n, std::numeric_limits<float>::quiet_NaN())
                        : c0;
                run(f, s.m, s.n, s.k, a.data(), b.data(), beta, c.data());
                const auto want = reference(f, s.m, s.n, s.k, a, b, beta, c0);
                double worst = 0;
                for (std::size_t i = 0; i < c.size(); ++i)
                    worst = std::max(worst, std::abs(double(c[i]) - want[i]));
                // float32 sums of k products of magnitude <= 1
                CHECK(worst <= 4e-7 * double(s.k + 2));
            }
}

TEST_CASE("a skinny GEMM's element does not depend on where it sits", "[autograd][blas][skinny]")
{
    const std::size_t m = 11, n = 37, k = 203;
    const auto a = random_floats(m * k, 4), bt = random_floats(n * k, 5);
    for (const form f : {form::nt, form::nn})
    {
        INFO(name(f));
        std::vector<float> whole(m * n);
        run(f, m, n, k, a.data(), bt.data(), 0.0f, whole.data());
        // Each row alone, and (nt) the columns from 3 on alone: other tile shapes, same bits.
        bool rows_same = true, cols_same = true;
        for (std::size_t i = 0; i < m; ++i)
        {
            std::vector<float> row(n);
            run(f, 1, n, k, a.data() + i * k, bt.data(), 0.0f, row.data());
            for (std::size_t j = 0; j < n; ++j)
                rows_same &= same_bits(row[j], whole[i * n + j]);
        }
        if (f == form::nt)
        {
            std::vector<float> part(m * (n - 3));
            run(f, m, n - 3, k, a.data(), bt.data() + 3 * k, 0.0f, part.data());
            for (std::size_t i = 0; i < m; ++i)
                for (std::size_t j = 3; j < n; ++j)
                    cols_same &= same_bits(part[i * (n - 3) + j - 3], whole[i * n + j]);
        }
        CHECK(rows_same);
        CHECK(cols_same);
    }
}

TEST_CASE("blas::gemm sends the recurrent products to the skinny kernels",
          "[autograd][blas][skinny]")
{
    // An LSTM 256 step at batch 8: forward h W^T, backward dgates W.
    const std::size_t m = 8, h = 256, g = 1024;
    const auto a = random_floats(m * h, 6), w = random_floats(g * h, 7),
               d = random_floats(m * g, 8);
    std::vector<float> via_gemm(m * g), direct(m * g);
    blas::gemm(false, true, m, g, h, 1.0f, a.data(), w.data(), 0.0f, via_gemm.data());
    blas::skinny_nt(m, g, h, a.data(), w.data(), 0.0f, direct.data());
    std::vector<float> back_gemm(m * h), back_direct(m * h);
    blas::gemm(false, false, m, h, g, 1.0f, d.data(), w.data(), 0.0f, back_gemm.data());
    blas::skinny_nn(m, h, g, d.data(), w.data(), 0.0f, back_direct.data());
#if defined(__AVX512F__)
    // Below 2^22 multiply-adds (batch 8 here): above, OpenBLAS's threads win at 2 threads.
    CHECK(blas::skinny_applies(false, true, 8, g, h));
    CHECK(blas::skinny_applies(false, false, 8, h, g));
    CHECK_FALSE(blas::skinny_applies(false, false, 32, h, g));
    CHECK(via_gemm == direct);
    CHECK(back_gemm == back_direct);
#else
    CHECK_FALSE(blas::skinny_applies(false, true, m, g, h));
#endif
    // Never: a transposed A (the weight gradient), many rows, a small B, a B over 1 MB.
    CHECK_FALSE(blas::skinny_applies(true, false, g, h, m));
    CHECK_FALSE(blas::skinny_applies(false, true, 65, g, h));
    CHECK_FALSE(blas::skinny_applies(false, true, m, 16, 16));
    CHECK_FALSE(blas::skinny_applies(false, false, 64, 1024, 4096));
    // Whichever path ran, both agree with each other to float32 rounding.
    double worst = 0;
    for (std::size_t i = 0; i < via_gemm.size(); ++i)
        worst = std::max(worst, double(std::abs(via_gemm[i] - direct[i])));
    CHECK(worst <= 1e-4);
}
