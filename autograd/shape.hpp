// A tensor's shape: up to 8 dimensions stored inline (no heap allocation), plus the helpers every
// op uses to validate and broadcast shapes.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>

namespace xgrad
{

class shape_t
{
public:
    static constexpr std::size_t max_rank = 8;

    shape_t() = default;
    shape_t(std::initializer_list<std::size_t> dims);
    template <class It>
    shape_t(It first, It last)
    {
        for (; first != last; ++first)
            push_back(static_cast<std::size_t>(*first));
    }

    std::size_t size() const { return rank_; }
    bool empty() const { return rank_ == 0; }
    std::size_t& operator[](std::size_t i) { return dims_[i]; }
    std::size_t operator[](std::size_t i) const { return dims_[i]; }
    const std::size_t* begin() const { return dims_.data(); }
    const std::size_t* end() const { return dims_.data() + rank_; }
    std::size_t* begin() { return dims_.data(); }
    std::size_t* end() { return dims_.data() + rank_; }
    std::size_t back() const { return dims_[rank_ - 1]; }

    // Throws xgrad::shape_error beyond max_rank.
    void push_back(std::size_t d);
    void insert(std::size_t pos, std::size_t d);
    void erase(std::size_t pos);

    friend bool operator==(const shape_t& a, const shape_t& b);
    friend bool operator!=(const shape_t& a, const shape_t& b) { return !(a == b); }

private:
    std::array<std::size_t, max_rank> dims_{};
    std::size_t rank_ = 0;
};

// Number of elements (1 for a scalar of rank 0).
std::size_t numel(const shape_t& s);
// numel() that throws shape_error "<op>: shape [..] has more elements than std::size_t can count"
// instead of wrapping around (Tensor::empty and reshape use it: a wrapped count would allocate a
// small buffer for a huge shape).
std::size_t checked_numel(const char* op, const shape_t& s);

// "[3,4]" — the form every error message uses.
std::string to_string(const shape_t& s);

// NumPy broadcasting: align trailing dimensions; each pair must be equal or contain a 1.
// Throws shape_error "<op>: [a] and [b] cannot be broadcast" otherwise.
shape_t broadcast_shapes(const char* op, const shape_t& a, const shape_t& b);

// Whether `from` broadcasts to `to` without changing `to`: from has no more dims, and each of its
// trailing dims equals to's or is 1.
bool broadcasts_to(const shape_t& from, const shape_t& to);

// Turns a possibly negative axis into [0, rank); throws shape_error naming op, axis and shape.
std::size_t normalize_axis(const char* op, int axis, const shape_t& s);

// Product of dims before axis, the dim itself, and the product after it: every axis-wise kernel
// walks a contiguous tensor as [outer, n, inner].
struct axis_split
{
    std::size_t outer, n, inner;
};
axis_split split_at(const shape_t& s, std::size_t axis);

} // namespace xgrad
