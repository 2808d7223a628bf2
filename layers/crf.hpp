// A linear-chain conditional random field over tag sequences, for taggers (POS, NER): the
// output layer that scores whole tag sequences instead of one tag at a time.
//
// For emissions e[t, b, k] (a tagger's per-word tag scores) and tags y_0..y_{n-1} of a sentence
// of length n, the score of the sequence is
//     s(y) = start[y_0] + sum_{t<n} e[t, y_t] + sum_{1<=t<n} transitions[y_{t-1}, y_t] +
//     end[y_{n-1}]
// and P(y | e) = exp(s(y)) / Z with Z = sum over all K^n sequences, computed by the forward
// algorithm in log space:
//     alpha_0[j] = start[j] + e[0, j]
//     alpha_t[j] = logsumexp_i(alpha_{t-1}[i] + transitions[i, j]) + e[t, j]     (t < n)
//     log Z      = logsumexp_j(alpha_{n-1}[j] + end[j])
// Each step is ordinary ops on the tape, so backward() of log Z gives the marginals
// P(y_t = k) as d log Z / d e[t, k]. decode() is Viterbi (max instead of logsumexp, with
// backpointers), not recorded. Sentences of a batch have their own lengths; positions past a
// sentence's end have no effect on its score, its Z, its path or any gradient.
// Parameters as pytorch-crf's CRF: start_transitions [K], end_transitions [K], transitions
// [K, K] (from i to j), init U(-0.1, 0.1).
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

class CRF : public Module
{
public:
    // Throws value_error if num_tags is zero.
    explicit CRF(std::size_t num_tags, generator& g = default_generator());
    std::size_t num_tags() const { return k_; }
    std::string describe() const override;

    // Forbidden moves have probability exactly 0 and are never decoded, e.g. O -> I-PER and
    // START -> I-PER for BIO tags. Throws value_error for a tag >= num_tags().
    void forbid_transition(std::size_t from, std::size_t to);
    void forbid_start(std::size_t tag);
    void forbid_end(std::size_t tag);

    // log Z of every sentence: emissions [T, B, K], lengths B values in 1..T (empty: all T)
    // -> [B].
    Variable log_partition(const Variable& emissions, const std::vector<std::size_t>& lengths = {});
    // s(y) of the given tags (time-major: tags[t * B + b], entries past a length are ignored,
    // each in 0..K-1) -> [B].
    Variable score(const Variable& emissions, const std::vector<std::int64_t>& tags,
                   const std::vector<std::size_t>& lengths = {});
    // Negative log-likelihood sum_b (log Z_b - s_b(y_b)), divided by B when `mean`: a scalar.
    // (A forbidden gold move gives +inf: the data contradicts the constraints.)
    Variable nll(const Variable& emissions, const std::vector<std::int64_t>& tags,
                 const std::vector<std::size_t>& lengths = {}, bool mean = true);
    // The most likely tag sequence of every sentence (lengths[b] tags each), by Viterbi.
    std::vector<std::vector<std::int64_t>> decode(const Variable& emissions,
                                                  const std::vector<std::size_t>& lengths = {});

    Variable start_transitions, end_transitions, transitions;

    // All of the above throw shape_error naming the shapes when emissions are not
    // [T, B, num_tags()] with T, B >= 1, or lengths/tags have the wrong count, and value_error
    // for a length outside 1..T or a tag outside 0..K-1.

private:
    // Checks the shapes and lengths; n gets each sentence's length (T where lengths is empty).
    void check(const char* op, const Variable& emissions, const std::vector<std::size_t>& lengths,
               std::vector<std::size_t>& n) const;

    std::size_t k_;
    // 1 where forbidden: [K, K] for transitions (from * K + to), [K] for start and end.
    std::vector<std::uint8_t> forbidden_, forbidden_start_, forbidden_end_;
    bool constrained_ = false;

    // The parameters with forbidden entries at -inf (the parameters themselves when none are).
    Variable effective(const Variable& p, const std::vector<std::uint8_t>& forbidden) const;
};

} // namespace xgrad::nn
