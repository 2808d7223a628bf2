// Corpus BLEU for examples/translate, behind a small interface: a stand-in until the project's
// sacreBLEU-exact examples/metrics/bleu (branch `metrics`) lands, when corpus_bleu() becomes a call
// to it. What this one does follows sacreBLEU's defaults: the 13a tokenizer (mteval-v13a's
// punctuation rules), n-grams up to 4 clipped by the maximum count over all references, the
// closest reference length for the brevity penalty (the shorter on a tie), 'exp' smoothing of
// zero n-gram matches. It is not tested against sacreBLEU's published cases.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace mt
{

struct bleu_score
{
    double score = 0;                   // 0..100
    std::array<double, 4> precisions{}; // percent
    double bp = 0, ratio = 0;
    std::size_t hyp_len = 0, ref_len = 0;
    std::string signature;
    // "BLEU = 31.20 62.1/38.0/25.3/17.1 (BP = 1.000 ratio = 1.012 hyp_len = ... ref_len = ...)"
    std::string format() const;
};

// The 13a tokenizer (sacreBLEU's default).
std::vector<std::string> tokenize_13a(const std::string& line);

// hypotheses[i] against references[i] (one or more each). Throws std::invalid_argument when the
// counts differ or a sentence has no reference.
bleu_score corpus_bleu(const std::vector<std::string>& hypotheses,
                       const std::vector<std::vector<std::string>>& references);

} // namespace mt
