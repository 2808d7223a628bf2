// Seedable random numbers: every random choice xgrad makes (dropout masks, initialisers) draws
// from a generator the caller can seed, so runs are reproducible.
#pragma once

#include <cstdint>
#include <random>

namespace xgrad
{

class generator
{
public:
    explicit generator(std::uint64_t seed = 5489u) : engine_(seed) {}
    void seed(std::uint64_t s) { engine_.seed(s); }
    // Uniform in [lo, hi).
    double uniform(double lo = 0.0, double hi = 1.0)
    {
        return std::uniform_real_distribution<double>(lo, hi)(engine_);
    }
    double normal(double mean = 0.0, double stddev = 1.0)
    {
        return std::normal_distribution<double>(mean, stddev)(engine_);
    }
    // Uniform integer in [0, n).
    std::uint64_t below(std::uint64_t n)
    {
        return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(engine_);
    }
    std::mt19937_64& engine() { return engine_; }

private:
    std::mt19937_64 engine_;
};

// The calling thread's default generator.
generator& default_generator();
// Seeds the calling thread's default generator.
void manual_seed(std::uint64_t seed);

} // namespace xgrad
