#include "xgrad/autograd/ops/mask.hpp"

#include <algorithm>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xoperation.hpp>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{

detail::flags detail::mask_bits(const char* op, const Tensor& mask, const shape_t& shape)
{
    if (!mask.defined())
        fail<value_error>("{}: the mask is undefined", op);
    if (!broadcasts_to(mask.shape(), shape))
        fail<shape_error>("{}: mask {} does not broadcast to {}", op, to_string(mask.shape()),
                          to_string(shape));
    flags bits(numel(shape));
    if (bits.empty())
        return bits;
    dispatch_all(mask.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* m = mask.data<T>();
        if (mask.shape() == shape)
        {
            for (std::size_t i = 0; i < bits.size(); ++i)
                bits[i] = m[i] != T(0);
            return;
        }
        auto b = xt::adapt(bits.data(), bits.size(), xt::no_ownership(),
                           xt::svector<std::size_t, 4>(shape.begin(), shape.end()));
        xt::noalias(b) = xt::broadcast(xt::cast<std::uint8_t>(xt::not_equal(mask.view<T>(), T(0))),
                                       xt::svector<std::size_t, 4>(shape.begin(), shape.end()));
    });
    return bits;
}

namespace
{
// g where keep[i], 0 elsewhere (keep is `bits` or its complement), summed down to `shape`.
Tensor masked_grad(const Tensor& g, const detail::flags& bits, bool keep, const shape_t& shape)
{
    Tensor out = Tensor::empty(g.shape(), g.dtype());
    dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pg = g.data<T>();
        T* po = out.data<T>();
        for (std::size_t i = 0; i < bits.size(); ++i)
            po[i] = (bits[i] != 0) == keep ? pg[i] : T(0);
    });
    return sum_to(out, shape);
}

} // namespace

Variable where(const Tensor& mask, const Variable& a, const Variable& b)
{
    detail::check_same_dtype("where", a.data(), b.data());
    if (!mask.defined())
        fail<value_error>("where: the mask is undefined");
    shape_t s;
    try
    {
        s = broadcast_shapes("where", broadcast_shapes("where", mask.shape(), a.shape()),
                             b.shape());
    }
    catch (const shape_error&)
    {
        fail<shape_error>("where: mask {}, a {} and b {} cannot be broadcast together",
                          to_string(mask.shape()), to_string(a.shape()), to_string(b.shape()));
    }
    const detail::flags bits = detail::mask_bits("where", mask, s);
    const Tensor av = broadcast_to(a.data(), s), bv = broadcast_to(b.data(), s);
    Tensor y = Tensor::empty(s, a.dtype());
    dispatch(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *pa = av.data<T>(), *pb = bv.data<T>();
        T* py = y.data<T>();
        const std::uint8_t* m = bits.data();
        for (std::size_t i = 0; i < bits.size(); ++i)
            py[i] = m[i] ? pa[i] : pb[i];
    });
    return record("where", y, {a, b}, [bits](grad_context& c) {
        // d out/da = [mask], d out/db = [!mask]
        if (c.needs(0))
            c.accumulate(0, masked_grad(c.grad(), bits, true, c.input(0).shape()));
        if (c.needs(1))
            c.accumulate(1, masked_grad(c.grad(), bits, false, c.input(1).shape()));
    });
}

namespace
{
// Row i of `out` is row i of g when (keep[i] != 0) == side, zeros otherwise.
Tensor row_grad(const Tensor& g, const detail::flags& keep, bool side)
{
    Tensor out = Tensor::empty(g.shape(), g.dtype());
    const std::size_t row = g.numel() / keep.size();
    dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pg = g.data<T>();
        T* po = out.data<T>();
        for (std::size_t i = 0; i < keep.size(); ++i)
            if ((keep[i] != 0) == side)
                std::copy_n(pg + i * row, row, po + i * row);
            else
                std::fill_n(po + i * row, row, T(0));
    });
    return out;
}
} // namespace

Variable where_rows(const std::vector<std::uint8_t>& keep, const Variable& a, const Variable& b)
{
    detail::check_same_dtype("where_rows", a.data(), b.data());
    if (a.shape() != b.shape() || a.shape().empty() || a.shape()[0] != keep.size())
        fail<shape_error>("where_rows: a {} and b {} must have one shape with {} rows (one per "
                          "keep flag)",
                          to_string(a.shape()), to_string(b.shape()), keep.size());
    detail::flags flags(keep.size());
    std::copy(keep.begin(), keep.end(), flags.data());
    Tensor y = Tensor::empty(a.shape(), a.dtype());
    const std::size_t row = keep.empty() ? 0 : y.numel() / keep.size();
    dispatch(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *pa = a.data().data<T>(), *pb = b.data().data<T>();
        T* py = y.data<T>();
        for (std::size_t i = 0; i < keep.size(); ++i)
            std::copy_n((keep[i] ? pa : pb) + i * row, row, py + i * row);
    });
    return record("where_rows", y, {a, b}, [flags](grad_context& c) {
        // d out/da = [keep_i] on row i, d out/db = [!keep_i]
        if (c.needs(0))
            c.accumulate(0, row_grad(c.grad(), flags, true));
        if (c.needs(1))
            c.accumulate(1, row_grad(c.grad(), flags, false));
    });
}

Variable masked_fill(const Variable& x, const Tensor& mask, double value)
{
    const detail::flags bits = detail::mask_bits("masked_fill", mask, x.shape());
    Tensor y = x.data().clone();
    dispatch(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* py = y.data<T>();
        const T v = static_cast<T>(value);
        for (std::size_t i = 0; i < bits.size(); ++i)
            if (bits[i])
                py[i] = v;
    });
    return record("masked_fill", y, {x}, [bits](grad_context& c) {
        // d out/dx = 1 where kept, 0 where filled
        c.accumulate(0, masked_grad(c.grad(), bits, false, c.input(0).shape()));
    });
}

Tensor sequence_mask(const std::vector<std::size_t>& lengths, std::size_t T, bool batch_first,
                     dtype dt)
{
    const std::size_t B = lengths.size();
    for (std::size_t b = 0; b < B; ++b)
        if (lengths[b] > T)
            fail<value_error>("sequence_mask: length {} of sequence {} is above T = {}", lengths[b],
                              b, T);
    Tensor m = Tensor::zeros(batch_first ? shape_t{B, T} : shape_t{T, B}, dt);
    dispatch_all(dt, [&](auto tag) {
        using E = decltype(tag);
        E* p = m.data<E>();
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t t = 0; t < lengths[b]; ++t)
                p[batch_first ? b * T + t : t * B + b] = E(1);
    });
    return m;
}

} // namespace xgrad
