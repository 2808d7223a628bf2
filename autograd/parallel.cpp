#include "xgrad/autograd/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "xgrad/autograd/blas.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define XGRAD_SPIN_PAUSE() _mm_pause()
#else
#define XGRAD_SPIN_PAUSE() std::this_thread::yield()
#endif

namespace xgrad::detail
{
namespace
{

// Worker w (1-based) runs chunk w of each job whose `parts` exceeds w. A job is announced by
// bumping `generation`; `pending` counts the workers that have not finished with it: every
// worker reports, with a chunk or without, so none can still be reading a job when the next
// one is written.
class pool
{
public:
    ~pool()
    {
        {
            std::lock_guard<std::mutex> lock(sleep_mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_)
            t.join();
    }

    // False when another caller holds the pool: the caller then runs serially.
    bool run(std::size_t n, std::size_t parts, void (*body)(void*, std::size_t, std::size_t),
             void* ctx)
    {
        std::unique_lock<std::mutex> busy(job_mutex_, std::try_to_lock);
        if (!busy.owns_lock())
            return false;
        while (workers_.size() + 1 < parts)
        {
            const std::size_t index = workers_.size() + 1;
            // It starts from the generation before this job's, whatever it reads when it runs.
            const std::uint64_t seen = generation_.load(std::memory_order_relaxed);
            workers_.emplace_back([this, index, seen] { work(index, seen); });
        }
        n_ = n;
        parts_ = parts;
        body_ = body;
        ctx_ = ctx;
        pending_.store(workers_.size(), std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(sleep_mutex_);
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        chunk(0);
        while (pending_.load(std::memory_order_acquire) != 0)
            XGRAD_SPIN_PAUSE();
        return true;
    }

private:
    void chunk(std::size_t index) const
    {
        const std::size_t begin = n_ * index / parts_, end = n_ * (index + 1) / parts_;
        if (begin < end)
            body_(ctx_, begin, end);
    }

    void work(std::size_t index, std::uint64_t seen)
    {
        for (;;)
        {
            // Spin up to 15 microseconds for the next job (a recurrent step's next product comes
            // sooner), then sleep: a longer spin took the core from OpenBLAS's own threads in
            // the products it runs (W4 at 2 threads: 14,600 against 21,500 tokens/s at 100 us).
            std::uint64_t now = seen;
            const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(15);
            for (unsigned i = 1; now == seen; ++i)
            {
                XGRAD_SPIN_PAUSE();
                now = generation_.load(std::memory_order_acquire);
                if (i % 64 == 0 && std::chrono::steady_clock::now() > until)
                    break;
            }
            if (now == seen)
            {
                std::unique_lock<std::mutex> lock(sleep_mutex_);
                wake_.wait(lock, [&] {
                    return stop_ || generation_.load(std::memory_order_acquire) != seen;
                });
                if (stop_)
                    return;
                now = generation_.load(std::memory_order_acquire);
            }
            seen = now;
            if (index < parts_)
                chunk(index);
            pending_.fetch_sub(1, std::memory_order_release);
        }
    }

    std::mutex job_mutex_;   // one job at a time
    std::mutex sleep_mutex_; // guards stop_ and the sleepers' wake-up
    std::condition_variable wake_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<std::size_t> pending_{0};
    bool stop_ = false;
    // The job, written before generation_ is bumped (release) and read after (acquire).
    std::size_t n_ = 0, parts_ = 1;
    void (*body_)(void*, std::size_t, std::size_t) = nullptr;
    void* ctx_ = nullptr;
    std::vector<std::thread> workers_;
};

pool& the_pool()
{
    static pool p;
    return p;
}

} // namespace

void parallel_chunks(std::size_t n, void (*body)(void* ctx, std::size_t begin, std::size_t end),
                     void* ctx)
{
    const std::size_t parts = std::min<std::size_t>(n, std::max(1, num_threads()));
    if (parts < 2 || !the_pool().run(n, parts, body, ctx))
        body(ctx, 0, n);
}

} // namespace xgrad::detail
