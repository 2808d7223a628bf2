// Connectionist Temporal Classification (Graves et al. 2006): the negative log-likelihood of a
// label sequence given per-frame class scores, summed over every frame-level alignment, so a
// recogniser trains on (signal, transcript) pairs without knowing where each symbol is spoken.
//
// An alignment pi of length T emits one class per frame; collapsing it (merge repeats, then drop
// blanks) must give the target l. With the target extended by blanks, l' = (b, l_1, b, ..., l_S,
// b) of length 2S+1, the forward variables (log space, lp_t(k) = log y_t(k))
//   alpha_0(0) = lp_0(b), alpha_0(1) = lp_0(l_1), alpha_0(s > 1) = -inf
//   alpha_t(s) = lp_t(l'_s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1),
//                                       alpha_{t-1}(s-2) if l'_s != b and l'_s != l'_{s-2})
// give log p(l | x) = logsumexp(alpha_{T-1}(2S), alpha_{T-1}(2S-1)); the backward variables beta
// run the same recursion from the end. Both include frame t's own term, so the occupation
//   gamma_t(k) = sum_{s: l'_s = k} exp(alpha_t(s) + beta_t(s) - lp_t(k) - log p)
// is the posterior probability that frame t emits k (it sums to 1 over k), and
//   d(-log p) / d lp_t(k) = -gamma_t(k)                      (ctc_loss: the true gradient)
//   d(-log p) / d x_t(k)  = softmax_t(k) - gamma_t(k)        (ctc_loss_from_logits)
// PyTorch's CPU kernel returns the second expression as the gradient of log-probabilities, which
// is right only after a log_softmax; ctc_loss here passes gradcheck on any input.
// Frames at or past a sample's input length get gradient 0.
//
// Edge cases: a target that no alignment of its input length can produce (T_b < S_b + the
// number of adjacent repeated labels, each needing a blank between them) has p = 0: its loss is
// +inf and its gradient NaN, as in PyTorch; with zero_infinity its loss and gradient are 0. An
// empty target (S_b = 0) is the all-blank alignment. Forward and backward sums run in float64
// whatever the input's dtype; a sum whose every term is -inf is -inf, never NaN.
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/autograd/ops/loss.hpp"

namespace xgrad
{

struct ctc_options
{
    std::int64_t blank = 0;
    // mean: each sample's loss divided by its target length (1 for an empty target), then the
    // average over the batch (PyTorch's 'mean'); sum: the sum over the batch; none: shape [B].
    reduction reduce = reduction::mean;
    // Infeasible samples (loss +inf) count as loss 0 with gradient 0.
    bool zero_infinity = false;
};

// log_probs [T, B, C]: per-frame log-probabilities (a log_softmax over C, though any values are
// differentiated correctly). targets: int64 or int32, either [B, S_max] padded (row b's first
// target_lengths[b] entries count) or 1-D holding all targets concatenated (sum of
// target_lengths entries). input_lengths, target_lengths: B entries, 0 <= input_length <= T.
// Output: [] for mean and sum, [B] for none.
// Throws shape_error when log_probs is not 3-D or the lengths or targets do not fit its batch,
// value_error for a length out of range, a blank outside [0, C), or a target label outside
// [0, C) or equal to the blank (naming the sample and position).
Variable ctc_loss(const Variable& log_probs, const Tensor& targets,
                  const std::vector<std::int64_t>& input_lengths,
                  const std::vector<std::int64_t>& target_lengths, const ctc_options& options = {});
// The same with one label list per sample (target lengths are the lists' sizes).
Variable ctc_loss(const Variable& log_probs, const std::vector<std::vector<std::int64_t>>& targets,
                  const std::vector<std::int64_t>& input_lengths, const ctc_options& options = {});

// Fused: logits [T, B, C] go through a log_softmax over C inside the op. Same value as
// ctc_loss(log_softmax(logits), ...), one op on the tape, and a backward of one pass
// (softmax - gamma) instead of two.
Variable ctc_loss_from_logits(const Variable& logits, const Tensor& targets,
                              const std::vector<std::int64_t>& input_lengths,
                              const std::vector<std::int64_t>& target_lengths,
                              const ctc_options& options = {});
Variable ctc_loss_from_logits(const Variable& logits,
                              const std::vector<std::vector<std::int64_t>>& targets,
                              const std::vector<std::int64_t>& input_lengths,
                              const ctc_options& options = {});

} // namespace xgrad
