// A fork-join split of a loop over the threads xgrad's num_threads() sets (autograd/blas.hpp),
// for kernels whose result does not depend on how the loop is split (each index writes its
// own outputs): the skinny GEMMs' column panels. The workers persist and spin briefly between
// jobs (a recurrent layer's products come every few microseconds), then sleep.
#pragma once

#include <cstddef>

namespace xgrad::detail
{

// Calls body(ctx, begin, end) on contiguous chunks covering [0, n), one chunk per thread, at
// most num_threads() of them (the caller runs the first). Returns when all are done. Runs the
// whole range on the caller when n < 2, with one thread, or when another thread's job holds
// the workers (so concurrent callers stay correct, only serial). body must not throw.
void parallel_chunks(std::size_t n, void (*body)(void* ctx, std::size_t begin, std::size_t end),
                     void* ctx);

} // namespace xgrad::detail
