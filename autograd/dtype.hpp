// Element types a tensor can hold: float32 for training, float64 for gradient checking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace xgrad
{

enum class dtype : std::uint8_t
{
    f32,
    f64
};

constexpr dtype f32 = dtype::f32;
constexpr dtype f64 = dtype::f64;

constexpr const char* dtype_name(dtype d)
{
    return d == dtype::f32 ? "float32" : "float64";
}
constexpr std::size_t dtype_size(dtype d)
{
    return d == dtype::f32 ? 4 : 8;
}

template <class T>
constexpr dtype dtype_of()
{
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "xgrad tensors hold float or double");
    return std::is_same_v<T, float> ? dtype::f32 : dtype::f64;
}

// Calls f(T{}) with T = float or double according to d: the one place a runtime dtype becomes a
// compile-time type, so each kernel is written once as a template.
template <class F>
decltype(auto) dispatch(dtype d, F&& f)
{
    if (d == dtype::f32)
        return f(float{});
    return f(double{});
}

} // namespace xgrad
