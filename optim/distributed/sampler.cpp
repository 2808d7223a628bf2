#include "xgrad/optim/distributed/sampler.hpp"

#include <numeric>

#include "xgrad/autograd/error.hpp"

namespace xgrad::distributed
{
namespace
{

// splitmix64: a portable stream (std::shuffle's algorithm is implementation-defined).
std::uint64_t next(std::uint64_t& s)
{
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace

distributed_sampler::distributed_sampler(std::size_t n, std::size_t replicas, std::size_t rank,
                                         bool shuffle, std::uint64_t seed, bool drop_last)
    : n_(n), replicas_(replicas), rank_(rank), shuffle_(shuffle), drop_last_(drop_last), seed_(seed)
{
    if (replicas == 0)
        fail<value_error>("distributed_sampler: 0 replicas");
    if (rank >= replicas)
        fail<value_error>("distributed_sampler: rank {} of {} replicas", rank, replicas);
    // PyTorch: drop_last keeps floor(n / replicas) per rank, else ceil.
    per_rank_ = drop_last ? n / replicas : (n + replicas - 1) / replicas;
    if (per_rank_ == 0 && n > 0)
        fail<value_error>("distributed_sampler: {} examples with drop_last leave none for {} "
                          "replicas",
                          n, replicas);
}

std::vector<std::size_t> distributed_sampler::epoch_order(std::size_t epoch) const
{
    std::vector<std::size_t> order(n_);
    std::iota(order.begin(), order.end(), std::size_t(0));
    if (shuffle_)
    {
        std::uint64_t s = seed_ ^ (0x5851f42d4c957f2dull * (epoch + 1));
        for (std::size_t i = n_; i > 1; --i) // Fisher-Yates
            std::swap(order[i - 1], order[next(s) % i]);
    }
    const std::size_t total = total_size();
    if (order.size() > total)
        order.resize(total); // drop_last
    for (std::size_t i = 0; order.size() < total; ++i)
        order.push_back(order[i % n_]); // padding repeats the beginning (again if needed)
    return order;
}

std::vector<std::size_t> distributed_sampler::indices(std::size_t epoch) const
{
    const std::vector<std::size_t> order = epoch_order(epoch);
    std::vector<std::size_t> mine;
    mine.reserve(per_rank_);
    for (std::size_t i = rank_; i < order.size(); i += replicas_)
        mine.push_back(order[i]);
    return mine;
}

} // namespace xgrad::distributed
