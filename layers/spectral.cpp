#include "xgrad/layers/spectral.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "xgrad/autograd/blas.hpp"
#include "xgrad/autograd/random.hpp"

namespace xgrad::nn
{

namespace
{

void check_options(const char* op, const spectral_options& o)
{
    if (!(o.tolerance > 0))
        fail<value_error>("{}: tolerance {} must be > 0", op, o.tolerance);
    if (o.max_iterations == 0)
        fail<value_error>("{}: max_iterations must be at least 1", op);
}

// W as a row-major double matrix, checked.
std::vector<double> as_double(const char* op, const Tensor& w, bool square)
{
    if (w.dim() != 2 || w.numel() == 0 || (square && w.shape()[0] != w.shape()[1]))
        fail<shape_error>("{}: needs a non-empty {} matrix, got shape {}", op,
                          square ? "square" : "2-D", to_string(w.shape()));
    if (!is_floating(w.dtype()))
        fail<value_error>("{}: needs a float32 or float64 matrix, got {}", op,
                          dtype_name(w.dtype()));
    std::vector<double> out(w.numel());
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* d = w.data<T>();
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = static_cast<double>(d[i]);
    });
    return out;
}

double norm2(const std::vector<double>& v)
{
    double s = 0;
    for (double x : v)
        s += x * x;
    return std::sqrt(s);
}

} // namespace

spectral_estimate largest_singular_value(const Tensor& w, const spectral_options& o)
{
    constexpr const char* op = "largest_singular_value";
    check_options(op, o);
    const std::vector<double> a = as_double(op, w, false);
    const std::size_t m = w.shape()[0], n = w.shape()[1];
    spectral_estimate r;
    if (norm2(a) == 0)
    {
        r.converged = true;
        return r;
    }
    generator g(o.seed);
    std::vector<double> v(n), wv(m), next(n);
    for (double& x : v)
        x = g.normal();
    double s = norm2(v);
    for (double& x : v)
        x /= s;
    double previous = 0;
    for (r.iterations = 1; r.iterations <= o.max_iterations; ++r.iterations)
    {
        // wv = W v, estimate ||W v|| (v has unit norm); next = W^T (W v).
        blas::gemm(false, false, m, 1, n, 1.0, a.data(), v.data(), 0.0, wv.data());
        r.value = norm2(wv);
        blas::gemm(true, false, n, 1, m, 1.0, a.data(), wv.data(), 0.0, next.data());
        s = norm2(next);
        if (std::abs(r.value - previous) <= o.tolerance * r.value || s == 0)
        {
            // s == 0: v lies in W's null space (only for a start orthogonal to every singular
            // vector with sigma > 0, which a random start practically never is).
            r.converged = s != 0;
            return r;
        }
        previous = r.value;
        for (std::size_t i = 0; i < n; ++i)
            v[i] = next[i] / s;
    }
    r.iterations = o.max_iterations;
    return r;
}

spectral_estimate largest_singular_value(const Variable& w, const spectral_options& o)
{
    return largest_singular_value(w.data(), o);
}

spectral_estimate spectral_radius(const Tensor& w, const spectral_options& o)
{
    constexpr const char* op = "spectral_radius";
    check_options(op, o);
    std::vector<double> a = as_double(op, w, true);
    const std::size_t n = w.shape()[0];
    spectral_estimate r;
    // W^(2^j) = exp(log_norm) * A_j with ||A_j||_F = 1; squaring: log_norm <- 2 log_norm +
    // log ||A_j^2||_F. The estimate is exp(log_norm / 2^j).
    double scale = norm2(a);
    if (scale == 0)
    {
        r.converged = true;
        return r;
    }
    for (double& x : a)
        x /= scale;
    double log_norm = std::log(scale), power = 1; // power = k = 2^j
    r.value = scale;
    std::vector<double> sq(a.size());
    const std::size_t squarings = std::min<std::size_t>(o.max_iterations, 64);
    for (r.iterations = 1; r.iterations <= squarings; ++r.iterations)
    {
        blas::gemm(false, false, n, n, n, 1.0, a.data(), a.data(), 0.0, sq.data());
        scale = norm2(sq);
        if (scale == 0)
        {
            // W^(2k) is exactly zero: W is nilpotent and rho(W) = 0.
            r.value = 0;
            r.converged = true;
            return r;
        }
        log_norm = 2 * log_norm + std::log(scale);
        power *= 2;
        const double estimate = std::exp(log_norm / power);
        for (std::size_t i = 0; i < a.size(); ++i)
            a[i] = sq[i] / scale;
        const bool settled = std::abs(estimate - r.value) <= o.tolerance * estimate;
        r.value = estimate;
        if (settled)
        {
            r.converged = true;
            return r;
        }
    }
    r.iterations = squarings;
    return r;
}

spectral_estimate spectral_radius(const Variable& w, const spectral_options& o)
{
    return spectral_radius(w.data(), o);
}

} // namespace xgrad::nn
