// Decoding: greedy and batched beam search over a trained Seq2Seq (run in evaluation mode, no
// tape: wrap calls in no_grad and model.eval()).
#pragma once

#include <cstdint>
#include <vector>

#include "examples/translate/model.hpp"

namespace mt
{

struct decode_options
{
    std::size_t beam = 1;         // 1: greedy
    double alpha = 0.6;           // GNMT length penalty lp(n) = ((5 + n) / 6)^alpha
    std::size_t max_length = 100; // hard cap; each sentence also stops at 2 x its length + 10
    std::size_t batch = 32;       // sentences decoded together
};

// Token ids (without </s>) of each source's translation; sources are id sequences, each
// non-empty. With beam 1 this is greedy decoding (argmax of the log-probabilities, the lowest id
// on a tie); beam search with k = 1 gives exactly the same output, which the tests check.
std::vector<std::vector<std::int64_t>>
greedy(Seq2Seq& m, const std::vector<std::vector<std::int64_t>>& sources, const decode_options& o);
// Beam search, batched: B sources x k hypotheses are one batch of B*k decoder rows. Each step
// ranks the k*V continuations of a sentence by total log-probability; those ending in </s> among
// the best k become finished hypotheses (scored logp / lp(length)), the best k others stay live.
// A sentence stops when its best finished hypothesis scores at least as well as every live one
// (at the live one's length), or at its length cap (the live ones then count as finished).
std::vector<std::vector<std::int64_t>>
beam_search(Seq2Seq& m, const std::vector<std::vector<std::int64_t>>& sources,
            const decode_options& o);

// Greedy decoding of one sentence that also records the attention weights of every step (the
// step that produced </s> included): weights[t][s] for target step t and source position s.
// Throws cli::usage_error for a model without attention.
struct attended_translation
{
    std::vector<std::int64_t> tokens;
    std::vector<std::vector<double>> weights;
};
attended_translation greedy_with_attention(Seq2Seq& m, const std::vector<std::int64_t>& source,
                                           const decode_options& o);

// Dispatches on o.beam.
std::vector<std::vector<std::int64_t>>
translate(Seq2Seq& m, const std::vector<std::vector<std::int64_t>>& sources,
          const decode_options& o);

} // namespace mt
