// Scoring a captioner: exact-match rate and corpus BLEU-4 (sacreBLEU's, examples/metrics) of
// greedy captions against the scenes' own, and the same with the images shuffled among the
// examples, the control that proves the decoder reads the picture (a decoder that ignored it
// would score the same either way).
#pragma once

#include <string>
#include <vector>

#include "examples/caption/data.hpp"
#include "examples/caption/model.hpp"

namespace caption
{

// The pictures of examples [first, first + n): [n, 3, 48, 48].
xgrad::Tensor render_batch(const std::vector<example>& data, std::size_t first, std::size_t n,
                           const std::vector<std::size_t>* order = nullptr);

struct scores
{
    double exact = 0, bleu = 0;                   // exact in [0, 1], BLEU 0-100
    double shuffled_exact = 0, shuffled_bleu = 0; // with the images shuffled
    std::vector<std::string> hypotheses;          // in the data's order (unshuffled)
};

// shuffle: also score the control. The shuffle is a fixed derangement (each example gets
// another's picture).
scores evaluate(Captioner& m, const std::vector<example>& data, bool shuffle);

} // namespace caption
