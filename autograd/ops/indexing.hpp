// Gathering and scattering along an axis with a tensor of indices, as torch.gather and
// torch.scatter_add. Index tensors are int64 (Tensor::from_indices makes one) and never receive
// gradients.
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// out[i_0..i_r] = x[i_0.. index[i_0..i_r] ..i_r] (the index replaces the position along `axis`).
// index has x's rank, index.size(d) <= x.size(d) for d != axis, and out has index's shape,
// e.g. picking the gold tag's score of every position: gather(scores [T,B,K], 2, gold [T,B,1]).
// dL/dx scatter-adds dL/dout back to the gathered positions (repeated indices accumulate).
// Throws value_error for an index outside [0, x.size(axis)) or a non-int64 index, shape_error
// for ranks or sizes that do not fit.
Variable gather(const Variable& x, int axis, const Tensor& index);

// out = x, then out[i_0.. index[i_0..i_r] ..i_r] += src[i_0..i_r] for every position of index.
// index, src and x have one rank; index.size(d) <= src.size(d) for all d and <= x.size(d) for
// d != axis. Repeated indices accumulate. dL/dx = dL/dout; dL/dsrc = dL/dout gathered at the
// same positions (0 for src entries index does not cover). Errors as gather.
Variable scatter_add(const Variable& x, int axis, const Tensor& index, const Variable& src);

} // namespace xgrad
