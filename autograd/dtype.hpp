// Element types a tensor can hold: float32 for training, float64 for gradient checking, and
// int64/int32 for indices, lengths and other integer data (loaded from files, never
// differentiated).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "xgrad/autograd/error.hpp"

namespace xgrad
{

enum class dtype : std::uint8_t
{
    f32,
    f64,
    i64,
    i32
};

constexpr dtype f32 = dtype::f32;
constexpr dtype f64 = dtype::f64;
constexpr dtype i64 = dtype::i64;
constexpr dtype i32 = dtype::i32;

// PyTorch's names: "float32", "float64", "int64", "int32".
constexpr const char* dtype_name(dtype d)
{
    switch (d)
    {
    case dtype::f32:
        return "float32";
    case dtype::f64:
        return "float64";
    case dtype::i64:
        return "int64";
    case dtype::i32:
        return "int32";
    }
    return "unknown dtype";
}

// Bytes per element.
constexpr std::size_t dtype_size(dtype d)
{
    return d == dtype::f32 || d == dtype::i32 ? 4 : 8;
}

// float32 or float64: the dtypes gradients and every differentiable kernel work in.
constexpr bool is_floating(dtype d)
{
    return d == dtype::f32 || d == dtype::f64;
}

template <class T>
constexpr dtype dtype_of()
{
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> ||
                      std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::int32_t>,
                  "xgrad tensors hold float, double, std::int64_t or std::int32_t");
    if constexpr (std::is_same_v<T, float>)
        return dtype::f32;
    else if constexpr (std::is_same_v<T, double>)
        return dtype::f64;
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return dtype::i64;
    else
        return dtype::i32;
}

namespace detail
{
[[noreturn]] inline void not_floating(dtype d)
{
    fail<value_error>("dtype: this operation needs a float32 or float64 tensor, got {} (convert "
                      "it with .to(xgrad::f32))",
                      dtype_name(d));
}
} // namespace detail

// Calls f(T{}) with T = float or double according to d: the one place a runtime dtype becomes a
// compile-time type, so each differentiable kernel is written once as a template. Throws
// value_error naming the dtype for an integer dtype (integer data cannot enter a float kernel).
template <class F>
decltype(auto) dispatch(dtype d, F&& f)
{
    if (d == dtype::f32)
        return f(float{});
    if (d != dtype::f64)
        detail::not_floating(d);
    return f(double{});
}

// dispatch() over all four element types (float, double, std::int64_t, std::int32_t), for code
// that does not care about the kind of number: copies, conversions, printing, file I/O.
template <class F>
decltype(auto) dispatch_all(dtype d, F&& f)
{
    switch (d)
    {
    case dtype::f32:
        return f(float{});
    case dtype::f64:
        return f(double{});
    case dtype::i64:
        return f(std::int64_t{});
    case dtype::i32:
        break;
    }
    return f(std::int32_t{});
}

} // namespace xgrad
