#include "xgrad/autograd/ops/softmax.hpp"

#include <cmath>
#include <limits>
#include <memory>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/ops/mask.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

enum class kind
{
    softmax,
    log_softmax,
    logsumexp
};

// A mask's bits, or null without a mask (empty flags; a mask over zero elements selects nothing
// anyway).
const std::uint8_t* bits_or_null(const detail::flags& b)
{
    return b.empty() ? nullptr : b.data();
}

// Calls f(offset) for every lane of the axis: the lane's elements are offset + j*inner, j < n.
template <class F>
void for_each_lane(const axis_split& s, F&& f)
{
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t i = 0; i < s.inner; ++i)
            f(o * s.n * s.inner + i);
}

// Forward of all three kinds through the one shifted-exp row kernel. A lane is used in place
// when it is contiguous and unmasked; otherwise it is copied to a scratch row with masked
// positions at -inf (which the kernel turns into exact zeros). logsumexp gives one value per
// lane, [outer * inner]; the others give x's shape.
Tensor forward(const Tensor& x, const axis_split& s, const std::uint8_t* bits, kind k)
{
    Tensor y =
        Tensor::empty(k == kind::logsumexp ? shape_t{s.outer * s.inner} : x.shape(), x.dtype());
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        constexpr T ninf = -std::numeric_limits<T>::infinity();
        thread_local std::vector<T> in_row, out_row;
        in_row.resize(s.n);
        out_row.resize(s.n);
        const T* px = x.data<T>();
        T* py = y.data<T>();
        std::size_t lane = 0;
        for_each_lane(s, [&](std::size_t off) {
            const bool direct = s.inner == 1 && !bits;
            const T* row = px + off;
            if (!direct)
            {
                for (std::size_t j = 0; j < s.n; ++j)
                {
                    const std::size_t at = off + j * s.inner;
                    in_row[j] = bits && !bits[at] ? ninf : px[at];
                }
                row = in_row.data();
            }
            // The exponentials go straight into y for a contiguous softmax lane.
            T* e = k == kind::softmax && s.inner == 1 ? py + off : out_row.data();
            const auto [m, z] =
                s.n ? detail::row_exp_shifted(row, e, s.n) : std::pair<double, double>{0.0, 0.0};
            const bool empty = bits && z == 0; // every position masked: defined as an empty sum
            const double lse = m + std::log(z);
            if (k == kind::logsumexp)
            {
                py[lane++] = static_cast<T>(empty ? -INFINITY : lse);
                return;
            }
            const T inv = empty ? T(0) : static_cast<T>(1.0 / z);
            const T l = static_cast<T>(lse);
            for (std::size_t j = 0; j < s.n; ++j)
            {
                const std::size_t at = off + j * s.inner;
                if (k == kind::softmax)
                    py[at] = e[j] * inv;
                else
                    py[at] = empty || (bits && !bits[at]) ? ninf : row[j] - l;
            }
        });
    });
    return y;
}

struct setup
{
    std::size_t axis;
    axis_split s;
    detail::flags bits; // empty without a mask
};

setup prepare(const char* op, const Variable& x, const Tensor* mask, int axis)
{
    setup st;
    st.axis = normalize_axis(op, axis, x.shape());
    st.s = split_at(x.shape(), st.axis);
    if (mask)
        st.bits = detail::mask_bits(op, *mask, x.shape());
    return st;
}

Variable softmax_impl(const Variable& x, const Tensor* mask, int axis)
{
    const setup st = prepare("softmax", x, mask, axis);
    Tensor y = forward(x.data(), st.s, bits_or_null(st.bits), kind::softmax);
    return record("softmax", y, {x}, [y, s = st.s](grad_context& c) {
        // dy_i/dx_j = y_i (delta_ij - y_j)  =>  dL/dx_j = y_j (g_j - sum_i g_i y_i); masked
        // positions have y_j = 0 and so get nothing.
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

Variable log_softmax_impl(const Variable& x, const Tensor* mask, int axis)
{
    const setup st = prepare("log_softmax", x, mask, axis);
    Tensor y = forward(x.data(), st.s, bits_or_null(st.bits), kind::log_softmax);
    return record("log_softmax", y, {x}, [y, s = st.s, bits = st.bits](grad_context& c) {
        // dy_i/dx_j = delta_ij - softmax_j  =>  dL/dx_j = g_j - exp(y_j) sum_i g_i, the sum over
        // the unmasked positions only; masked positions do not depend on x.
        Tensor dx = Tensor::empty(y.shape(), y.dtype());
        dispatch(y.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* py = y.data<T>();
            const T* g = c.grad().data<T>();
            T* d = dx.data<T>();
            const std::uint8_t* m = bits_or_null(bits);
            for_each_lane(s, [&](std::size_t off) {
                double total = 0;
                for (std::size_t j = 0; j < s.n; ++j)
                {
                    const std::size_t k = off + j * s.inner;
                    if (!m || m[k])
                        total += g[k];
                }
                for (std::size_t j = 0; j < s.n; ++j)
                {
                    const std::size_t k = off + j * s.inner;
                    d[k] = m && !m[k] ? T(0) : g[k] - std::exp(py[k]) * static_cast<T>(total);
                }
            });
        });
        c.accumulate(0, dx);
    });
}

Variable logsumexp_impl(const Variable& x, const Tensor* mask, int axis, bool keepdims)
{
    const setup st = prepare("logsumexp", x, mask, axis);
    Tensor y = forward(x.data(), st.s, bits_or_null(st.bits), kind::logsumexp);
    shape_t out_shape = x.shape();
    if (keepdims)
        out_shape[st.axis] = 1;
    else
        out_shape.erase(st.axis);
    return record("logsumexp", y.reshape(out_shape), {x},
                  [y, s = st.s, bits = st.bits](grad_context& c) {
                      // d lse/dx_j = exp(x_j - lse) = softmax_j (0 where masked or the lane
                      // is empty)
                      const Tensor& xd = c.input(0);
                      Tensor dx = Tensor::empty(xd.shape(), xd.dtype());
                      dispatch(xd.dtype(), [&](auto tag) {
                          using T = decltype(tag);
                          const T* px = xd.data<T>();
                          const T* pl = y.data<T>();
                          const T* g = c.grad().data<T>();
                          T* d = dx.data<T>();
                          const std::uint8_t* m = bits_or_null(bits);
                          std::size_t lane = 0;
                          for_each_lane(s, [&](std::size_t off) {
                              const T l = pl[lane], gl = g[lane];
                              ++lane;
                              const bool empty = m && l == -std::numeric_limits<T>::infinity();
                              for (std::size_t j = 0; j < s.n; ++j)
                              {
                                  const std::size_t k = off + j * s.inner;
                                  d[k] = empty || (m && !m[k]) ? T(0) : gl * std::exp(px[k] - l);
                              }
                          });
                      });
                      c.accumulate(0, dx);
                  });
}

} // namespace

Variable softmax(const Variable& x, int axis)
{
    return softmax_impl(x, nullptr, axis);
}
Variable softmax(const Variable& x, const Tensor& mask, int axis)
{
    return softmax_impl(x, &mask, axis);
}
Variable log_softmax(const Variable& x, int axis)
{
    return log_softmax_impl(x, nullptr, axis);
}
Variable log_softmax(const Variable& x, const Tensor& mask, int axis)
{
    return log_softmax_impl(x, &mask, axis);
}
Variable logsumexp(const Variable& x, int axis, bool keepdims)
{
    return logsumexp_impl(x, nullptr, axis, keepdims);
}
Variable logsumexp(const Variable& x, const Tensor& mask, int axis, bool keepdims)
{
    return logsumexp_impl(x, &mask, axis, keepdims);
}

} // namespace xgrad
