// Drawing the next token from a model's logits: temperature, optional top-k, then a draw from
// the softmax. Shared by the samplers of rnnlm and char_lm.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "xgrad/autograd/random.hpp"

namespace cli
{

// candidates: (logit, id) pairs, the tokens allowed at this step (reordered in place).
// Returns the id drawn from softmax(logit / temperature) over the top_k largest (0: all).
std::int64_t sample_token(std::vector<std::pair<double, std::int64_t>>& candidates,
                          double temperature, std::size_t top_k, xgrad::generator& g);

} // namespace cli
