#include "examples/rnnlm/generate.hpp"

#include "examples/common/sampling.hpp"

#include <algorithm>
#include <cmath>

namespace rnnlm
{

std::optional<std::vector<std::string>> sample_sentence(Model& m, const text::vocabulary& vocab,
                                                        const sampling& s, xgrad::generator& g)
{
    xgrad::nn::state_list state;
    std::vector<std::string> words;
    std::int64_t token = vocab.start_id();
    std::vector<std::pair<double, std::int64_t>> cand;
    while (words.size() < s.max_length)
    {
        const std::vector<double> logits = m.step(token, state);
        cand.clear();
        for (std::size_t i = 0; i < logits.size(); ++i)
        {
            const auto id = static_cast<std::int64_t>(i);
            if (id != vocab.unknown_id() && id != vocab.start_id())
                cand.emplace_back(logits[i], id);
        }
        token = cli::sample_token(cand, s.temperature, s.top_k, g);
        if (token == vocab.end_id())
            return words;
        words.push_back(vocab.word(token));
    }
    return std::nullopt;
}

} // namespace rnnlm
