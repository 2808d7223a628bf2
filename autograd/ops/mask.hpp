// Selecting with masks: where, where_rows, masked_fill, and the padding mask of a batch of
// sequences.
//
// A mask is a Tensor of any dtype (no gradient flows into it): an element is true when it is
// non-zero. Masks broadcast as NumPy's arrays do.
#pragma once

#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// out = mask ? a : b elementwise; mask, a and b broadcast together to the output shape.
// a and b must have one dtype (value_error otherwise); shapes that do not broadcast throw
// shape_error naming all three.
// d out/d a = [mask], d out/d b = [!mask] (each summed back to its input's shape).
Variable where(const Tensor& mask, const Variable& a, const Variable& b);

// out[i] = keep[i] ? a[i] : b[i] for each row i (index along axis 0) of a and b, which must have
// one shape [N, ...] and one dtype; keep has N entries. This is how a batch of sequences of
// different lengths keeps the state of a sequence that has ended: forward and backward copy whole
// rows (one memcpy each), where a broadcasting `where` or `keep * a + (1 - keep) * b` touches
// every element several times.
// d out/d a = [keep[i]] on row i, d out/d b = [!keep[i]]. Throws shape_error when the shapes
// differ, a is a scalar or keep.size() != N (naming the shapes), value_error for two dtypes.
Variable where_rows(const std::vector<std::uint8_t>& keep, const Variable& a, const Variable& b);

// x with `value` wherever mask is true; mask must broadcast to x's shape (it may not enlarge it).
// Filling with -inf before a softmax gives masked positions probability 0 (but a fully masked
// row becomes NaN: prefer softmax's own mask argument, which defines that case).
// d out/d x = [!mask]. Throws shape_error when mask does not broadcast to x.
Variable masked_fill(const Variable& x, const Tensor& mask, double value);

// The padding mask of sequences of the given lengths: [T, B] (or [B, T] when batch_first) with 1
// where t < lengths[b] and 0 past the end, in dtype dt. This is the mask the sequence layers
// imply by their `lengths` argument. Throws value_error for a length above T.
Tensor sequence_mask(const std::vector<std::size_t>& lengths, std::size_t T,
                     bool batch_first = false, dtype dt = f32);

namespace detail
{
// n bytes of flags an op keeps for its backward (a mask's truth values, a keep flag per row):
// one pooled tensor block rather than a heap vector per call. Copies share the bytes, as
// Tensor copies do.
class flags
{
public:
    flags() = default;
    explicit flags(std::size_t n) : n_(n), bytes_(Tensor::empty({(n + 3) / 4}, i32)) {}
    std::size_t size() const noexcept { return n_; }
    bool empty() const noexcept { return n_ == 0; }
    // The block is int32 storage; bytes may alias any object (unsigned char access).
    std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(bytes_.data<std::int32_t>()); }
    const std::uint8_t* data() const
    {
        return reinterpret_cast<const std::uint8_t*>(bytes_.data<std::int32_t>());
    }
    std::uint8_t& operator[](std::size_t i) { return data()[i]; }
    std::uint8_t operator[](std::size_t i) const { return data()[i]; }

private:
    std::size_t n_ = 0;
    Tensor bytes_;
};

// The mask's truth values broadcast to `shape`, one byte each (row-major). Throws shape_error
// "<op>: mask <m> does not broadcast to <shape>".
flags mask_bits(const char* op, const Tensor& mask, const shape_t& shape);
} // namespace detail

} // namespace xgrad
