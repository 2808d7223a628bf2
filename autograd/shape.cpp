#include "xgrad/autograd/shape.hpp"

#include "xgrad/autograd/error.hpp"

namespace xgrad
{

shape_t::shape_t(std::initializer_list<std::size_t> dims)
{
    for (std::size_t d : dims)
        push_back(d);
}

void shape_t::push_back(std::size_t d)
{
    if (rank_ == max_rank)
        fail<shape_error>("shape: more than {} dimensions are not supported", max_rank);
    dims_[rank_++] = d;
}

void shape_t::insert(std::size_t pos, std::size_t d)
{
    if (rank_ == max_rank)
        fail<shape_error>("shape: more than {} dimensions are not supported", max_rank);
    for (std::size_t i = rank_; i > pos; --i)
        dims_[i] = dims_[i - 1];
    dims_[pos] = d;
    ++rank_;
}

void shape_t::erase(std::size_t pos)
{
    for (std::size_t i = pos; i + 1 < rank_; ++i)
        dims_[i] = dims_[i + 1];
    --rank_;
}

bool operator==(const shape_t& a, const shape_t& b)
{
    if (a.rank_ != b.rank_)
        return false;
    for (std::size_t i = 0; i < a.rank_; ++i)
        if (a.dims_[i] != b.dims_[i])
            return false;
    return true;
}

std::size_t numel(const shape_t& s)
{
    std::size_t n = 1;
    for (std::size_t d : s)
        n *= d;
    return n;
}

std::size_t checked_numel(const char* op, const shape_t& s)
{
    std::size_t n = 1;
    for (std::size_t d : s)
        if (d == 0)
            return 0; // the true product, whatever the other dimensions
    for (std::size_t d : s)
        if (__builtin_mul_overflow(n, d, &n))
            fail<shape_error>("{}: shape {} has more elements than std::size_t can count", op,
                              to_string(s));
    return n;
}

std::string to_string(const shape_t& s)
{
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        if (i)
            out += ',';
        out += std::to_string(s[i]);
    }
    return out + "]";
}

shape_t broadcast_shapes(const char* op, const shape_t& a, const shape_t& b)
{
    const std::size_t rank = std::max(a.size(), b.size());
    shape_t out;
    for (std::size_t i = 0; i < rank; ++i)
    {
        // Walk both shapes aligned at their last dimension.
        const std::size_t ia = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
        const std::size_t ib = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
        if (ia != ib && ia != 1 && ib != 1)
            fail<shape_error>("{}: {} and {} cannot be broadcast (dimension {}: {} vs {})", op,
                              to_string(a), to_string(b), i, ia, ib);
        out.push_back(ia == 1 ? ib : ia);
    }
    return out;
}

std::size_t normalize_axis(const char* op, int axis, const shape_t& s)
{
    const int rank = static_cast<int>(s.size());
    const int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
        fail<shape_error>("{}: axis {} is out of range for shape {}", op, axis, to_string(s));
    return static_cast<std::size_t>(a);
}

axis_split split_at(const shape_t& s, std::size_t axis)
{
    axis_split r{1, s[axis], 1};
    for (std::size_t i = 0; i < axis; ++i)
        r.outer *= s[i];
    for (std::size_t i = axis + 1; i < s.size(); ++i)
        r.inner *= s[i];
    return r;
}

bool broadcasts_to(const shape_t& from, const shape_t& to)
{
    if (from.size() > to.size())
        return false;
    for (std::size_t i = 0; i < from.size(); ++i)
    {
        const std::size_t d = from[from.size() - 1 - i];
        if (d != 1 && d != to[to.size() - 1 - i])
            return false;
    }
    return true;
}

} // namespace xgrad
