// autograd/parallel.hpp: every index of [0, n) is run exactly once, by chunks, at any thread
// count, also when two threads call at once (one of them then runs alone).
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "xgrad/autograd/blas.hpp"
#include "xgrad/autograd/parallel.hpp"

using namespace xgrad;

namespace parallel_test
{

struct counts
{
    std::vector<std::atomic<int>> hits;
    std::atomic<int> calls{0};
    explicit counts(std::size_t n) : hits(n) {}
};

void mark(void* ctx, std::size_t begin, std::size_t end)
{
    auto& c = *static_cast<counts*>(ctx);
    c.calls.fetch_add(1);
    for (std::size_t i = begin; i < end; ++i)
        c.hits[i].fetch_add(1);
}

bool each_once(const counts& c)
{
    for (const auto& h : c.hits)
        if (h.load() != 1)
            return false;
    return true;
}

} // namespace parallel_test

using namespace parallel_test;

TEST_CASE("parallel_chunks runs every index once at any thread count", "[autograd][parallel]")
{
    const int before = num_threads();
    for (const int threads : {1, 2, 3, 1, 2})
    {
        set_num_threads(threads);
        for (const std::size_t n : {0, 1, 2, 5, 64, 1001})
        {
            INFO("threads " << threads << ", n " << n);
            counts c(n);
            detail::parallel_chunks(n, mark, &c);
            CHECK(each_once(c));
            // One chunk per thread at most, and none empty.
            CHECK(c.calls.load() <= std::max(1, std::min<int>(threads, int(n))));
        }
    }
    set_num_threads(2);
    // Two callers at once: both complete, each index of each job exactly once.
    for (int round = 0; round < 50; ++round)
    {
        counts a(300), b(300);
        std::thread other([&] { detail::parallel_chunks(300, mark, &b); });
        detail::parallel_chunks(300, mark, &a);
        other.join();
        CHECK(each_once(a));
        CHECK(each_once(b));
    }
    set_num_threads(before);
}
