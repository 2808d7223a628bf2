// Counting every C++ heap allocation of a program: the benchmark harnesses report allocations
// per training step with it, and tests assert that a code path allocates nothing more for bigger
// inputs. It replaces the global operator new of the whole program that links it (the
// xgrad_heap_count library), so only the harnesses and the test program link it, never an
// example.
#pragma once

#include <cstdint>

namespace cli
{

// Every operator new of the program so far (all threads).
std::uint64_t heap_allocations();

} // namespace cli
