// Sampling sentences from a trained language model, by the tutorial's procedure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "examples/rnnlm/model.hpp"
#include "examples/text/vocabulary.hpp"

namespace rnnlm
{

struct sampling
{
    double temperature = 1.0; // logits are divided by it
    std::size_t top_k = 0;    // 0: sample among all words
    std::size_t max_length = 60;
};

// Starts from SENTENCE_START and draws each next word from the model's distribution, never
// UNKNOWN_TOKEN (the tutorial redraws it; excluding it is the same distribution) nor
// SENTENCE_START, until SENTENCE_END. Returns the words, or nothing if max_length words pass
// without an end.
std::optional<std::vector<std::string>> sample_sentence(Model& m, const text::vocabulary& vocab,
                                                        const sampling& s, xgrad::generator& g);

} // namespace rnnlm
