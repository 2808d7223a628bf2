// Internal helpers for writing op kernels once for float and double over xtensor expressions.
// Included only by the ops' .cpp files.
#pragma once

#include <array>
#include <cmath>
#include <tuple>
#include <utility>
#include <vector>

#include <xsimd/xsimd.hpp>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "xgrad/autograd/tensor.hpp"

namespace xgrad::detail
{

// A tensor's data as a 1-D xtensor adaptor: the fastest (SIMD) form for elementwise work.
template <class T>
auto flat_view(Tensor& t)
{
    return xt::adapt(t.data<T>(), t.numel(), xt::no_ownership(),
                     std::array<std::size_t, 1>{t.numel()});
}
template <class T>
auto flat_view(const Tensor& t)
{
    return xt::adapt(t.data<T>(), t.numel(), xt::no_ownership(),
                     std::array<std::size_t, 1>{t.numel()});
}

// A raw buffer of n elements as a 1-D xtensor adaptor.
template <class T>
auto flat_view(T* p, std::size_t n)
{
    return xt::adapt(p, n, xt::no_ownership(), std::array<std::size_t, 1>{n});
}

// Largest element of a contiguous row (NaN-free rows; a NaN anywhere makes the result
// unspecified but the callers' sums NaN anyway), with SIMD lanes.
template <class T>
T row_max(const T* x, std::size_t n)
{
    using batch = xsimd::batch<T>;
    constexpr std::size_t w = batch::size;
    std::size_t j = 0;
    T m = x[0];
    if (n >= w)
    {
        batch acc = batch::load_unaligned(x);
        for (j = w; j + w <= n; j += w)
            acc = xsimd::max(acc, batch::load_unaligned(x + j));
        alignas(64) T lanes[w];
        acc.store_aligned(lanes);
        m = lanes[0];
        for (std::size_t k = 1; k < w; ++k)
            m = std::max(m, lanes[k]);
    }
    for (; j < n; ++j)
        m = std::max(m, x[j]);
    return m;
}

// xsimd's exp (and the sigmoid and tanh built on it) converts the argument's integer part to an
// integer lane: for an infinity or a NaN that conversion is undefined behaviour (UBSan reports
// it in float64), so nothing guarantees the result. Inputs holding one take the scalar std::
// functions instead, which follow IEEE; the check costs one pass.
template <class T>
bool all_finite(const T* x, std::size_t n)
{
    bool finite = true;
    for (std::size_t j = 0; j < n; ++j)
        finite &= std::isfinite(x[j]); // no early exit: the loop vectorises
    return finite;
}

// out_j = exp(x_j - m) with m the row's maximum (stable, vectorised). Returns m and
// z = sum_j out_j (summed in double): log(sum_j exp(x_j)) = m + log z.
template <class T>
std::pair<double, double> row_exp_shifted(const T* x, T* out, std::size_t n)
{
    T m = row_max(x, n);
    if (!std::isfinite(m))
        m = 0; // all -inf, or inf/NaN present: let IEEE arithmetic say so
    if (all_finite(x, n))
    {
        auto e = flat_view(out, n);
        xt::noalias(e) = xt::exp(flat_view(x, n) - m);
    }
    else
        for (std::size_t j = 0; j < n; ++j)
            out[j] = std::exp(x[j] - m);
    // z in 16 interleaved partial sums: a single running sum is a chain of dependent additions
    // (4 cycles each), which made this loop 17% of W0's step (rows of 8000); independent lanes
    // vectorise. Still summed in double, in a fixed order: the same bits at any thread count.
    double z = 0;
    std::size_t j = 0;
    if (n >= 16)
    {
        double acc[16] = {};
        for (; j + 16 <= n; j += 16)
            for (std::size_t k = 0; k < 16; ++k)
                acc[k] += static_cast<double>(out[j + k]);
        for (double a : acc)
            z += a;
    }
    for (; j < n; ++j)
        z += out[j];
    return {static_cast<double>(m), z};
}

// log(sum_j exp(x_j)) of a contiguous row.
template <class T>
double row_logsumexp(const T* x, std::size_t n)
{
    thread_local std::vector<T> scratch;
    scratch.resize(n);
    const auto [m, z] = row_exp_shifted(x, scratch.data(), n);
    return m + std::log(z);
}

// softmax of a contiguous row into out; returns log(sum_j exp(x_j)).
template <class T>
double row_softmax(const T* x, T* out, std::size_t n)
{
    const auto [m, z] = row_exp_shifted(x, out, n);
    const T inv = static_cast<T>(1.0 / z);
    for (std::size_t j = 0; j < n; ++j)
        out[j] *= inv;
    return m + std::log(z);
}

// out = f(tag, x...) elementwise over tensors of one shape and dtype, as one xtensor assignment.
// f receives T{} first (to spell constants as T(1)) and must take the arrays by const auto&.
template <class F, class... Ts>
Tensor map(F&& f, const Tensor& first, const Ts&... rest)
{
    Tensor out = Tensor::empty(first.shape(), first.dtype());
    dispatch(first.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto o = flat_view<T>(out);
        xt::noalias(o) = f(tag, flat_view<T>(first), flat_view<T>(rest)...);
    });
    return out;
}

// out = f(x) elementwise with f's SIMD expression (as map) when every entry is finite, with the
// scalar fs(x_j) otherwise (see all_finite).
template <class F, class S>
Tensor map_finite(F&& f, S&& fs, const Tensor& x)
{
    const bool finite = dispatch(
        x.dtype(), [&](auto tag) { return all_finite(x.data<decltype(tag)>(), x.numel()); });
    if (finite)
        return map(std::forward<F>(f), x);
    Tensor out = Tensor::empty(x.shape(), x.dtype());
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* in = x.data<T>();
        T* o = out.data<T>();
        for (std::size_t j = 0; j < x.numel(); ++j)
            o[j] = fs(in[j]);
    });
    return out;
}

// sigma(x) = 1 / (1 + e^-x) as an xtensor expression of element type T. For very negative x,
// e^-x overflows to inf and sigma to 0: harmless, no NaN.
template <class T, class E>
auto sigmoid_expr(E&& x)
{
    return T(1) / (T(1) + xt::exp(-std::forward<E>(x)));
}

// Throws value_error unless a and b hold the same dtype.
inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b)
{
    if (a.dtype() != b.dtype())
        fail<value_error>("{}: dtypes differ ({} {} and {} {}); convert one with .to()", op,
                          dtype_name(a.dtype()), to_string(a.shape()), dtype_name(b.dtype()),
                          to_string(b.shape()));
}

} // namespace xgrad::detail
