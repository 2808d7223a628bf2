#include "xgrad/autograd/ops/arithmetic.hpp"

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// out = f(a, b) with broadcasting. Equal shapes take the flat (SIMD) path.
template <class F>
Tensor broadcast_map(const char* op, const Tensor& a, const Tensor& b, F&& f)
{
    detail::check_same_dtype(op, a, b);
    if (a.shape() == b.shape())
        return detail::map([&](auto, const auto& x, const auto& y) { return f(x, y); }, a, b);
    const shape_t s = broadcast_shapes(op, a.shape(), b.shape());
    Tensor out = Tensor::empty(s, a.dtype());
    dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto o = out.view<T>();
        if (b.numel() == 1)
            xt::noalias(o) = f(a.view<T>(), b.data<T>()[0]);
        else if (a.numel() == 1)
            xt::noalias(o) = f(a.data<T>()[0], b.view<T>());
        else
            xt::noalias(o) = f(a.view<T>(), b.view<T>());
    });
    return out;
}

// Elementwise product/quotient helpers on tensors of the same shape.
Tensor times(const Tensor& a, const Tensor& b)
{
    return broadcast_map("mul", a, b, [](const auto& x, const auto& y) { return x * y; });
}

Tensor scaled(const Tensor& a, double s)
{
    return detail::map([s](auto t, const auto& x) { return x * decltype(t)(s); }, a);
}

} // namespace

Variable add(const Variable& a, const Variable& b)
{
    Tensor out = broadcast_map("add", a.data(), b.data(),
                               [](const auto& x, const auto& y) { return x + y; });
    return record("add", out, {a, b}, [](grad_context& c) {
        // d(a+b)/da = d(a+b)/db = 1
        if (c.needs(0))
            c.accumulate(0, sum_to(c.grad(), c.input(0).shape()));
        if (c.needs(1))
            c.accumulate(1, sum_to(c.grad(), c.input(1).shape()));
    });
}

Variable sub(const Variable& a, const Variable& b)
{
    Tensor out = broadcast_map("sub", a.data(), b.data(),
                               [](const auto& x, const auto& y) { return x - y; });
    return record("sub", out, {a, b}, [](grad_context& c) {
        // d(a-b)/da = 1, d(a-b)/db = -1
        if (c.needs(0))
            c.accumulate(0, sum_to(c.grad(), c.input(0).shape()));
        if (c.needs(1))
            c.accumulate(1, scaled(sum_to(c.grad(), c.input(1).shape()), -1.0));
    });
}

Variable mul(const Variable& a, const Variable& b)
{
    Tensor out = broadcast_map("mul", a.data(), b.data(),
                               [](const auto& x, const auto& y) { return x * y; });
    return record("mul", out, {a, b}, [](grad_context& c) {
        // d(ab)/da = b, d(ab)/db = a
        if (c.needs(0))
            c.accumulate(0, sum_to(times(c.grad(), c.input(1)), c.input(0).shape()));
        if (c.needs(1))
            c.accumulate(1, sum_to(times(c.grad(), c.input(0)), c.input(1).shape()));
    });
}

Variable div(const Variable& a, const Variable& b)
{
    Tensor out = broadcast_map("div", a.data(), b.data(),
                               [](const auto& x, const auto& y) { return x / y; });
    return record("div", out, {a, b}, [out](grad_context& c) {
        // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
        const auto over_b = [](const auto& x, const auto& y) {
            return x / y;
        };
        if (c.needs(0))
            c.accumulate(
                0, sum_to(broadcast_map("div", c.grad(), c.input(1), over_b), c.input(0).shape()));
        if (c.needs(1))
        {
            Tensor q = broadcast_map("div", times(c.grad(), out), c.input(1), over_b);
            c.accumulate(1, scaled(sum_to(q, c.input(1).shape()), -1.0));
        }
    });
}

Variable neg(const Variable& a)
{
    return record("neg", scaled(a.data(), -1.0), {a},
                  [](grad_context& c) { c.accumulate(0, scaled(c.grad(), -1.0)); });
}

Variable add(const Variable& a, double s)
{
    Tensor out = detail::map([s](auto t, const auto& x) { return x + decltype(t)(s); }, a.data());
    // d(a+s)/da = 1: the output gradient passes through unchanged.
    return record("add_scalar", out, {a}, [](grad_context& c) { c.accumulate(0, c.grad()); });
}

Variable sub(const Variable& a, double s)
{
    return add(a, -s);
}

Variable sub(double s, const Variable& a)
{
    Tensor out = detail::map([s](auto t, const auto& x) { return decltype(t)(s) - x; }, a.data());
    // d(s-a)/da = -1
    return record("rsub_scalar", out, {a},
                  [](grad_context& c) { c.accumulate(0, scaled(c.grad(), -1.0)); });
}

Variable mul(const Variable& a, double s)
{
    // d(sa)/da = s
    return record("mul_scalar", scaled(a.data(), s), {a},
                  [s](grad_context& c) { c.accumulate(0, scaled(c.grad(), s)); });
}

Variable div(const Variable& a, double s)
{
    // Not a * (1/s): that differs from a / s in the last bit, and by 0 it would turn 0/0 into
    // 0*inf.
    Tensor out = detail::map([s](auto t, const auto& x) { return x / decltype(t)(s); }, a.data());
    return record("div_scalar", out, {a}, [s](grad_context& c) {
        // d(a/s)/da = 1/s
        c.accumulate(
            0, detail::map([s](auto t, const auto& g) { return g / decltype(t)(s); }, c.grad()));
    });
}

Variable div(double s, const Variable& a)
{
    Tensor out = detail::map([s](auto t, const auto& x) { return decltype(t)(s) / x; }, a.data());
    return record("rdiv_scalar", out, {a}, [out](grad_context& c) {
        // d(s/a)/da = -s/a^2 = -(s/a)/a = -out/a
        c.accumulate(0, detail::map([](auto, const auto& g, const auto& y,
                                       const auto& x) { return -g * y / x; },
                                    c.grad(), out, c.input(0)));
    });
}

} // namespace xgrad
