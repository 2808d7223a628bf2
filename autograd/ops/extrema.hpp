// The largest and smallest entries along an axis: max/min with their indices, argmax/argmin,
// and topk for beam search.
//
// NaN propagates: max, min, argmax and argmin select a lane's first NaN if it has one (as
// PyTorch does); topk ranks NaN above every number. Ties: the entry with the lowest index wins
// (max, min, argmax, argmin), and topk lists equal values in index order; the gradient flows only
// to the selected entries. Indices are int64 tensors (Tensor::to_indices() reads them).
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

struct extremum
{
    Variable values; // x's shape without `axis` (or with it at size 1 when keepdims)
    Tensor indices;  // int64, same shape: the position of each value along `axis`
};

// Largest (smallest) entry along `axis` and where it is. dL/dx is dL/dvalues at the selected
// entry and 0 elsewhere. Throws shape_error for an axis out of range, value_error for an empty
// axis (a maximum of nothing is undefined).
extremum max(const Variable& x, int axis, bool keepdims = false);
extremum min(const Variable& x, int axis, bool keepdims = false);

// Positions of the largest (smallest) entries along `axis`, int64; no gradient. Same shape
// rules and errors as max.
Tensor argmax(const Tensor& x, int axis = -1, bool keepdims = false);
Tensor argmin(const Tensor& x, int axis = -1, bool keepdims = false);

// The k largest entries (smallest, with largest = false) along the last axis, in descending
// (ascending) order: values [..., k] and int64 indices [..., k]. dL/dx scatters dL/dvalues back
// to the selected positions. Throws value_error when k exceeds the last dimension, shape_error
// for a scalar.
extremum topk(const Variable& x, std::size_t k, bool largest = true);

} // namespace xgrad
