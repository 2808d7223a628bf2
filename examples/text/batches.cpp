#include "examples/text/batches.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace text
{

std::size_t batch::tokens() const
{
    return std::accumulate(lengths.begin(), lengths.end(), std::size_t{0});
}

batch make_batch(const std::vector<sequence>& sequences, const std::vector<std::size_t>& order,
                 std::size_t first, std::size_t count)
{
    batch b;
    b.size = count;
    for (std::size_t j = 0; j < count; ++j)
    {
        const std::size_t len = sequences[order[first + j]].size() - 1;
        b.lengths.push_back(len);
        b.steps = std::max(b.steps, len);
    }
    b.inputs.assign(b.steps * count, 0);
    b.targets.assign(b.steps * count, -100);
    for (std::size_t j = 0; j < count; ++j)
    {
        const sequence& s = sequences[order[first + j]];
        for (std::size_t t = 0; t + 1 < s.size(); ++t)
        {
            b.inputs[t * count + j] = s[t];
            b.targets[t * count + j] = s[t + 1];
        }
    }
    return b;
}

std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, std::size_t epoch,
                                     bool shuffle)
{
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    if (!shuffle)
        return order;
    std::mt19937_64 g(seed * 1000003u + epoch);
    // Fisher-Yates with our own index draws: the same order on every standard library.
    for (std::size_t i = n; i > 1; --i)
    {
        const std::size_t j = static_cast<std::size_t>(g() % i);
        std::swap(order[i - 1], order[j]);
    }
    return order;
}

} // namespace text

namespace text
{

std::vector<std::vector<std::size_t>> epoch_batches(const std::vector<sequence>& sequences,
                                                    std::size_t batch_size, std::uint64_t seed,
                                                    std::size_t epoch, bool shuffle)
{
    std::vector<std::size_t> order = epoch_order(sequences.size(), seed, epoch, shuffle);
    if (shuffle)
    {
        const std::size_t window = 50 * batch_size;
        for (std::size_t w = 0; w < order.size(); w += window)
            std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(w),
                             order.begin() +
                                 static_cast<std::ptrdiff_t>(std::min(order.size(), w + window)),
                             [&](std::size_t a, std::size_t b) {
                                 return sequences[a].size() < sequences[b].size();
                             });
    }
    std::vector<std::vector<std::size_t>> batches;
    for (std::size_t i = 0; i < order.size(); i += batch_size)
        batches.emplace_back(
            order.begin() + static_cast<std::ptrdiff_t>(i),
            order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), i + batch_size)));
    if (shuffle)
    {
        const auto perm = epoch_order(batches.size(), seed + 7919, epoch, true);
        std::vector<std::vector<std::size_t>> shuffled;
        for (std::size_t i : perm)
            shuffled.push_back(std::move(batches[i]));
        batches = std::move(shuffled);
    }
    return batches;
}

batch make_batch(const std::vector<sequence>& sequences, const std::vector<std::size_t>& which)
{
    return make_batch(sequences, which, 0, which.size());
}

} // namespace text
