// Internal helpers for writing op kernels once for float and double over xtensor expressions.
// Included only by the ops' .cpp files.
#pragma once

#include <array>
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

// out = f(tag, x...) elementwise over tensors of one shape and dtype, as one xtensor assignment.
// f receives T{} first (to spell constants as T(1)) and must take the arrays by const auto&.
template <class F, class... Ts>
Tensor map(F&& f, const Tensor& first, const Ts&... rest)
{
    Tensor out = Tensor::empty(first.shape(), first.dtype());
    dispatch(first.dtype(),
             [&](auto tag)
             {
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
