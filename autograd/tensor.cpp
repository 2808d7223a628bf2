#include "xgrad/autograd/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <ostream>

namespace xgrad
{

namespace
{
// static_cast<D>(v), except that a floating value no D can hold throws instead of being undefined
// behaviour. `where` names the caller for the message.
template <class D, class S>
D convert(S v, const char* where, std::size_t index)
{
    if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>)
    {
        // D holds [-2^(b-1), 2^(b-1)), both bounds exact as doubles; NaN fails both tests.
        constexpr double hi = -static_cast<double>(std::numeric_limits<D>::min());
        const double t = std::trunc(static_cast<double>(v));
        if (!(t >= -hi && t < hi))
            fail<value_error>("{}: value {} at index {} does not fit {}", where,
                              static_cast<double>(v), index, dtype_name(dtype_of<D>()));
    }
    return static_cast<D>(v);
}
} // namespace

Tensor::Tensor(const Tensor& o) noexcept
    : block_(o.block_), shape_(o.shape_), numel_(o.numel_), dtype_(o.dtype_)
{
    if (block_)
        block_->refs.fetch_add(1, std::memory_order_relaxed);
}

Tensor::Tensor(Tensor&& o) noexcept
    : block_(o.block_), shape_(o.shape_), numel_(o.numel_), dtype_(o.dtype_)
{
    o.block_ = nullptr;
    o.numel_ = 0;
}

Tensor& Tensor::operator=(const Tensor& o) noexcept
{
    if (o.block_)
        o.block_->refs.fetch_add(1, std::memory_order_relaxed);
    detail::storage_release(block_);
    block_ = o.block_;
    shape_ = o.shape_;
    numel_ = o.numel_;
    dtype_ = o.dtype_;
    return *this;
}

Tensor& Tensor::operator=(Tensor&& o) noexcept
{
    if (this != &o)
    {
        detail::storage_release(block_);
        block_ = o.block_;
        shape_ = o.shape_;
        numel_ = o.numel_;
        dtype_ = o.dtype_;
        o.block_ = nullptr;
        o.numel_ = 0;
    }
    return *this;
}

Tensor Tensor::empty(const shape_t& shape, xgrad::dtype dt)
{
    Tensor t;
    t.shape_ = shape;
    t.numel_ = checked_numel("tensor", shape);
    t.dtype_ = dt;
    if (t.numel_ > (std::size_t{1} << 48))
        fail<shape_error>("tensor: shape {} is too large ({} elements)", to_string(shape),
                          t.numel_);
    const std::size_t bytes = t.numel_ * dtype_size(dt); // <= 2^51: cannot wrap
    try
    {
        t.block_ = detail::storage_acquire(bytes);
    }
    catch (const std::bad_alloc&)
    {
        // A bare bad_alloc says nothing about which of a program's sizes was impossible.
        fail<value_error>("tensor: cannot allocate shape {} of {}: {:.3f} GiB requested, more "
                          "than the system can give",
                          to_string(shape), dtype_name(dt),
                          static_cast<double>(bytes) / double(std::size_t{1} << 30));
    }
    return t;
}

Tensor Tensor::zeros(const shape_t& shape, xgrad::dtype dt)
{
    Tensor t = empty(shape, dt);
    t.zero();
    return t;
}

Tensor Tensor::ones(const shape_t& shape, xgrad::dtype dt)
{
    return full(shape, 1.0, dt);
}

Tensor Tensor::full(const shape_t& shape, double value, xgrad::dtype dt)
{
    Tensor t = empty(shape, dt);
    t.fill(value);
    return t;
}

Tensor Tensor::scalar(double value, xgrad::dtype dt)
{
    return full(shape_t{}, value, dt);
}

Tensor Tensor::from_values(std::initializer_list<double> values, const shape_t& shape,
                           xgrad::dtype dt)
{
    return from_values(std::vector<double>(values), shape, dt);
}

Tensor Tensor::from_values(const std::vector<double>& values, const shape_t& shape, xgrad::dtype dt)
{
    if (values.size() != xgrad::numel(shape))
        fail<shape_error>("tensor: {} values do not fill shape {}", values.size(),
                          to_string(shape));
    Tensor t = empty(shape, dt);
    dispatch_all(dt, [&](auto tag) {
        using T = decltype(tag);
        T* out = t.data<T>();
        for (std::size_t i = 0; i < values.size(); ++i)
            out[i] = convert<T>(values[i], "tensor.from_values", i);
    });
    return t;
}

Tensor Tensor::from_indices(const std::vector<std::int64_t>& indices)
{
    return from_indices(indices, shape_t{indices.size()});
}

Tensor Tensor::from_indices(const std::vector<std::int64_t>& indices, const shape_t& shape)
{
    if (indices.size() != checked_numel("tensor.from_indices", shape))
        fail<shape_error>("tensor.from_indices: {} indices do not fill shape {}", indices.size(),
                          to_string(shape));
    Tensor t = empty(shape, i64);
    std::copy(indices.begin(), indices.end(), t.data<std::int64_t>());
    return t;
}

std::size_t Tensor::size(int axis) const
{
    return shape_[normalize_axis("tensor.size", axis, shape_)];
}

std::vector<double> Tensor::to_vector() const
{
    std::vector<double> out(numel_);
    if (block_)
        dispatch_all(dtype_, [&](auto tag) {
            using T = decltype(tag);
            std::transform(data<T>(), data<T>() + numel_, out.begin(),
                           [](T v) { return static_cast<double>(v); });
        });
    return out;
}

std::vector<std::int64_t> Tensor::to_indices() const
{
    std::vector<std::int64_t> out(numel_);
    if (block_)
        dispatch_all(dtype_, [&](auto tag) {
            using T = decltype(tag);
            const T* p = data<T>();
            for (std::size_t i = 0; i < numel_; ++i)
            {
                if constexpr (std::is_floating_point_v<T>)
                    if (std::trunc(p[i]) != p[i])
                        fail<value_error>("tensor.to_indices: element {} of this {} tensor is {}, "
                                          "not an integer",
                                          i, dtype_name(dtype_), static_cast<double>(p[i]));
                out[i] = convert<std::int64_t>(p[i], "tensor.to_indices", i);
            }
        });
    return out;
}

double Tensor::item() const
{
    if (numel_ != 1)
        fail<shape_error>("tensor.item: needs exactly one element, shape is {}", to_string(shape_));
    return flat(0);
}

double Tensor::flat(std::size_t i) const
{
    if (i >= numel_)
        fail<value_error>("tensor.flat: index {} out of range for {} elements", i, numel_);
    return dispatch_all(dtype_, [&](auto tag) {
        using T = decltype(tag);
        return static_cast<double>(data<T>()[i]);
    });
}

Tensor Tensor::clone() const
{
    if (!block_)
        return Tensor();
    Tensor t = empty(shape_, dtype_);
    std::memcpy(t.raw_data(), raw_data(), nbytes());
    return t;
}

Tensor Tensor::to(xgrad::dtype dt) const
{
    if (!block_ || dt == dtype_)
        return *this;
    Tensor t = empty(shape_, dt);
    dispatch_all(dtype_, [&](auto src_tag) {
        using S = decltype(src_tag);
        dispatch_all(dt, [&](auto dst_tag) {
            using D = decltype(dst_tag);
            const S* src = data<S>();
            D* dst = t.data<D>();
            if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>)
                for (std::size_t i = 0; i < numel_; ++i)
                    dst[i] = convert<D>(src[i], "tensor.to", i);
            else
                std::transform(src, src + numel_, dst, [](S v) { return static_cast<D>(v); });
        });
    });
    return t;
}

Tensor Tensor::reshape(const shape_t& shape) const
{
    const std::size_t n = checked_numel("reshape", shape);
    if (n != numel_)
        fail<shape_error>("reshape: cannot view {} ({} elements) as {} ({} elements)",
                          to_string(shape_), numel_, to_string(shape), n);
    Tensor t = *this;
    t.shape_ = shape;
    return t;
}

void Tensor::fill(double value)
{
    if (!block_)
        return;
    dispatch_all(dtype_, [&](auto tag) {
        using T = decltype(tag);
        std::fill(data<T>(), data<T>() + numel_, convert<T>(value, "tensor.fill", 0));
    });
}

void Tensor::zero()
{
    if (block_)
        std::memset(raw_data(), 0, nbytes());
}

std::ostream& operator<<(std::ostream& os, const Tensor& t)
{
    if (!t.defined())
        return os << "Tensor(undefined)";
    os << "Tensor(" << dtype_name(t.dtype()) << ", " << to_string(t.shape()) << ") {";
    const std::size_t n = std::min<std::size_t>(t.numel(), 16);
    dispatch_all(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        for (std::size_t i = 0; i < n; ++i)
            os << (i ? ", " : "") << t.data<T>()[i]; // integers print exactly
    });
    return os << (t.numel() > n ? ", ...}" : "}");
}

} // namespace xgrad
