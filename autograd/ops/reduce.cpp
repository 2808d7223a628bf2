#include "xgrad/autograd/ops/reduce.hpp"

#include <xtensor/xbroadcast.hpp>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{

Tensor sum_axis(const Tensor& t, std::size_t axis)
{
    const axis_split s = split_at(t.shape(), axis);
    shape_t out_shape = t.shape();
    out_shape[axis] = 1;
    Tensor out = Tensor::zeros(out_shape, t.dtype());
    dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* x = t.data<T>();
        T* o = out.data<T>();
        for (std::size_t a = 0; a < s.outer; ++a)
            for (std::size_t k = 0; k < s.n; ++k)
            {
                const T* row = x + (a * s.n + k) * s.inner;
                T* dst = o + a * s.inner;
                for (std::size_t i = 0; i < s.inner; ++i)
                    dst[i] += row[i];
            }
    });
    return out;
}

Tensor sum_to(const Tensor& t, const shape_t& shape)
{
    if (t.shape() == shape)
        return t;
    if (shape.size() > t.dim())
        fail<shape_error>("sum_to: cannot reduce {} to {}", to_string(t.shape()), to_string(shape));
    const std::size_t lead = t.dim() - shape.size();
    Tensor r = t;
    // Leading axes the target does not have: sum the rows of a [prod(leading), numel(shape)] view.
    if (lead > 0)
    {
        std::size_t rows = 1, tail = 1;
        for (std::size_t i = 0; i < t.dim(); ++i)
            (i < lead ? rows : tail) *= t.shape()[i];
        r = sum_axis(t.reshape({rows, tail}), 0)
                .reshape(shape_t(t.shape().begin() + lead, t.shape().end()));
    }
    for (std::size_t i = 0; i < shape.size(); ++i)
        if (shape[i] == 1 && r.shape()[i] != 1)
            r = sum_axis(r, i);
    if (r.shape() != shape)
        fail<shape_error>("sum_to: cannot reduce {} to {}", to_string(t.shape()), to_string(shape));
    return r;
}

Tensor broadcast_to(const Tensor& t, const shape_t& shape)
{
    if (!broadcasts_to(t.shape(), shape))
        fail<shape_error>("broadcast_to: {} does not broadcast to {}", to_string(t.shape()),
                          to_string(shape));
    if (t.shape() == shape)
        return t;
    Tensor out = Tensor::empty(shape, t.dtype());
    if (out.numel() == 0)
        return out;
    dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto o = out.view<T>();
        xt::noalias(o) =
            xt::broadcast(t.view<T>(), xt::svector<std::size_t, 4>(shape.begin(), shape.end()));
    });
    return out;
}

namespace
{

// dL/dx for a reduction along `axis` of x with shape `in`: g (the reduced shape) repeated along
// the axis, times `scale`.
Tensor expand_axis(const Tensor& g, const shape_t& in, std::size_t axis, double scale)
{
    const axis_split s = split_at(in, axis);
    Tensor out = Tensor::empty(in, g.dtype());
    dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* src = g.data<T>();
        T* dst = out.data<T>();
        const T c = static_cast<T>(scale);
        for (std::size_t a = 0; a < s.outer; ++a)
            for (std::size_t k = 0; k < s.n; ++k)
                for (std::size_t i = 0; i < s.inner; ++i)
                    dst[(a * s.n + k) * s.inner + i] = c * src[a * s.inner + i];
    });
    return out;
}

Variable reduce_all(const char* name, const Variable& x, bool average)
{
    const Tensor& xd = x.data();
    const double n = static_cast<double>(xd.numel());
    const double scale = average ? (n > 0 ? 1.0 / n : 0.0) : 1.0;
    Tensor out = Tensor::empty({}, xd.dtype());
    dispatch(xd.dtype(), [&](auto tag) {
        using T = decltype(tag);
        // Accumulate in double: a float sum of millions of values drifts.
        double acc = 0;
        const T* p = xd.data<T>();
        const std::size_t n = xd.numel();
        for (std::size_t i = 0; i < n; ++i)
            acc += p[i];
        out.data<T>()[0] = static_cast<T>(acc * scale);
    });
    return record(name, out, {x}, [scale](grad_context& c) {
        // d(sum)/dx_i = 1, d(mean)/dx_i = 1/n: every element gets the (scaled) output
        // gradient.
        c.accumulate(0,
                     Tensor::full(c.input(0).shape(), c.grad().item() * scale, c.input(0).dtype()));
    });
}

Variable reduce_axis(const char* name, const Variable& x, int axis, bool keepdims, bool average)
{
    const shape_t in = x.shape();
    const std::size_t ax = normalize_axis(name, axis, in);
    const double scale = average ? (in[ax] ? 1.0 / static_cast<double>(in[ax]) : 0.0) : 1.0;
    Tensor out = sum_axis(x.data(), ax);
    if (average)
        dispatch(out.dtype(), [&](auto tag) {
            using T = decltype(tag);
            auto o = detail::flat_view<T>(out);
            o *= static_cast<T>(scale);
        });
    shape_t out_shape = out.shape();
    if (!keepdims)
        out_shape.erase(ax);
    return record(name, out.reshape(out_shape), {x}, [in, ax, scale](grad_context& c) {
        c.accumulate(0, expand_axis(c.grad(), in, ax, scale));
    });
}

} // namespace

Variable sum(const Variable& x)
{
    return reduce_all("sum", x, false);
}
Variable mean(const Variable& x)
{
    return reduce_all("mean", x, true);
}
Variable sum(const Variable& x, int axis, bool keepdims)
{
    return reduce_axis("sum", x, axis, keepdims, false);
}
Variable mean(const Variable& x, int axis, bool keepdims)
{
    return reduce_axis("mean", x, axis, keepdims, true);
}

} // namespace xgrad
