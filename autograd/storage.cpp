#include "xgrad/autograd/storage.hpp"

#include <cstdlib>
#include <new>
#include <vector>

namespace xgrad
{
namespace detail
{
namespace
{

constexpr std::size_t header = 64;
constexpr std::size_t n_classes = 8 + 56 * 4;

// Size classes: multiples of 64 bytes up to 512, then four classes per power of two, so a block
// wastes at most a quarter of its size. Returns the rounded size and writes the class index.
std::size_t round_size(std::size_t bytes, std::uint32_t& cls)
{
    if (bytes <= 512)
    {
        const std::size_t r = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
        cls = static_cast<std::uint32_t>(r / 64 - 1);
        return r;
    }
    unsigned k = 63u - static_cast<unsigned>(__builtin_clzll(bytes - 1)); // 2^k < bytes <= 2^(k+1)
    const std::size_t p = std::size_t{1} << k;
    const std::size_t step = p / 4;
    const std::size_t r = (bytes + step - 1) / step * step;
    const std::size_t sub = (r - p) / step; // 1..4
    cls = static_cast<std::uint32_t>(8 + (k - 9) * 4 + (sub - 1));
    return r;
}

std::atomic<std::size_t> cache_limit{std::size_t{2} << 30};
std::atomic<std::uint64_t> next_generation{1};

struct pool
{
    std::vector<storage_block*> free[n_classes];
    memory_stats stats;

    ~pool()
    {
        for (auto& list : free)
            for (storage_block* b : list)
                std::free(b);
        alive = false;
    }
    static thread_local bool alive;
};
thread_local bool pool::alive = true;

pool& local_pool()
{
    thread_local pool p;
    return p;
}

} // namespace

storage_block* storage_acquire(std::size_t bytes)
{
    if (bytes > (std::size_t{1} << 50))
        throw std::bad_alloc(); // a wrapped-around size, not a real request
    std::uint32_t cls = 0;
    const std::size_t r = round_size(bytes, cls);
    if (pool::alive && cls < n_classes)
    {
        pool& p = local_pool();
        auto& list = p.free[cls];
        if (!list.empty())
        {
            storage_block* b = list.back();
            list.pop_back();
            p.stats.cached_bytes -= b->capacity;
            ++p.stats.reused_allocations;
            b->refs.store(1, std::memory_order_relaxed);
            b->generation = next_generation.fetch_add(1, std::memory_order_relaxed);
            return b;
        }
        ++p.stats.fresh_allocations;
    }
    void* mem = std::aligned_alloc(64, header + r);
    if (!mem)
        throw std::bad_alloc();
    auto* b = new (mem) storage_block;
    b->refs.store(1, std::memory_order_relaxed);
    b->size_class = cls;
    b->capacity = r;
    b->generation = next_generation.fetch_add(1, std::memory_order_relaxed);
    return b;
}

void storage_release(storage_block* b) noexcept
{
    if (!b || b->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
        return;
    if (pool::alive && b->size_class < n_classes)
    {
        pool& p = local_pool();
        if (p.stats.cached_bytes + b->capacity <= cache_limit.load(std::memory_order_relaxed))
        {
            try
            {
                p.free[b->size_class].push_back(b);
                p.stats.cached_bytes += b->capacity;
                return;
            }
            catch (...)
            {
                // No room to remember the block: give it back to the system instead.
            }
        }
    }
    std::free(b);
}

} // namespace detail

memory_stats thread_memory_stats()
{
    return detail::local_pool().stats;
}

void release_cached_memory()
{
    auto& p = detail::local_pool();
    for (auto& list : p.free)
    {
        for (detail::storage_block* b : list)
            std::free(b);
        list.clear();
    }
    p.stats.cached_bytes = 0;
}

void set_cache_limit(std::size_t bytes)
{
    detail::cache_limit.store(bytes);
}

} // namespace xgrad
