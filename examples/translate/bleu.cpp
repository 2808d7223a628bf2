#include "examples/translate/bleu.hpp"

#include <stdexcept>

#include <fmt/core.h>

namespace mt
{

bleu_score corpus_bleu(const std::vector<std::string>& hyps,
                       const std::vector<std::vector<std::string>>& refs)
{
    if (hyps.size() != refs.size())
        throw std::invalid_argument(fmt::format("corpus_bleu: {} hypotheses, {} reference lists",
                                                hyps.size(), refs.size()));
    // One segment at a time: the accumulator takes each sentence's own number of references.
    metrics::bleu_accumulator acc;
    for (std::size_t i = 0; i < hyps.size(); ++i)
        acc.add(hyps[i], refs[i]);
    return acc.score();
}

} // namespace mt
