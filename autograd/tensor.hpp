// Tensor: a dense, contiguous, row-major array of float, double, int64 or int32 with a shape
// (integer tensors hold indices and other data that is never differentiated). Copies share the
// data (a reference-counted block from the storage pool); clone() copies it. Tensors carry no
// gradient information: that is Variable's job. view<T>() exposes the data as an xtensor
// expression, so any xtensor function can read or write it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iosfwd>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "xgrad/autograd/dtype.hpp"
#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/shape.hpp"
#include "xgrad/autograd/storage.hpp"

namespace xgrad
{

class Tensor
{
public:
    Tensor() noexcept = default;
    Tensor(const Tensor& o) noexcept;
    Tensor(Tensor&& o) noexcept;
    Tensor& operator=(const Tensor& o) noexcept;
    Tensor& operator=(Tensor&& o) noexcept;
    ~Tensor() { detail::storage_release(block_); }

    // Uninitialised contents. Every factory accepts any dtype (integer ones included); a shape
    // whose element count overflows std::size_t, or exceeds 2^48 elements, throws shape_error
    // naming it; one whose memory cannot be allocated throws value_error naming the shape, the
    // dtype and the GiB requested (never a bare std::bad_alloc).
    static Tensor empty(const shape_t& shape, xgrad::dtype dt = f32);
    static Tensor zeros(const shape_t& shape, xgrad::dtype dt = f32);
    static Tensor ones(const shape_t& shape, xgrad::dtype dt = f32);
    static Tensor full(const shape_t& shape, double value, xgrad::dtype dt = f32);
    static Tensor scalar(double value, xgrad::dtype dt = f32);
    // Row-major values, converted as to() converts (2.7 becomes 2 in an integer dtype);
    // throws shape_error when values.size() != numel(shape).
    static Tensor from_values(std::initializer_list<double> values, const shape_t& shape,
                              xgrad::dtype dt = f32);
    static Tensor from_values(const std::vector<double>& values, const shape_t& shape,
                              xgrad::dtype dt = f32);
    // An int64 tensor of indices (token ids, lengths, class labels), exactly represented;
    // shape defaults to [indices.size()]. Throws shape_error when the shape does not hold them.
    static Tensor from_indices(const std::vector<std::int64_t>& indices);
    static Tensor from_indices(const std::vector<std::int64_t>& indices, const shape_t& shape);
    // Evaluates any xtensor expression of float, double, int64 or int32 (the dtype follows the
    // value type).
    template <class E>
    static Tensor from(const xt::xexpression<E>& e);

    bool defined() const { return block_ != nullptr; }
    xgrad::dtype dtype() const { return dtype_; }
    const shape_t& shape() const { return shape_; }
    std::size_t dim() const { return shape_.size(); }
    // Size of one axis (negative counts from the end); throws shape_error when out of range.
    std::size_t size(int axis) const;
    std::size_t numel() const { return numel_; }
    std::size_t nbytes() const { return numel_ * dtype_size(dtype_); }

    // Typed access; throws value_error when T does not match dtype() or the tensor is undefined.
    template <class T>
    T* data()
    {
        check_type<T>();
        return static_cast<T*>(detail::storage_data(block_));
    }
    template <class T>
    const T* data() const
    {
        check_type<T>();
        return static_cast<const T*>(detail::storage_data(block_));
    }
    void* raw_data() { return block_ ? detail::storage_data(block_) : nullptr; }
    const void* raw_data() const { return block_ ? detail::storage_data(block_) : nullptr; }

    // The data as an xtensor container adaptor of this shape (writes go to the tensor).
    template <class T>
    auto view()
    {
        return xt::adapt(data<T>(), numel_, xt::no_ownership(), xt_shape());
    }
    template <class T>
    auto view() const
    {
        return xt::adapt(data<T>(), numel_, xt::no_ownership(), xt_shape());
    }
    template <class T>
    xt::xarray<T> to_xarray() const
    {
        xt::xarray<T> out = xt::zeros<T>(xt_shape());
        dispatch_all(dtype_, [&](auto tag) {
            using S = decltype(tag);
            std::transform(data<S>(), data<S>() + numel_, out.data(),
                           [](S v) { return static_cast<T>(v); });
        });
        return out;
    }
    // Every element as double (int64 values beyond 2^53 round).
    std::vector<double> to_vector() const;
    // Every element as an exact int64: for integer tensors, and for float tensors whose values
    // are all integral (lengths stored as floats). Throws value_error naming the first
    // non-integral (or out-of-range, NaN) value and its flat index otherwise.
    std::vector<std::int64_t> to_indices() const;

    // The value of a one-element tensor; throws shape_error otherwise.
    double item() const;
    // Element at a flat row-major index, as double (for tests and reports; not a hot path).
    double flat(std::size_t i) const;

    Tensor clone() const;
    // Converts to dt elementwise as static_cast does: float -> int truncates toward zero
    // (2.7 -> 2, -2.7 -> -2), int -> float rounds to nearest. A float that no integer of dt can
    // hold (NaN, inf, beyond its range) throws value_error naming the value and its index
    // instead of the cast's undefined behaviour. Shares the data when dt == dtype().
    Tensor to(xgrad::dtype dt) const;
    // Same data, new shape with the same number of elements; throws shape_error otherwise.
    Tensor reshape(const shape_t& shape) const;
    // Sets every element to value, converted as to() converts.
    void fill(double value);
    // Sets every element to zero.
    void zero();

    // True when no other Tensor shares this data: it may then be written in place.
    bool is_unique() const { return block_ && block_->refs.load(std::memory_order_acquire) == 1; }
    bool same_storage(const Tensor& o) const { return block_ && block_ == o.block_; }
    // Identifies this acquisition of the data: never the same for two different buffers, even
    // when the pool hands the same memory out again (0 for an undefined tensor).
    std::uint64_t storage_id() const { return block_ ? block_->generation : 0; }

private:
    template <class T>
    void check_type() const
    {
        if (!block_)
            fail<value_error>("tensor: access to an undefined tensor");
        if (dtype_of<T>() != dtype_)
            fail<value_error>("tensor: accessed as {} but holds {}", dtype_name(dtype_of<T>()),
                              dtype_name(dtype_));
    }
    xt::svector<std::size_t, 4> xt_shape() const
    {
        return xt::svector<std::size_t, 4>(shape_.begin(), shape_.end());
    }

    detail::storage_block* block_ = nullptr;
    shape_t shape_;
    std::size_t numel_ = 0;
    xgrad::dtype dtype_ = f32;
};

template <class E>
Tensor Tensor::from(const xt::xexpression<E>& e)
{
    using T = std::decay_t<typename E::value_type>;
    const auto& x = e.derived_cast();
    xt::xarray<T> tmp = x; // evaluate (a no-op copy for containers, needed for lazy expressions)
    Tensor t = empty(shape_t(tmp.shape().begin(), tmp.shape().end()), dtype_of<T>());
    std::copy(tmp.data(), tmp.data() + tmp.size(), t.data<T>());
    return t;
}

std::ostream& operator<<(std::ostream& os, const Tensor& t);

} // namespace xgrad
