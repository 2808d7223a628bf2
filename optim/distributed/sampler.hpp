// distributed_sampler: which examples each rank trains on in an epoch, with the semantics of
// PyTorch's torch.utils.data.DistributedSampler. Plain C++ (no MPI): in the core library.
//
// Epoch e: a permutation of 0..n-1 drawn from (seed, e) alone (the identity without shuffle),
// the same on every rank; padded by repeating its beginning until its length divides by the
// number of replicas (or, with drop_last, cut to the largest multiple); rank r takes the
// elements r, r + replicas, r + 2 replicas, ... So the ranks' shares are disjoint (apart from
// the padding), equal in size, and their union is the epoch. Padding repeats up to
// replicas - 1 examples per epoch; drop_last leaves up to replicas - 1 out instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xgrad::distributed
{

class distributed_sampler
{
public:
    // Throws value_error for replicas == 0, rank >= replicas, or n == 0 with drop_last and
    // nothing left (n < replicas).
    distributed_sampler(std::size_t n, std::size_t replicas, std::size_t rank, bool shuffle = true,
                        std::uint64_t seed = 0, bool drop_last = false);

    // This rank's examples in epoch `epoch`, size() of them.
    std::vector<std::size_t> indices(std::size_t epoch) const;
    // The epoch's order before it is split (what one process would see), total_size() long.
    std::vector<std::size_t> epoch_order(std::size_t epoch) const;
    std::size_t size() const { return per_rank_; }
    std::size_t total_size() const { return per_rank_ * replicas_; }

private:
    std::size_t n_, replicas_, rank_, per_rank_;
    bool shuffle_, drop_last_;
    std::uint64_t seed_;
};

} // namespace xgrad::distributed
