#include "xgrad/autograd/ops/pointwise.hpp"

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{

using detail::map;

Variable tanh(const Variable& x)
{
    Tensor y = detail::map_finite([](auto, const auto& v) { return xt::tanh(v); },
                                  [](auto v) { return std::tanh(v); }, x.data());
    return record("tanh", y, {x}, [y](grad_context& c) {
        // d tanh(x)/dx = 1 - tanh(x)^2
        c.accumulate(0, map([](auto t, const auto& g,
                               const auto& y) { return g * (decltype(t)(1) - y * y); },
                            c.grad(), y));
    });
}

Variable sigmoid(const Variable& x)
{
    Tensor y = detail::map_finite(
        [](auto t, const auto& v) { return detail::sigmoid_expr<decltype(t)>(v); },
        [](auto v) { return decltype(v)(1) / (decltype(v)(1) + std::exp(-v)); }, x.data());
    return record("sigmoid", y, {x}, [y](grad_context& c) {
        // d sigma(x)/dx = sigma(x) (1 - sigma(x))
        c.accumulate(0, map([](auto t, const auto& g,
                               const auto& y) { return g * y * (decltype(t)(1) - y); },
                            c.grad(), y));
    });
}

Variable relu(const Variable& x)
{
    Tensor y = map([](auto t, const auto& v) { return xt::maximum(v, decltype(t)(0)); }, x.data());
    return record("relu", y, {x}, [](grad_context& c) {
        // d relu(x)/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch)
        c.accumulate(0, map(
                            [](auto t, const auto& g, const auto& x) {
                                using T = decltype(t);
                                return xt::where(x > T(0), g, T(0));
                            },
                            c.grad(), c.input(0)));
    });
}

Variable exp(const Variable& x)
{
    Tensor y = detail::map_finite([](auto, const auto& v) { return xt::exp(v); },
                                  [](auto v) { return std::exp(v); }, x.data());
    return record("exp", y, {x}, [y](grad_context& c) {
        // d e^x/dx = e^x
        c.accumulate(0, map([](auto, const auto& g, const auto& y) { return g * y; }, c.grad(), y));
    });
}

Variable log(const Variable& x)
{
    Tensor y = map([](auto, const auto& v) { return xt::log(v); }, x.data());
    return record("log", y, {x}, [](grad_context& c) {
        // d log(x)/dx = 1/x
        c.accumulate(
            0, map([](auto, const auto& g, const auto& x) { return g / x; }, c.grad(), c.input(0)));
    });
}

Variable sqrt(const Variable& x)
{
    Tensor y = map([](auto, const auto& v) { return xt::sqrt(v); }, x.data());
    return record("sqrt", y, {x}, [y](grad_context& c) {
        // d sqrt(x)/dx = 1 / (2 sqrt(x))
        c.accumulate(
            0, map([](auto t, const auto& g, const auto& y) { return g / (decltype(t)(2) * y); },
                   c.grad(), y));
    });
}

Variable pow(const Variable& x, double p)
{
    Tensor y = map([p](auto t, const auto& v) { return xt::pow(v, decltype(t)(p)); }, x.data());
    return record("pow", y, {x}, [p](grad_context& c) {
        // d x^p/dx = p x^(p-1)
        c.accumulate(0, map(
                            [p](auto t, const auto& g, const auto& x) {
                                using T = decltype(t);
                                return g * T(p) * xt::pow(x, T(p - 1));
                            },
                            c.grad(), c.input(0)));
    });
}

Variable clamp(const Variable& x, double lo, double hi)
{
    if (lo > hi)
        fail<value_error>("clamp: lower bound {} is above upper bound {}", lo, hi);
    Tensor y = map(
        [lo, hi](auto t, const auto& v) {
            using T = decltype(t);
            return xt::minimum(xt::maximum(v, T(lo)), T(hi));
        },
        x.data());
    return record("clamp", y, {x}, [lo, hi](grad_context& c) {
        // d clamp(x)/dx = 1 on [lo, hi] (the bounds included, as PyTorch), 0 outside
        c.accumulate(0, map(
                            [lo, hi](auto t, const auto& g, const auto& x) {
                                using T = decltype(t);
                                return xt::where(x >= T(lo) && x <= T(hi), g, T(0));
                            },
                            c.grad(), c.input(0)));
    });
}

} // namespace xgrad
