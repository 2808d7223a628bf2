#include "examples/common/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cli
{

std::int64_t sample_token(std::vector<std::pair<double, std::int64_t>>& cand, double temperature,
                          std::size_t top_k, xgrad::generator& g)
{
    if (cand.empty())
        throw std::runtime_error("sample_token: no candidate tokens");
    if (top_k && top_k < cand.size())
    {
        std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(top_k),
                          cand.end(), [](auto& a, auto& b) { return a.first > b.first; });
        cand.resize(top_k);
    }
    // Stable softmax of logit / temperature, then inverse-CDF sampling.
    double mx = -INFINITY, z = 0;
    for (auto& c : cand)
        mx = std::max(mx, c.first / temperature);
    for (auto& c : cand)
        z += (c.first = std::exp(c.first / temperature - mx));
    double r = g.uniform(0, z);
    for (auto& c : cand)
        if ((r -= c.first) <= 0)
            return c.second;
    return cand.back().second;
}

} // namespace cli
