// Embedding: a lookup table [num, dim] as PyTorch's nn.Embedding, with its padding_idx.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

// Init N(0, 1). forward(ids) -> [ids.size(), dim]; forward(ids, shape) -> [shape..., dim] (e.g.
// time-major token ids [T, B]). Throws value_error for an id outside [0, num), shape_error when
// ids do not fill shape.
//
// With a padding_idx (in [-num, num); negative counts from the end and is stored as num +
// padding_idx, as PyTorch), that row starts at zero and never receives gradient: its lookups
// read the row as a constant, so an optimizer leaves it as it is, and the weight's row-sparse
// gradient lists only the other ids. As in PyTorch, writing the row changes what padding
// positions read.
class Embedding : public Module
{
public:
    // Throws value_error if num or dim is zero.
    Embedding(std::size_t num, std::size_t dim, generator& g = default_generator());
    // Throws value_error if num or dim is zero or padding_idx is outside [-num, num).
    Embedding(std::size_t num, std::size_t dim, std::int64_t padding_idx,
              generator& g = default_generator());

    Variable forward(const std::vector<std::int64_t>& ids) const;
    Variable forward(const std::vector<std::int64_t>& ids, const shape_t& shape) const;
    std::string describe() const override;

    // The padding row, counted from the start; empty without one.
    std::optional<std::size_t> padding_idx() const { return padding_; }

    Variable weight;

private:
    std::size_t num_, dim_;
    std::optional<std::size_t> padding_;
};

} // namespace xgrad::nn
