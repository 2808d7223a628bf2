// Decoding a CTC model's per-frame scores into label sequences, and scoring the result.
//
// Greedy: the most probable class of each frame, then collapse (merge repeats, drop blanks).
// Fast, and not the most probable labelling: many alignments collapse to one labelling, and
// greedy follows only the best alignment.
//
// Prefix beam search (Graves 2012 sec. 7.5; Hannun et al. 2014 without a language model) keeps
// the `beam` most probable label prefixes, each with two log-probabilities over the frames so
// far: of the alignments ending in a blank (p_b) and ending in its last label (p_nb). At frame t
// a prefix l with last label e extends by
//   blank:        p_b(l)      += p(l) y_t(blank)                  p(l) = p_b(l) + p_nb(l)
//   e again:      p_nb(l)     += p_nb(l) y_t(e)       (a repeat merges into the same label)
//                 p_nb(l + e) += p_b(l) y_t(e)        (a blank between makes a new one)
//   other c:      p_nb(l + c) += p(l) y_t(c)
// so it sums over alignments, as the loss does. With a beam at least as wide as the number of
// labellings it is exact (tested against brute force).
//
// Label error rate: sum of edit distances (substitutions, insertions, deletions; Levenshtein)
// divided by the total reference length, as in speech recognition's word/phone error rates.
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xgrad::nn
{

using label_sequence = std::vector<std::int64_t>;

// scores [T, B, C]: log-probabilities or logits (greedy needs only their per-frame argmax).
// input_lengths: B entries in [0, T]; empty means every sample has T frames. Returns B
// labellings. Throws shape_error for a shape that is not 3-D or lengths that do not fit,
// value_error for a length or blank out of range.
std::vector<label_sequence> ctc_greedy_decode(const Tensor& scores,
                                              const std::vector<std::int64_t>& input_lengths = {},
                                              std::int64_t blank = 0);

struct ctc_hypothesis
{
    label_sequence labels;
    double log_prob = 0; // log p(labels | x), summed over the alignments the beam kept
};

// log_probs [T, B, C] (a log_softmax over C). Returns per sample the best `beam` hypotheses
// (fewer when fewer labellings exist), most probable first. Throws as ctc_greedy_decode, and
// value_error for beam 0.
std::vector<std::vector<ctc_hypothesis>>
ctc_beam_search(const Tensor& log_probs, std::size_t beam,
                const std::vector<std::int64_t>& input_lengths = {}, std::int64_t blank = 0);

// The fewest substitutions, insertions and deletions turning hypothesis into reference.
std::size_t edit_distance(const label_sequence& hypothesis, const label_sequence& reference);

// sum_i edit_distance(h_i, r_i) / sum_i |r_i|. When the references hold no label at all: 0 if
// the hypotheses hold none either, +inf otherwise. Throws shape_error when the lists' sizes
// differ.
double label_error_rate(const std::vector<label_sequence>& hypotheses,
                        const std::vector<label_sequence>& references);

} // namespace xgrad::nn
