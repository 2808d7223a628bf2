// Ops that move data without arithmetic: reshape, transpose, slicing, joining, gathering.
// Results are contiguous copies (except reshape, which shares the data).
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// Same elements, new shape; throws shape_error when the element counts differ.
Variable reshape(const Variable& x, const shape_t& shape);

// 2-D transpose [M,N] -> [N,M]; throws shape_error for other ranks.
Variable transpose(const Variable& x);
// Swaps two axes of any rank.
Variable transpose(const Variable& x, int axis0, int axis1);

// Elements [start, start + length) along `axis`; the axis keeps `length` entries.
// Throws shape_error when the range leaves the axis.
Variable narrow(const Variable& x, int axis, std::size_t start, std::size_t length);
// Entry `index` along `axis`, with that axis removed (x[t] for axis 0).
Variable select(const Variable& x, int axis, std::size_t index);

// Joins along an existing axis; all other dimensions and the dtypes must agree.
Variable concat(const std::vector<Variable>& xs, int axis);
// Joins along a new axis inserted at `axis` (0..rank); all shapes must be equal.
Variable stack(const std::vector<Variable>& xs, int axis = 0);
// Pieces of the given sizes along `axis`; the sizes must add up to the axis length.
std::vector<Variable> split(const Variable& x, const std::vector<std::size_t>& sizes, int axis);
// n pieces of equal size along `axis`; throws shape_error unless n divides the axis length.
std::vector<Variable> chunk(const Variable& x, std::size_t n, int axis);

// Gathers entries along `axis` by index: out.shape[axis] = indices.size(); the backward pass
// scatter-adds (repeated indices accumulate). With axis 0 on a [V, E] table this is the
// embedding lookup. Throws value_error for an index outside [0, x.shape[axis]).
Variable index_select(const Variable& x, const std::vector<std::int64_t>& indices, int axis = 0);

} // namespace xgrad
