#include "xgrad/autograd/ops/extrema.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// a comes before b in descending order, NaN first (it is "larger" than every number).
template <class T>
bool above(T a, T b)
{
    if (std::isnan(a))
        return !std::isnan(b);
    return a > b;
}

// For every lane of `axis`, the flat offset of its winner (its max, or min when !largest) in x,
// and the winner's position along the axis.
template <class T>
void lane_winners(const Tensor& x, const axis_split& s, bool largest, std::int64_t* pos,
                  std::size_t* at)
{
    const T* p = x.data<T>();
    std::size_t lane = 0;
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t i = 0; i < s.inner; ++i, ++lane)
        {
            const std::size_t off = o * s.n * s.inner + i;
            std::size_t best = 0;
            for (std::size_t j = 1; j < s.n; ++j)
            {
                const T v = p[off + j * s.inner], b = p[off + best * s.inner];
                // Strictly better only: ties keep the lower index. NaN beats numbers for min too.
                if (largest ? above(v, b) : (std::isnan(v) ? !std::isnan(b) : v < b))
                    best = j;
            }
            pos[lane] = static_cast<std::int64_t>(best);
            if (at)
                at[lane] = off + best * s.inner;
        }
}

shape_t reduced_shape(const shape_t& in, std::size_t axis, bool keepdims)
{
    shape_t s = in;
    if (keepdims)
        s[axis] = 1;
    else
        s.erase(axis);
    return s;
}

axis_split checked_split(const char* op, const Tensor& x, int axis, std::size_t& ax)
{
    ax = normalize_axis(op, axis, x.shape());
    if (x.shape()[ax] == 0)
        fail<value_error>("{}: axis {} of {} is empty", op, ax, to_string(x.shape()));
    return split_at(x.shape(), ax);
}

Tensor arg_impl(const char* op, const Tensor& x, int axis, bool keepdims, bool largest)
{
    std::size_t ax = 0;
    const axis_split s = checked_split(op, x, axis, ax);
    Tensor idx = Tensor::empty(reduced_shape(x.shape(), ax, keepdims), i64);
    dispatch(x.dtype(), [&](auto tag) {
        lane_winners<decltype(tag)>(x, s, largest, idx.data<std::int64_t>(), nullptr);
    });
    return idx;
}

extremum extreme_impl(const char* op, const Variable& x, int axis, bool keepdims, bool largest)
{
    std::size_t ax = 0;
    const Tensor& xd = x.data();
    const axis_split s = checked_split(op, xd, axis, ax);
    const shape_t out_shape = reduced_shape(xd.shape(), ax, keepdims);
    Tensor idx = Tensor::empty(out_shape, i64);
    Tensor vals = Tensor::empty(out_shape, xd.dtype());
    auto at = std::make_shared<std::vector<std::size_t>>(s.outer * s.inner);
    dispatch(xd.dtype(), [&](auto tag) {
        using T = decltype(tag);
        lane_winners<T>(xd, s, largest, idx.data<std::int64_t>(), at->data());
        const T* p = xd.data<T>();
        T* v = vals.data<T>();
        for (std::size_t l = 0; l < at->size(); ++l)
            v[l] = p[(*at)[l]];
    });
    Variable values = record(op, vals, {x}, [at](grad_context& c) {
        // d max/dx_j = 1 for the selected j, 0 for the others
        Tensor& dx = c.slot(0);
        dispatch(dx.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>();
            T* d = dx.data<T>();
            for (std::size_t l = 0; l < at->size(); ++l)
                d[(*at)[l]] += g[l];
        });
    });
    return {values, idx};
}

} // namespace

extremum max(const Variable& x, int axis, bool keepdims)
{
    return extreme_impl("max", x, axis, keepdims, true);
}
extremum min(const Variable& x, int axis, bool keepdims)
{
    return extreme_impl("min", x, axis, keepdims, false);
}
Tensor argmax(const Tensor& x, int axis, bool keepdims)
{
    return arg_impl("argmax", x, axis, keepdims, true);
}
Tensor argmin(const Tensor& x, int axis, bool keepdims)
{
    return arg_impl("argmin", x, axis, keepdims, false);
}

extremum topk(const Variable& x, std::size_t k, bool largest)
{
    const Tensor& xd = x.data();
    if (xd.dim() == 0)
        fail<shape_error>("topk: needs at least one dimension, got a scalar");
    const std::size_t n = xd.shape().back();
    if (k > n)
        fail<value_error>("topk: k = {} is larger than the last dimension of {}", k,
                          to_string(xd.shape()));
    const std::size_t rows = n ? xd.numel() / n : 0;
    shape_t out_shape = xd.shape();
    out_shape[out_shape.size() - 1] = k;
    Tensor idx = Tensor::empty(out_shape, i64);
    Tensor vals = Tensor::empty(out_shape, xd.dtype());
    dispatch(xd.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* p = xd.data<T>();
        std::int64_t* pi = idx.data<std::int64_t>();
        T* pv = vals.data<T>();
        thread_local std::vector<std::int64_t> order;
        order.resize(n);
        for (std::size_t r = 0; r < rows; ++r)
        {
            const T* row = p + r * n;
            std::iota(order.begin(), order.end(), std::int64_t{0});
            // Equal values keep index order: compare values, then indices.
            auto first = [&](std::int64_t a, std::int64_t b) {
                const T va = row[a], vb = row[b];
                const bool a_first = largest ? above(va, vb) : above(vb, va);
                const bool b_first = largest ? above(vb, va) : above(va, vb);
                return a_first || (!b_first && a < b);
            };
            std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k),
                              order.end(), first);
            for (std::size_t j = 0; j < k; ++j)
            {
                pi[r * k + j] = order[j];
                pv[r * k + j] = row[order[j]];
            }
        }
    });
    Variable values = record("topk", vals, {x}, [idx, n, k, rows](grad_context& c) {
        // Each selected entry receives its value's gradient; the others get 0.
        Tensor& dx = c.slot(0);
        dispatch(dx.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>();
            const std::int64_t* pi = idx.data<std::int64_t>();
            T* d = dx.data<T>();
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t j = 0; j < k; ++j)
                    d[r * n + static_cast<std::size_t>(pi[r * k + j])] += g[r * k + j];
        });
    });
    return {values, idx};
}

} // namespace xgrad
