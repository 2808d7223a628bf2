// Softmax cross-entropy from logits with integer targets, fused: log-softmax and the negative
// log-likelihood are one op, stable for any logit magnitude, with one pass backward.
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

enum class reduction
{
    mean, // average over the positions that count
    sum,  // sum over the positions that count
    none  // one loss per position (0 where a position does not count)
};

struct cross_entropy_options
{
    reduction reduce = reduction::mean;
    // Positions whose target equals this do not count (PyTorch's default value).
    std::int64_t ignore_index = -100;
    // Optional per-position 0/1 flags, one per target: 0 = does not count (padding past a
    // sequence's end). Empty means every position counts.
    std::vector<std::uint8_t> mask;
};

// logits [..., C], targets: one class index per position (the product of the leading
// dimensions). loss_i = logsumexp(logits_i) - logits_i[target_i]. Output: shape [] for mean
// and sum, the leading shape for none. A mean over zero counted positions is 0 (not NaN).
// Throws shape_error when the counts disagree, value_error for a target outside [0, C).
Variable cross_entropy(const Variable& logits, const std::vector<std::int64_t>& targets,
                       const cross_entropy_options& options = {});
// The same with the targets as an integer tensor of the logits' leading shape (e.g. [T, B] for
// logits [T, B, C]), as PyTorch takes them. Throws value_error for a float target tensor and
// shape_error for another shape.
Variable cross_entropy(const Variable& logits, const Tensor& targets,
                       const cross_entropy_options& options = {});

} // namespace xgrad
