#include "xgrad/autograd/ops/softmax.hpp"

#include <cmath>
#include <limits>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// Calls f(offset) for every lane of `axis`: the lane's elements are offset + j*inner, j < n.
template <class F>
void for_each_lane(const axis_split& s, F&& f)
{
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t i = 0; i < s.inner; ++i)
            f(o * s.n * s.inner + i);
}

// y = log_softmax(x) along the axis when `log`, softmax(x) otherwise.
Tensor softmax_forward(const Tensor& x, const axis_split& s, bool log)
{
    Tensor y = Tensor::empty(x.shape(), x.dtype());
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* py = y.data<T>();
        for_each_lane(s, [&](std::size_t off) {
            T m = -std::numeric_limits<T>::infinity();
            for (std::size_t j = 0; j < s.n; ++j)
                m = std::max(m, px[off + j * s.inner]);
            if (!std::isfinite(m))
                m = 0; // all -inf (or +inf/NaN present): let IEEE arithmetic say so
            double z = 0;
            for (std::size_t j = 0; j < s.n; ++j)
                z += std::exp(static_cast<double>(px[off + j * s.inner] - m));
            const T lse = m + static_cast<T>(std::log(z));
            for (std::size_t j = 0; j < s.n; ++j)
            {
                const T v = px[off + j * s.inner] - lse;
                py[off + j * s.inner] = log ? v : std::exp(v);
            }
        });
    });
    return y;
}

} // namespace

Variable softmax(const Variable& x, int axis)
{
    const axis_split s = split_at(x.shape(), normalize_axis("softmax", axis, x.shape()));
    Tensor y = softmax_forward(x.data(), s, false);
    return record("softmax", y, {x}, [y, s](grad_context& c) {
        // dy_i/dx_j = y_i (delta_ij - y_j)  =>  dL/dx_j = y_j (g_j - sum_i g_i y_i)
        Tensor dx = Tensor::empty(y.shape(), y.dtype());
        dispatch(y.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* py = y.data<T>();
            const T* g = c.grad().data<T>();
            T* d = dx.data<T>();
            for_each_lane(s, [&](std::size_t off) {
                double dot = 0;
                for (std::size_t j = 0; j < s.n; ++j)
                    dot += static_cast<double>(g[off + j * s.inner]) * py[off + j * s.inner];
                for (std::size_t j = 0; j < s.n; ++j)
                {
                    const std::size_t k = off + j * s.inner;
                    d[k] = py[k] * (g[k] - static_cast<T>(dot));
                }
            });
        });
        c.accumulate(0, dx);
    });
}

Variable log_softmax(const Variable& x, int axis)
{
    const axis_split s = split_at(x.shape(), normalize_axis("log_softmax", axis, x.shape()));
    Tensor y = softmax_forward(x.data(), s, true);
    return record("log_softmax", y, {x}, [y, s](grad_context& c) {
        // dy_i/dx_j = delta_ij - softmax_j  =>  dL/dx_j = g_j - exp(y_j) sum_i g_i
        Tensor dx = Tensor::empty(y.shape(), y.dtype());
        dispatch(y.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* py = y.data<T>();
            const T* g = c.grad().data<T>();
            T* d = dx.data<T>();
            for_each_lane(s, [&](std::size_t off) {
                double total = 0;
                for (std::size_t j = 0; j < s.n; ++j)
                    total += g[off + j * s.inner];
                for (std::size_t j = 0; j < s.n; ++j)
                {
                    const std::size_t k = off + j * s.inner;
                    d[k] = g[k] - std::exp(py[k]) * static_cast<T>(total);
                }
            });
        });
        c.accumulate(0, dx);
    });
}

} // namespace xgrad
