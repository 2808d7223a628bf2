// Corpus BLEU of translations against their references, through examples/metrics (sacreBLEU-
// exact; defaults: 13a tokenizer, 'exp' smoothing, closest reference length).
#pragma once

#include <string>
#include <vector>

#include "examples/metrics/bleu.hpp"

namespace mt
{

using bleu_score = metrics::bleu_score;

// hypotheses[i] against references[i]: one or more each, their number may vary (the signature
// then says nrefs:var). Throws std::invalid_argument when the counts differ or a sentence has no
// reference.
bleu_score corpus_bleu(const std::vector<std::string>& hypotheses,
                       const std::vector<std::vector<std::string>>& references);

} // namespace mt
