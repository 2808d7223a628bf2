// Reference-counted, 64-byte aligned memory blocks for tensor data, recycled through a per-thread
// pool. Training repeats the same shapes every step, so after the first step every tensor comes
// from the pool: no malloc, and no page faults from memory the allocator handed back to the OS.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace xgrad
{

namespace detail
{

struct storage_block
{
    std::atomic<std::uint32_t> refs;
    std::uint32_t size_class;
    std::size_t capacity;     // usable bytes after the header
    std::uint64_t generation; // unique per acquisition: tells a reused block from its past
};

// A block with refs == 1 and at least `bytes` usable bytes (contents undefined).
storage_block* storage_acquire(std::size_t bytes);
// Drops one reference; the last one returns the block to the calling thread's pool.
void storage_release(storage_block* b) noexcept;

inline void* storage_data(storage_block* b)
{
    return reinterpret_cast<char*>(b) + 64; // the header is padded to one cache line
}

} // namespace detail

// Counters of the calling thread's pool.
struct memory_stats
{
    std::uint64_t fresh_allocations = 0;  // blocks that had to come from malloc
    std::uint64_t reused_allocations = 0; // blocks served from the pool
    std::size_t cached_bytes = 0;         // free blocks kept for reuse
};

memory_stats thread_memory_stats();

// Frees every cached block of the calling thread's pool.
void release_cached_memory();

// Cap on the bytes one thread's pool keeps cached (default 2 GiB); blocks freed past it go back
// to the system.
void set_cache_limit(std::size_t bytes);

} // namespace xgrad
