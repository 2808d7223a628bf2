// clip_stats: what gradient-norm clipping did over a run. clip_grad_norm (optim/clip.hpp) returns
// the global norm before clipping; a clip_stats kept across steps counts how often that norm was
// over the limit (so the gradients were scaled) and keeps its last, mean and largest values.
//
//   optim::clip_stats stats;
//   for (...) { loss.backward(); optim::clip_grad_norm(params, 5.0, stats); opt.step(); }
//   fmt::print("clipped {} of {} steps, mean norm {}\n", stats.clipped, stats.count, stats.mean());
#pragma once

#include <cstddef>

namespace xgrad::optim
{

struct clip_stats
{
    std::size_t count = 0;     // steps recorded with a finite norm
    std::size_t clipped = 0;   // of those, steps whose gradients were scaled down
    std::size_t nonfinite = 0; // steps whose norm was NaN or infinite (left out of the rest)
    double last = 0;           // the latest finite norm before clipping
    double max = 0;            // the largest finite norm before clipping
    double sum = 0;            // sum of the finite norms (for mean())

    // Records one step: `norm` is clip_grad_norm's return value (the norm before clipping) and
    // max_norm its limit. A step counts as clipped by clip_grad_norm's own rule,
    // max_norm / (norm + 1e-6) < 1. A NaN or infinite norm only increments nonfinite (an
    // infinite norm from finite gradients, beyond double's range, was still clipped by
    // clip_grad_norm; it is counted here as nonfinite). Throws value_error for max_norm <= 0 or
    // NaN, or a negative norm, naming the value.
    void record(double norm, double max_norm);
    // Mean of the finite norms recorded; 0 before the first.
    double mean() const;
    // clipped / count; 0 before the first step.
    double clipped_fraction() const;
    // Forgets everything (a new epoch).
    void reset() { *this = clip_stats{}; }
};

} // namespace xgrad::optim
