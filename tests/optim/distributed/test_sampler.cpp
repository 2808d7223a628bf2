// optim/distributed/sampler.hpp: PyTorch's DistributedSampler semantics (padding by repeating
// the beginning, drop_last, strided shares), disjoint shares whose union is the epoch, one
// order per (seed, epoch), and the errors.
#include <algorithm>
#include <set>

#include "tests/support.hpp"
#include "xgrad/optim/distributed/sampler.hpp"

using xgrad::distributed::distributed_sampler;

TEST_CASE("distributed_sampler: PyTorch's shares, padding and drop_last", "[distributed]")
{
    // n = 10 over 3 replicas without shuffling: [0..9] padded with 0, 1 to 12; rank r takes
    // r, r+3, ... (torch: list(DistributedSampler(range(10), 3, r, shuffle=False))).
    using v = std::vector<std::size_t>;
    CHECK(distributed_sampler(10, 3, 0, false).indices(0) == v{0, 3, 6, 9});
    CHECK(distributed_sampler(10, 3, 1, false).indices(0) == v{1, 4, 7, 0});
    CHECK(distributed_sampler(10, 3, 2, false).indices(0) == v{2, 5, 8, 1});
    // drop_last: floor(10 / 3) = 3 each, the last one left out.
    CHECK(distributed_sampler(10, 3, 2, false, 0, true).indices(0) == v{2, 5, 8});
    CHECK(distributed_sampler(10, 3, 0, false, 0, true).size() == 3);
    // Fewer examples than replicas: the padding wraps more than once.
    CHECK(distributed_sampler(2, 5, 4, false).indices(0) == v{0});

    for (const bool drop : {false, true})
    {
        const std::size_t n = 23, replicas = 4;
        std::multiset<std::size_t> all;
        for (std::size_t r = 0; r < replicas; ++r)
        {
            const distributed_sampler s(n, replicas, r, true, 42, drop);
            const auto mine = s.indices(3);
            CHECK(mine.size() == s.size());
            CHECK(mine == s.indices(3)); // the same order again
            CHECK(mine != s.indices(4)); // another epoch, another order
            all.insert(mine.begin(), mine.end());
        }
        const distributed_sampler s0(n, replicas, 0, true, 42, drop);
        CHECK(all.size() == s0.total_size());
        const auto order = s0.epoch_order(3);
        CHECK(std::multiset<std::size_t>(order.begin(), order.end()) == all);
        // Every example once, plus the padding's repeats (or minus the dropped tail).
        CHECK(std::set<std::size_t>(all.begin(), all.end()).size() == (drop ? 20u : n));
    }
    CHECK(distributed_sampler(23, 4, 0, true, 1).indices(0) !=
          distributed_sampler(23, 4, 0, true, 2).indices(0));
    CHECK_THROWS_AS(distributed_sampler(10, 0, 0), xgrad::value_error);
    CHECK_THROWS_AS(distributed_sampler(10, 3, 3), xgrad::value_error);
    CHECK_THROWS_AS(distributed_sampler(2, 3, 0, true, 0, true), xgrad::value_error);
}
