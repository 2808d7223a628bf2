#include "xgrad/autograd/ops/indexing.hpp"

#include <array>
#include <memory>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// Row-major strides of a shape, in elements.
std::array<std::size_t, shape_t::max_rank> strides_of(const shape_t& s)
{
    std::array<std::size_t, shape_t::max_rank> st{};
    std::size_t acc = 1;
    for (std::size_t d = s.size(); d-- > 0;)
    {
        st[d] = acc;
        acc *= s[d];
    }
    return st;
}

// For every position of `index` (row-major): the flat offset in a tensor of shape `target`
// with the index value along `axis`, and the flat offset of the same position in a tensor of
// shape `source` (gather: index's own shape, scatter_add: src's).
struct index_map
{
    std::vector<std::size_t> target, source;
};

std::shared_ptr<index_map> map_indices(const char* op, const shape_t& target, std::size_t axis,
                                       const Tensor& index, const shape_t& source)
{
    if (!index.defined() || index.dtype() != i64)
        fail<value_error>("{}: the index must be an int64 tensor, got {}", op,
                          index.defined() ? dtype_name(index.dtype()) : "an undefined one");
    const shape_t& is = index.shape();
    if (is.size() != target.size())
        fail<shape_error>("{}: index {} and input {} must have the same rank", op, to_string(is),
                          to_string(target));
    for (std::size_t d = 0; d < is.size(); ++d)
        if ((d != axis && is[d] > target[d]) || is[d] > source[d])
            fail<shape_error>("{}: index {} is larger than {} along axis {}", op, to_string(is),
                              to_string(is[d] > source[d] ? source : target), d);
    const auto ts = strides_of(target), ss = strides_of(source);
    auto m = std::make_shared<index_map>();
    const std::size_t n = index.numel();
    m->target.resize(n);
    m->source.resize(n);
    const std::int64_t* pi = index.data<std::int64_t>();
    std::array<std::size_t, shape_t::max_rank> pos{};
    for (std::size_t e = 0; e < n; ++e)
    {
        const std::int64_t v = pi[e];
        if (v < 0 || static_cast<std::size_t>(v) >= target[axis])
            fail<value_error>("{}: index value {} at flat position {} is out of range for axis "
                              "{} of {}",
                              op, v, e, axis, to_string(target));
        std::size_t t = 0, s = 0;
        for (std::size_t d = 0; d < is.size(); ++d)
        {
            t += (d == axis ? static_cast<std::size_t>(v) : pos[d]) * ts[d];
            s += pos[d] * ss[d];
        }
        m->target[e] = t;
        m->source[e] = s;
        // Next row-major position of the index.
        for (std::size_t d = is.size(); d-- > 0;)
        {
            if (++pos[d] < is[d])
                break;
            pos[d] = 0;
        }
    }
    return m;
}

} // namespace

Variable gather(const Variable& x, int axis, const Tensor& index)
{
    const std::size_t ax = normalize_axis("gather", axis, x.shape());
    const auto m =
        map_indices("gather", x.shape(), ax, index, index.defined() ? index.shape() : shape_t{});
    Tensor y = Tensor::empty(index.shape(), x.dtype());
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data().data<T>();
        T* py = y.data<T>();
        for (std::size_t e = 0; e < m->target.size(); ++e)
            py[e] = px[m->target[e]];
    });
    return record("gather", y, {x}, [m](grad_context& c) {
        // Scatter-add of the output gradient to where each value came from.
        Tensor& dx = c.slot(0);
        dispatch(dx.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>();
            T* d = dx.data<T>();
            for (std::size_t e = 0; e < m->target.size(); ++e)
                d[m->target[e]] += g[e];
        });
    });
}

Variable scatter_add(const Variable& x, int axis, const Tensor& index, const Variable& src)
{
    detail::check_same_dtype("scatter_add", x.data(), src.data());
    const std::size_t ax = normalize_axis("scatter_add", axis, x.shape());
    if (src.dim() != x.dim())
        fail<shape_error>("scatter_add: src {} and input {} must have the same rank",
                          to_string(src.shape()), to_string(x.shape()));
    const auto m = map_indices("scatter_add", x.shape(), ax, index, src.shape());
    Tensor y = x.data().clone();
    dispatch(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* ps = src.data().data<T>();
        T* py = y.data<T>();
        for (std::size_t e = 0; e < m->target.size(); ++e)
            py[m->target[e]] += ps[m->source[e]];
    });
    return record("scatter_add", y, {x, src}, [m](grad_context& c) {
        // d out/dx = 1; d out/dsrc picks the output gradient at each scattered position.
        if (c.needs(0))
            c.accumulate(0, c.grad());
        if (!c.needs(1))
            return;
        Tensor& ds = c.slot(1);
        dispatch(ds.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>();
            T* d = ds.data<T>();
            for (std::size_t e = 0; e < m->target.size(); ++e)
                d[m->source[e]] += g[m->target[e]];
        });
    });
}

} // namespace xgrad
