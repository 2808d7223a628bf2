// Internal helpers for writing op kernels once for float and double over xtensor expressions.
// Included only by the ops' .cpp files.
#pragma once

#include <array>
#include <cmath>
#include <vector>
#include <tuple>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "autograd/tensor.hpp"

namespace xgrad::detail
{

// A tensor's data as a 1-D xtensor adaptor: the fastest (SIMD) form for elementwise work.
template <class T>
auto flat(Tensor& t)
{
    return xt::adapt(t.data<T>(), t.numel(), xt::no_ownership(),
                     std::array<std::size_t, 1>{t.numel()});
}
template <class T>
auto flat(const Tensor& t)
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

// log(sum_j exp(x_j)) of a contiguous row: stable (the maximum is subtracted first) and
// vectorised; the sum is taken in double.
template <class T>
double row_logsumexp(const T* x, std::size_t n)
{
    T m = x[0];
    for (std::size_t j = 1; j < n; ++j)
        m = std::max(m, x[j]);
    if (!std::isfinite(m))
        m = 0; // all -inf, or inf/NaN present: let IEEE arithmetic say so
    thread_local std::vector<T> scratch;
    scratch.resize(n);
    auto e = flat_view(scratch.data(), n);
    xt::noalias(e) = xt::exp(flat_view(x, n) - m);
    double z = 0;
    for (std::size_t j = 0; j < n; ++j)
        z += scratch[j];
    return static_cast<double>(m) + std::log(z);
}

// out = f(tag, x...) elementwise over tensors of one shape and dtype, as one xtensor assignment.
// f receives T{} first (to spell constants as T(1)) and must take the arrays by const auto&.
template <class F, class... Ts>
Tensor map(F&& f, const Tensor& first, const Ts&... rest)
{
    Tensor out = Tensor::empty(first.shape(), first.dtype());
    dispatch(first.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto o = flat<T>(out);
        xt::noalias(o) = f(tag, flat<T>(first), flat<T>(rest)...);
    });
    return out;
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
