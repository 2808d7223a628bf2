#include "xgrad/autograd/tensor.hpp"

#include <algorithm>
#include <ostream>

namespace xgrad
{

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
    t.numel_ = xgrad::numel(shape);
    t.dtype_ = dt;
    for (std::size_t d : shape)
        if (d && t.numel_ / d > (std::size_t{1} << 48))
            fail<value_error>("tensor: shape {} is too large", to_string(shape));
    t.block_ = detail::storage_acquire(t.numel_ * dtype_size(dt));
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
    dispatch(dt, [&](auto tag) {
        using T = decltype(tag);
        std::transform(values.begin(), values.end(), t.data<T>(),
                       [](double v) { return static_cast<T>(v); });
    });
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
        dispatch(dtype_, [&](auto tag) {
            using T = decltype(tag);
            std::copy(data<T>(), data<T>() + numel_, out.begin());
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
    return dispatch(dtype_, [&](auto tag) {
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
    dispatch(dtype_, [&](auto src_tag) {
        using S = decltype(src_tag);
        dispatch(dt, [&](auto dst_tag) {
            using D = decltype(dst_tag);
            std::transform(data<S>(), data<S>() + numel_, t.data<D>(),
                           [](S v) { return static_cast<D>(v); });
        });
    });
    return t;
}

Tensor Tensor::reshape(const shape_t& shape) const
{
    if (xgrad::numel(shape) != numel_)
        fail<shape_error>("reshape: cannot view {} ({} elements) as {} ({} elements)",
                          to_string(shape_), numel_, to_string(shape), xgrad::numel(shape));
    Tensor t = *this;
    t.shape_ = shape;
    return t;
}

void Tensor::fill(double value)
{
    dispatch(dtype_, [&](auto tag) {
        using T = decltype(tag);
        std::fill(data<T>(), data<T>() + numel_, static_cast<T>(value));
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
    for (std::size_t i = 0; i < n; ++i)
        os << (i ? ", " : "") << t.flat(i);
    return os << (t.numel() > n ? ", ...}" : "}");
}

} // namespace xgrad
