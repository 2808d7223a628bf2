#include "xgrad/autograd/ops/layout.hpp"

#include <cstring>
#include <numeric>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// Copies a block of `rows` rows of `width` elements between buffers with different row
// strides; `add` accumulates instead of overwriting. Everything here is in elements.
template <class T>
void copy_rows(const T* src, std::size_t src_stride, T* dst, std::size_t dst_stride,
               std::size_t rows, std::size_t width, bool add)
{
    for (std::size_t r = 0; r < rows; ++r)
    {
        const T* s = src + r * src_stride;
        T* d = dst + r * dst_stride;
        if (add)
            for (std::size_t i = 0; i < width; ++i)
                d[i] += s[i];
        else
            std::memcpy(d, s, width * sizeof(T));
    }
}

// Moves the range [start, start+len) of `axis` between a full tensor and a slab: to the slab
// (forward of narrow) or added back into the full tensor (its backward).
void slab(const shape_t& full, std::size_t axis, std::size_t start, std::size_t len,
          const Tensor& src, Tensor& dst, bool to_slab)
{
    const axis_split s = split_at(full, axis);
    dispatch(src.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (to_slab)
            copy_rows(src.data<T>() + start * s.inner, s.n * s.inner, dst.data<T>(), len * s.inner,
                      s.outer, len * s.inner, false);
        else
            copy_rows(src.data<T>(), len * s.inner, dst.data<T>() + start * s.inner, s.n * s.inner,
                      s.outer, len * s.inner, true);
    });
}

// t with axes a < b swapped, as a loop over t viewed as [P, A, M, B, Q] -> [P, B, M, A, Q]
// (xtensor's strided transpose assignment is ~10x slower on attention-sized tensors).
Tensor swap_axes(const Tensor& t, std::size_t a, std::size_t b)
{
    shape_t s = t.shape();
    std::swap(s[a], s[b]);
    Tensor out = Tensor::empty(s, t.dtype());
    if (a == b)
    {
        std::memcpy(out.raw_data(), t.raw_data(), t.nbytes());
        return out;
    }
    const shape_t& in = t.shape();
    std::size_t P = 1, M = 1, Q = 1;
    for (std::size_t d = 0; d < a; ++d)
        P *= in[d];
    for (std::size_t d = a + 1; d < b; ++d)
        M *= in[d];
    for (std::size_t d = b + 1; d < in.size(); ++d)
        Q *= in[d];
    const std::size_t A = in[a], B = in[b];
    dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* src = t.data<T>();
        T* dst = out.data<T>();
        for (std::size_t p = 0; p < P; ++p)
            for (std::size_t i = 0; i < A; ++i)
                for (std::size_t m = 0; m < M; ++m)
                {
                    const T* row = src + ((p * A + i) * M + m) * B * Q;
                    T* col = dst + (p * B * M + m) * A * Q + i * Q;
                    if (Q == 1)
                        for (std::size_t j = 0; j < B; ++j)
                            col[j * M * A] = row[j];
                    else
                        for (std::size_t j = 0; j < B; ++j)
                            std::memcpy(col + j * M * A * Q, row + j * Q, Q * sizeof(T));
                }
    });
    return out;
}

Variable narrow_impl(const char* op, const Variable& x, std::size_t ax, std::size_t start,
                     std::size_t length, bool drop_axis)
{
    const shape_t in = x.shape();
    shape_t out_shape = in;
    out_shape[ax] = length;
    Tensor y = Tensor::empty(out_shape, x.dtype());
    slab(in, ax, start, length, x.data(), y, true);
    if (drop_axis)
        out_shape.erase(ax);
    return record(op, y.reshape(out_shape), {x}, [in, ax, start, length](grad_context& c) {
        // The gradient of a slice is the output gradient placed back at the slice,
        // zero elsewhere.
        if (c.needs(0))
            slab(in, ax, start, length, c.grad(), c.slot(0), false);
    });
}

// The axis lengths of a join's inputs: 1 each for stack (nothing stored), each input's own for
// concat, inline up to eight inputs (concatenating a step's two directions allocates nothing).
class join_lengths
{
public:
    static join_lengths ones(std::size_t n)
    {
        join_lengths l;
        l.n_ = n;
        l.ones_ = true;
        return l;
    }
    void push_back(std::size_t v)
    {
        if (big_.empty() && n_ < small_.size())
        {
            small_[n_++] = v;
            return;
        }
        if (big_.empty())
            big_.assign(small_.begin(), small_.end());
        big_.push_back(v);
        ++n_;
    }
    std::size_t size() const { return n_; }
    std::size_t operator[](std::size_t i) const
    {
        return ones_ ? 1 : big_.empty() ? small_[i] : big_[i];
    }

private:
    std::array<std::size_t, 8> small_{};
    std::vector<std::size_t> big_;
    std::size_t n_ = 0;
    bool ones_ = false;
};

// The inputs of a join, from a vector or a braced list (which then builds no vector).
struct var_span
{
    const Variable* first;
    std::size_t n;
    std::size_t size() const { return n; }
    bool empty() const { return n == 0; }
    const Variable* begin() const { return first; }
    const Variable* end() const { return first + n; }
    const Variable& operator[](std::size_t i) const { return first[i]; }
};

// Concatenation along `ax` of inputs whose axis lengths are `lens`.
Variable join(const char* op, var_span xs, std::size_t ax, const shape_t& out_shape,
              join_lengths lens)
{
    Tensor y = Tensor::empty(out_shape, xs[0].dtype());
    const axis_split s = split_at(out_shape, ax);
    dispatch(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        std::size_t at = 0;
        for (std::size_t i = 0; i < xs.size(); ++i)
        {
            copy_rows(xs[i].data().template data<T>(), lens[i] * s.inner,
                      y.data<T>() + at * s.inner, s.n * s.inner, s.outer, lens[i] * s.inner, false);
            at += lens[i];
        }
    });
    return tape::current().record(
        op, y, xs.first, xs.n, [lens = std::move(lens), s](grad_context& c) {
            // Each input receives its own slab of the output gradient.
            dispatch(c.grad().dtype(), [&](auto tag) {
                using T = decltype(tag);
                std::size_t at = 0;
                for (std::size_t i = 0; i < lens.size(); ++i)
                {
                    if (c.needs(i))
                        copy_rows(c.grad().data<T>() + at * s.inner, s.n * s.inner,
                                  c.slot(i).template data<T>(), lens[i] * s.inner, s.outer,
                                  lens[i] * s.inner, true);
                    at += lens[i];
                }
            });
        });
}

void check_joinable(const char* op, var_span xs)
{
    if (xs.empty())
        fail<shape_error>("{}: needs at least one input", op);
    for (const Variable& v : xs)
        detail::check_same_dtype(op, xs[0].data(), v.data());
}

} // namespace

Variable reshape(const Variable& x, const shape_t& shape)
{
    const shape_t in = x.shape();
    Tensor y = x.data().reshape(shape); // throws on a count mismatch
    return record("reshape", y, {x},
                  [in](grad_context& c) { c.accumulate(0, c.grad().reshape(in)); });
}

Variable transpose(const Variable& x)
{
    if (x.dim() != 2)
        fail<shape_error>("transpose: needs a 2-D input, got {} (use transpose(x, a, b))",
                          to_string(x.shape()));
    return transpose(x, 0, 1);
}

Variable transpose(const Variable& x, int axis0, int axis1)
{
    const std::size_t a = normalize_axis("transpose", axis0, x.shape());
    const std::size_t b = normalize_axis("transpose", axis1, x.shape());
    auto swap = [a, b](const Tensor& t) {
        return swap_axes(t, std::min(a, b), std::max(a, b));
    };
    // The gradient of an axis swap is the same swap of the output gradient.
    return record("transpose", swap(x.data()), {x},
                  [swap](grad_context& c) { c.accumulate(0, swap(c.grad())); });
}

Variable narrow(const Variable& x, int axis, std::size_t start, std::size_t length)
{
    const std::size_t ax = normalize_axis("narrow", axis, x.shape());
    if (start > x.shape()[ax] || length > x.shape()[ax] - start) // no wrap-around of start + length
        fail<shape_error>("narrow: range [{}, {}) is outside axis {} of {}", start, start + length,
                          ax, to_string(x.shape()));
    return narrow_impl("narrow", x, ax, start, length, false);
}

Variable select(const Variable& x, int axis, std::size_t index)
{
    const std::size_t ax = normalize_axis("select", axis, x.shape());
    if (index >= x.shape()[ax])
        fail<value_error>("select: index {} is out of range for axis {} of {}", index, ax,
                          to_string(x.shape()));
    return narrow_impl("select", x, ax, index, 1, true);
}

namespace
{

Variable concat_impl(var_span xs, int axis)
{
    check_joinable("concat", xs);
    const std::size_t ax = normalize_axis("concat", axis, xs[0].shape());
    shape_t out_shape = xs[0].shape();
    out_shape[ax] = 0;
    join_lengths lens;
    for (const Variable& v : xs)
    {
        shape_t s = v.shape();
        bool ok = s.size() == out_shape.size();
        for (std::size_t i = 0; ok && i < s.size(); ++i)
            ok = i == ax || s[i] == xs[0].shape()[i];
        if (!ok)
            fail<shape_error>("concat: {} and {} differ outside axis {}", to_string(xs[0].shape()),
                              to_string(s), ax);
        out_shape[ax] += s[ax];
        lens.push_back(s[ax]);
    }
    return join("concat", xs, ax, out_shape, std::move(lens));
}

Variable stack_impl(var_span xs, int axis)
{
    check_joinable("stack", xs);
    const shape_t& s0 = xs[0].shape();
    const int rank = static_cast<int>(s0.size());
    const int a = axis < 0 ? axis + rank + 1 : axis;
    if (a < 0 || a > rank)
        fail<shape_error>("stack: axis {} is out of range for inputs of shape {}", axis,
                          to_string(s0));
    for (const Variable& v : xs)
        if (v.shape() != s0)
            fail<shape_error>("stack: shapes {} and {} differ", to_string(s0),
                              to_string(v.shape()));
    shape_t out_shape = s0;
    out_shape.insert(static_cast<std::size_t>(a), xs.size());
    return join("stack", xs, static_cast<std::size_t>(a), out_shape, join_lengths::ones(xs.size()));
}

} // namespace

Variable concat(const std::vector<Variable>& xs, int axis)
{
    return concat_impl({xs.data(), xs.size()}, axis);
}
Variable concat(std::initializer_list<Variable> xs, int axis)
{
    return concat_impl({xs.begin(), xs.size()}, axis);
}
Variable stack(const std::vector<Variable>& xs, int axis)
{
    return stack_impl({xs.data(), xs.size()}, axis);
}
Variable stack(std::initializer_list<Variable> xs, int axis)
{
    return stack_impl({xs.begin(), xs.size()}, axis);
}

std::vector<Variable> split(const Variable& x, const std::vector<std::size_t>& sizes, int axis)
{
    const std::size_t ax = normalize_axis("split", axis, x.shape());
    const std::size_t total = std::accumulate(sizes.begin(), sizes.end(), std::size_t{0});
    if (total != x.shape()[ax])
        fail<shape_error>("split: sizes add up to {} but axis {} of {} has {}", total, ax,
                          to_string(x.shape()), x.shape()[ax]);
    std::vector<Variable> out;
    std::size_t at = 0;
    for (std::size_t n : sizes)
    {
        out.push_back(narrow_impl("split", x, ax, at, n, false));
        at += n;
    }
    return out;
}

std::vector<Variable> chunk(const Variable& x, std::size_t n, int axis)
{
    const std::size_t ax = normalize_axis("chunk", axis, x.shape());
    if (n == 0 || x.shape()[ax] % n != 0)
        fail<shape_error>("chunk: {} pieces do not divide axis {} of {}", n, ax,
                          to_string(x.shape()));
    return split(x, std::vector<std::size_t>(n, x.shape()[ax] / n), axis);
}

Variable index_select(const Variable& x, const std::vector<std::int64_t>& indices, int axis)
{
    const std::size_t ax = normalize_axis("index_select", axis, x.shape());
    const std::size_t n = x.shape()[ax];
    for (std::int64_t i : indices)
        if (i < 0 || static_cast<std::size_t>(i) >= n)
            fail<value_error>("index_select: index {} is out of range for axis {} of {}", i, ax,
                              to_string(x.shape()));
    shape_t out_shape = x.shape();
    out_shape[ax] = indices.size();
    const axis_split s = split_at(x.shape(), ax);
    Tensor y = Tensor::empty(out_shape, x.dtype());
    dispatch(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* src = x.data().data<T>();
        T* dst = y.data<T>();
        const std::size_t k = indices.size();
        for (std::size_t o = 0; o < s.outer; ++o)
            for (std::size_t j = 0; j < k; ++j)
                std::memcpy(dst + (o * k + j) * s.inner,
                            src + (o * s.n + static_cast<std::size_t>(indices[j])) * s.inner,
                            s.inner * sizeof(T));
    });
    // The backward keeps the indices in a tensor (a pooled block, not a vector per call).
    const Tensor kept = Tensor::from_indices(indices);
    return record("index_select", y, {x}, [kept, s, ax](grad_context& c) {
        // Scatter-add, one row at a time, so repeated indices accumulate.
        if (!c.needs(0))
            return;
        dispatch(c.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>();
            // Along axis 0 (an embedding lookup) only the selected rows change: the gradient
            // stays row-sparse, so optimizers can update just those rows.
            const std::int64_t* indices = kept.data<std::int64_t>();
            const std::size_t k = kept.numel();
            T* dx = (ax == 0 ? c.slot_rows(0, indices, k) : c.slot(0)).template data<T>();
            for (std::size_t o = 0; o < s.outer; ++o)
                for (std::size_t j = 0; j < k; ++j)
                {
                    const T* src = g + (o * k + j) * s.inner;
                    T* dst = dx + (o * s.n + static_cast<std::size_t>(indices[j])) * s.inner;
                    for (std::size_t i = 0; i < s.inner; ++i)
                        dst[i] += src[i];
                }
        });
    });
}

} // namespace xgrad

namespace xgrad
{
namespace
{

// A reshape recorded under its own name (unsqueeze, squeeze).
Variable renamed_reshape(const char* op, const Variable& x, const shape_t& shape)
{
    const shape_t in = x.shape();
    return record(op, x.data().reshape(shape), {x},
                  [in](grad_context& c) { c.accumulate(0, c.grad().reshape(in)); });
}

// out = x with the entries of each lane along `axis` permuted: position j of lane (o, b, i)
// takes source position src(j, b), where b is the lane's index along `batch_axis` (or 0).
// Flipping is an involution, so the same call maps gradients back.
template <class Src>
Tensor permute_axis(const Tensor& x, std::size_t axis, Src&& src, std::size_t batch_axis,
                    bool has_batch)
{
    const axis_split s = split_at(x.shape(), axis);
    // The batch index of a lane is read off its outer or inner coordinate.
    std::size_t batch_inner = 1, batch_n = 1;
    if (has_batch)
    {
        batch_n = x.shape()[batch_axis];
        // Dims between the batch axis and the end of the coordinate that holds it: up to
        // `axis` when it is an outer dim, up to the last dim when it is an inner one.
        const std::size_t end = batch_axis < axis ? axis : x.dim();
        for (std::size_t d = batch_axis + 1; d < end; ++d)
            batch_inner *= x.shape()[d];
    }
    Tensor y = Tensor::empty(x.shape(), x.dtype());
    if (y.numel() == 0)
        return y;
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* py = y.data<T>();
        // Lanes that share a batch index are contiguous runs of `run` elements: copy runs, not
        // single elements strided by `inner` (a time-major [T, B, D] flip copies rows of D).
        const bool batch_outer = !has_batch || batch_axis < axis;
        const std::size_t run = batch_outer ? s.inner : batch_inner;
        for (std::size_t o = 0; o < s.outer; ++o)
            for (std::size_t j = 0; j < s.n; ++j)
                for (std::size_t r = 0; r < s.inner / run; ++r)
                {
                    std::size_t b = 0;
                    if (has_batch)
                        b = (batch_outer ? o / batch_inner : r) % batch_n;
                    const std::size_t off = o * s.n * s.inner + r * run;
                    std::copy_n(px + off + src(j, b) * s.inner, run, py + off + j * s.inner);
                }
    });
    return y;
}

} // namespace

Variable unsqueeze(const Variable& x, int axis)
{
    const int rank = static_cast<int>(x.dim());
    const int a = axis < 0 ? axis + rank + 1 : axis;
    if (a < 0 || a > rank)
        fail<shape_error>("unsqueeze: axis {} is out of range for {}", axis, to_string(x.shape()));
    shape_t s = x.shape();
    s.insert(static_cast<std::size_t>(a), 1);
    return renamed_reshape("unsqueeze", x, s);
}

Variable squeeze(const Variable& x, int axis)
{
    const std::size_t a = normalize_axis("squeeze", axis, x.shape());
    if (x.shape()[a] != 1)
        fail<shape_error>("squeeze: axis {} of {} has size {}, not 1", a, to_string(x.shape()),
                          x.shape()[a]);
    shape_t s = x.shape();
    s.erase(a);
    return renamed_reshape("squeeze", x, s);
}

Variable squeeze(const Variable& x)
{
    shape_t s;
    for (std::size_t d : x.shape())
        if (d != 1)
            s.push_back(d);
    return renamed_reshape("squeeze", x, s);
}

Variable expand(const Variable& x, const shape_t& shape)
{
    Tensor y = broadcast_to(x.data(), shape); // throws when x does not broadcast to shape
    return record("expand", y, {x}, [](grad_context& c) {
        // Every copy of an entry contributes: sum over the broadcast dims.
        c.accumulate(0, sum_to(c.grad(), c.input(0).shape()));
    });
}

Variable flip(const Variable& x, int axis)
{
    const std::size_t ax = normalize_axis("flip", axis, x.shape());
    const std::size_t n = x.shape()[ax];
    auto rev = [n](std::size_t j, std::size_t) {
        return n - 1 - j;
    };
    return record(
        "flip", permute_axis(x.data(), ax, rev, 0, false), {x},
        [ax, rev](grad_context& c) { c.accumulate(0, permute_axis(c.grad(), ax, rev, 0, false)); });
}

Variable flip(const Variable& x, int axis, const std::vector<std::size_t>& lengths, int batch_axis)
{
    const std::size_t ax = normalize_axis("flip", axis, x.shape());
    const std::size_t bx = normalize_axis("flip", batch_axis, x.shape());
    if (ax == bx)
        fail<shape_error>("flip: axis and batch axis are both {} of {}", ax, to_string(x.shape()));
    if (lengths.size() != x.shape()[bx])
        fail<shape_error>("flip: {} lengths for {} entries along axis {} of {}", lengths.size(),
                          x.shape()[bx], bx, to_string(x.shape()));
    for (std::size_t b = 0; b < lengths.size(); ++b)
        if (lengths[b] > x.shape()[ax])
            fail<shape_error>("flip: length {} of entry {} exceeds axis {} of {}", lengths[b], b,
                              ax, to_string(x.shape()));
    // The lengths in a pooled tensor: the forward and the backward share it, no vector copies.
    // `lens` points into `kept`, which every copy of the lambda holds.
    Tensor kept = Tensor::empty({lengths.size()}, i64);
    std::copy(lengths.begin(), lengths.end(), kept.data<std::int64_t>());
    auto rev = [kept, lens = kept.data<std::int64_t>()](std::size_t j, std::size_t b) {
        const auto len = static_cast<std::size_t>(lens[b]);
        return j < len ? len - 1 - j : j;
    };
    return record("flip", permute_axis(x.data(), ax, rev, bx, true), {x},
                  [ax, bx, rev](grad_context& c) {
                      c.accumulate(0, permute_axis(c.grad(), ax, rev, bx, true));
                  });
}

} // namespace xgrad
