#include "examples/rnnlm/generate.hpp"

#include <algorithm>
#include <cmath>

namespace rnnlm
{

std::optional<std::vector<std::string>> sample_sentence(model& m, const text::vocabulary& vocab,
                                                        const sampling& s, xgrad::generator& g)
{
    std::vector<xgrad::nn::State> state;
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
                cand.emplace_back(logits[i] / s.temperature, id);
        }
        if (s.top_k && s.top_k < cand.size())
        {
            std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(s.top_k),
                              cand.end(), [](auto& a, auto& b) { return a.first > b.first; });
            cand.resize(s.top_k);
        }
        double mx = -INFINITY, z = 0;
        for (auto& c : cand)
            mx = std::max(mx, c.first);
        for (auto& c : cand)
            z += (c.first = std::exp(c.first - mx));
        double r = g.uniform(0, z);
        token = cand.back().second;
        for (auto& c : cand)
            if ((r -= c.first) <= 0)
            {
                token = c.second;
                break;
            }
        if (token == vocab.end_id())
            return words;
        words.push_back(vocab.word(token));
    }
    return std::nullopt;
}

} // namespace rnnlm
