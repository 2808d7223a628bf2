#include "xgrad/optim/clip_stats.hpp"

#include <algorithm>
#include <cmath>

#include "xgrad/autograd/error.hpp"

namespace xgrad::optim
{

void clip_stats::record(double norm, double max_norm)
{
    if (!(max_norm > 0))
        fail<value_error>("clip_stats.record: max_norm {} must be > 0", max_norm);
    if (norm < 0)
        fail<value_error>("clip_stats.record: norm {} is negative", norm);
    if (!std::isfinite(norm))
    {
        ++nonfinite;
        return;
    }
    ++count;
    // The same test as clip_grad_norm's: it scales when max_norm / (norm + 1e-6) < 1.
    if (max_norm / (norm + 1e-6) < 1)
        ++clipped;
    last = norm;
    max = std::max(max, norm);
    sum += norm;
}

double clip_stats::mean() const
{
    return count == 0 ? 0.0 : sum / static_cast<double>(count);
}

double clip_stats::clipped_fraction() const
{
    return count == 0 ? 0.0 : static_cast<double>(clipped) / static_cast<double>(count);
}

} // namespace xgrad::optim
