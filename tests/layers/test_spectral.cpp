// layers/spectral.hpp: largest singular value and spectral radius against matrices with known
// values (diagonal, scaled rotation, Jordan block, nilpotent) and against LAPACK's SVD (dgesvd)
// and eigenvalues (dgeev) of random matrices, an independent computation (Golub-Kahan and the
// QR algorithm) from the OpenBLAS the library links.
#include <cmath>
#include <complex>

#include "tests/support.hpp"
#include "xgrad/layers/rnn_cell.hpp"
#include "xgrad/layers/spectral.hpp"

extern "C"
{
    void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a,
                 const int* lda, double* s, double* u, const int* ldu, double* vt, const int* ldvt,
                 double* work, const int* lwork, int* info);
    void dgeev_(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda,
                double* wr, double* wi, double* vl, const int* ldvl, double* vr, const int* ldvr,
                double* work, const int* lwork, int* info);
}

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;

namespace
{

// LAPACK works column-major: W row-major [m, n] is W^T column-major, which has the same
// singular values; for eigenvalues pass W^T's transpose, i.e. copy W into column-major order.
double lapack_sigma_max(const Tensor& w)
{
    const int m = static_cast<int>(w.shape()[1]), n = static_cast<int>(w.shape()[0]);
    std::vector<double> a = w.to_vector(), s(static_cast<std::size_t>(std::min(m, n)));
    int lwork = 10 * (m + n), info = 0, one = 1;
    std::vector<double> work(static_cast<std::size_t>(lwork));
    double dummy = 0;
    dgesvd_("N", "N", &m, &n, a.data(), &m, s.data(), &dummy, &one, &dummy, &one, work.data(),
            &lwork, &info);
    REQUIRE(info == 0);
    return s[0];
}

double lapack_spectral_radius(const Tensor& w)
{
    const int n = static_cast<int>(w.shape()[0]);
    std::vector<double> a(w.numel()), wr(static_cast<std::size_t>(n)),
        wi(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c)
            a[static_cast<std::size_t>(c * n + r)] = w.flat(static_cast<std::size_t>(r * n + c));
    int lwork = 8 * n, info = 0, one = 1;
    std::vector<double> work(static_cast<std::size_t>(lwork));
    double dummy = 0;
    dgeev_("N", "N", &n, a.data(), &n, wr.data(), wi.data(), &dummy, &one, &dummy, &one,
           work.data(), &lwork, &info);
    REQUIRE(info == 0);
    double rho = 0;
    for (int i = 0; i < n; ++i)
        rho = std::max(rho, std::abs(std::complex<double>(wr[static_cast<std::size_t>(i)],
                                                          wi[static_cast<std::size_t>(i)])));
    return rho;
}

Tensor spectral_matrix(std::vector<double> v, std::size_t rows, std::size_t cols)
{
    return Tensor::from_values(v, {rows, cols}, f64);
}

} // namespace

TEST_CASE("spectral norm and radius of known matrices", "[layers][spectral]")
{
    SECTION("diagonal: both are the largest |entry|")
    {
        const Tensor d = spectral_matrix({3, 0, 0, 0, -5, 0, 0, 0, 2}, 3, 3);
        const spectral_estimate s = largest_singular_value(d), r = spectral_radius(d);
        CHECK(s.converged);
        CHECK(r.converged);
        CHECK(s.value == Approx(5.0).epsilon(1e-12));
        CHECK(r.value == Approx(5.0).epsilon(1e-10));
    }
    SECTION("a scaled rotation: complex eigenvalues 0.9 e^(+-0.7i), every |lambda| = sigma")
    {
        const double c = 0.9 * std::cos(0.7), s = 0.9 * std::sin(0.7);
        const Tensor w = spectral_matrix({c, -s, s, c}, 2, 2);
        CHECK(largest_singular_value(w).value == Approx(0.9).epsilon(1e-12));
        const spectral_estimate r = spectral_radius(w);
        CHECK(r.converged);
        CHECK(r.value == Approx(0.9).epsilon(1e-10));
        CHECK(r.value >= 0.9 * (1 - 1e-14)); // an upper bound, up to rounding
    }
    SECTION("a Jordan block: rho 0.5 but sigma (1 + sqrt 2) / 2; float32 input")
    {
        const Tensor j = spectral_matrix({0.5, 1, 0, 0.5}, 2, 2).to(f32);
        CHECK(largest_singular_value(j).value == Approx((1 + std::sqrt(2.0)) / 2).epsilon(1e-12));
        CHECK(spectral_radius(j).value == Approx(0.5).epsilon(1e-8));
    }
    SECTION("nilpotent and zero matrices give 0")
    {
        const Tensor n = spectral_matrix({0, 1, 2, 0, 0, 3, 0, 0, 0}, 3, 3);
        const spectral_estimate r = spectral_radius(n);
        CHECK(r.value == 0);
        CHECK(r.converged);
        CHECK(largest_singular_value(Tensor::zeros({2, 3}, f64)).value == 0);
        CHECK(spectral_radius(Tensor::zeros({2, 2}, f64)).value == 0);
    }
    SECTION("too few iterations: not converged, still a bound")
    {
        spectral_options o;
        o.max_iterations = 2;
        const Tensor d = spectral_matrix({1, 0, 0, 0.99}, 2, 2);
        const spectral_estimate s = largest_singular_value(d, o), r = spectral_radius(d, o);
        CHECK_FALSE(s.converged);
        CHECK(s.iterations == 2);
        CHECK(s.value <= 1.0);
        CHECK_FALSE(r.converged);
        CHECK(r.value >= 1.0);
    }
    SECTION("bad input throws, naming the function and the shape or value")
    {
        CHECK_THROWS_WITH(spectral_radius(Tensor::zeros({2, 3}, f64)),
                          Catch::Contains("spectral_radius") && Catch::Contains("[2,3]"));
        CHECK_THROWS_AS(largest_singular_value(Tensor::zeros({4}, f64)), shape_error);
        CHECK_THROWS_AS(largest_singular_value(Tensor::zeros({0, 3}, f64)), shape_error);
        CHECK_THROWS_AS(spectral_radius(Tensor::zeros({2, 2}, i64)), value_error);
        spectral_options o;
        o.tolerance = 0;
        CHECK_THROWS_WITH(largest_singular_value(Tensor::zeros({2, 2}, f64), o),
                          Catch::Contains("tolerance 0"));
    }
}

TEST_CASE("spectral norm and radius agree with LAPACK on random matrices", "[layers][spectral]")
{
    SECTION("Gaussian matrices, square and rectangular")
    {
        for (std::uint64_t seed : {1, 2, 3})
        {
            INFO("seed " << seed);
            const Tensor sq = randn({9, 9}, seed).data(), wide = randn({5, 12}, seed + 10).data();
            CHECK(largest_singular_value(sq).value == Approx(lapack_sigma_max(sq)).epsilon(1e-10));
            CHECK(largest_singular_value(wide).value ==
                  Approx(lapack_sigma_max(wide)).epsilon(1e-10));
            CHECK(spectral_radius(sq).value == Approx(lapack_spectral_radius(sq)).epsilon(1e-8));
        }
    }
    SECTION("an RNN's default U(+-1/sqrt H) weight_hh: radius near 1/sqrt 3")
    {
        generator g(7);
        RNNCell cell(4, 64, nonlinearity::tanh, true, g);
        const Tensor w = cell.weight_hh.data().to(f64);
        const double rho = spectral_radius(cell.weight_hh).value;
        CHECK(rho == Approx(lapack_spectral_radius(w)).epsilon(1e-8));
        CHECK(rho == Approx(1 / std::sqrt(3.0)).epsilon(0.15));
        CHECK(largest_singular_value(cell.weight_hh).value >= rho);
    }
}
