// Ops that move data without arithmetic: reshape, transpose, slicing, joining, gathering.
// Results are contiguous copies (except reshape, unsqueeze and squeeze, which share the data).
#pragma once

#include <cstdint>
#include <initializer_list>
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
// Entry `index` along `axis`, with that axis removed (x[t] for axis 0). An index past the end
// throws value_error, as index_select's and gather's do.
Variable select(const Variable& x, int axis, std::size_t index);

// Joins along an existing axis; all other dimensions and the dtypes must agree. The braced-list
// forms (concat({a, b}, 1)) build no vector.
Variable concat(const std::vector<Variable>& xs, int axis);
Variable concat(std::initializer_list<Variable> xs, int axis);
// Joins along a new axis inserted at `axis` (0..rank); all shapes must be equal.
Variable stack(const std::vector<Variable>& xs, int axis = 0);
Variable stack(std::initializer_list<Variable> xs, int axis = 0);
// Pieces of the given sizes along `axis`; the sizes must add up to the axis length.
std::vector<Variable> split(const Variable& x, const std::vector<std::size_t>& sizes, int axis);
// n pieces of equal size along `axis`; throws shape_error unless n divides the axis length.
std::vector<Variable> chunk(const Variable& x, std::size_t n, int axis);

// A new axis of size 1 at `axis` (0..rank; negative counts from rank + 1, as PyTorch).
Variable unsqueeze(const Variable& x, int axis);
// Removes `axis`, which must have size 1 (shape_error otherwise: PyTorch silently keeps it,
// which hides shape bugs).
Variable squeeze(const Variable& x, int axis);
// Removes every axis of size 1.
Variable squeeze(const Variable& x);

// x broadcast to `shape` (NumPy rules: x's trailing dims equal those of shape or are 1) and
// materialised. dL/dx sums dL/dout over the broadcast dims. Throws shape_error otherwise.
Variable expand(const Variable& x, const shape_t& shape);

// x reversed along `axis`. Its own derivative: dL/dx is dL/dout flipped the same way.
Variable flip(const Variable& x, int axis);
// Reverses, for each entry b along `batch_axis`, only the first lengths[b] positions along
// `axis` and leaves the padding after them in place: [T, B, F] sequences of lengths (3, 1) with
// flip(x, 0, lengths, 1) read backwards from their last real step, as a bidirectional layer's
// reverse direction needs. Throws shape_error unless lengths has x.size(batch_axis) entries
// within [0, x.size(axis)] and the two axes differ.
Variable flip(const Variable& x, int axis, const std::vector<std::size_t>& lengths, int batch_axis);

// Gathers entries along `axis` by index: out.shape[axis] = indices.size(); the backward pass
// scatter-adds (repeated indices accumulate). With axis 0 on a [V, E] table this is the
// embedding lookup. Throws value_error for an index outside [0, x.shape[axis]).
Variable index_select(const Variable& x, const std::vector<std::int64_t>& indices, int axis = 0);

} // namespace xgrad
