#include "xgrad/autograd/random.hpp"

namespace xgrad
{

generator& default_generator()
{
    thread_local generator g;
    return g;
}

void manual_seed(std::uint64_t seed)
{
    default_generator().seed(seed);
}

} // namespace xgrad
