// Reductions: sum and mean over all elements or along one axis.
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// Sum of all elements: shape [] (a scalar). d/dx_i = 1.
Variable sum(const Variable& x);
// Sum along `axis` (negative counts from the end): the axis is removed, or kept with size 1 when
// keepdims. Throws shape_error for an axis out of range.
Variable sum(const Variable& x, int axis, bool keepdims = false);
// Mean of all elements (shape []), or along an axis as sum() does. d/dx_i = 1/n.
Variable mean(const Variable& x);
Variable mean(const Variable& x, int axis, bool keepdims = false);

// Tensor-level helpers shared by other ops' backward passes.
// Sums t along `axis`, keeping it with size 1.
Tensor sum_axis(const Tensor& t, std::size_t axis);
// The reverse of broadcasting: sums t down to `shape` (which must broadcast to t's shape).
Tensor sum_to(const Tensor& t, const shape_t& shape);
// Broadcasting materialised: t repeated to `shape` (NumPy rules: trailing dims equal or 1); t
// itself (shared data) when the shapes are already equal.
// Throws shape_error "broadcast_to: [a] does not broadcast to [b]".
Tensor broadcast_to(const Tensor& t, const shape_t& shape);

} // namespace xgrad
