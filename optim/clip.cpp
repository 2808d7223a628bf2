#include "xgrad/optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace xgrad::optim
{

namespace
{

// Sum of squares of g in double: exact enough and fast for every gradient in practice (float32
// squares cannot overflow or underflow a double).
double sum_of_squares(const Tensor& g)
{
    double sq = 0;
    dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* d = g.data<T>();
        const std::size_t n = g.numel();
        for (std::size_t i = 0; i < n; ++i)
            sq += static_cast<double>(d[i]) * static_cast<double>(d[i]);
    });
    return sq;
}

bool all_finite(const Tensor& g)
{
    return dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* d = g.data<T>();
        const std::size_t n = g.numel();
        for (std::size_t i = 0; i < n; ++i)
            if (!std::isfinite(d[i]))
                return false;
        return true;
    });
}

// The L2 norm as scale * sqrt(ssq), accumulated as LAPACK's dnrm2/dlassq do: every term is
// divided by the running maximum, so float64 gradients of 1e200 (squares overflow) or 1e-200
// (squares underflow to 0) give their true norm. Slower (a division per element): used only
// when the plain sum of squares is out of range.
struct scaled_sum
{
    double scale = 0, ssq = 1;

    void add(const Tensor& g)
    {
        dispatch(g.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* d = g.data<T>();
            const std::size_t n = g.numel();
            for (std::size_t i = 0; i < n; ++i)
            {
                const double a = std::abs(static_cast<double>(d[i]));
                if (a == 0)
                    continue;
                if (a > scale)
                {
                    const double r = scale / a;
                    ssq = 1 + ssq * r * r;
                    scale = a;
                }
                else
                {
                    const double r = a / scale;
                    ssq += r * r;
                }
            }
        });
    }
};

void scale_gradients(const std::vector<Variable>& params, double coef)
{
    for (const Variable& p : params)
    {
        if (!p.has_grad())
            continue;
        if (!p.grad().is_unique())
            p.grad() = p.grad().clone(); // never scale a tensor someone else holds
        dispatch(p.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* d = p.grad().data<T>();
            const std::size_t n = p.grad().numel();
            for (std::size_t i = 0; i < n; ++i)
                d[i] *= static_cast<T>(coef);
        });
    }
}

} // namespace

double clip_grad_norm(const std::vector<Variable>& params, double max_norm, bool error_if_nonfinite)
{
    if (!(max_norm > 0))
        fail<value_error>("clip_grad_norm: max_norm {} must be > 0", max_norm);
    double total = 0;
    bool non_finite = false;
    for (std::size_t k = 0; k < params.size(); ++k)
    {
        if (!params[k].has_grad())
            continue;
        const Tensor& g = params[k].grad();
        const double sq = sum_of_squares(g);
        // An infinite sum of squares is either a real inf/NaN or finite values whose squares
        // overflow (1e200): only the first is an error.
        if (!std::isfinite(sq) && !all_finite(g))
        {
            if (error_if_nonfinite)
                fail<value_error>("clip_grad_norm: the gradient of parameter {} (shape {}) is "
                                  "not finite (NaN or Inf): the loss diverged; lower the "
                                  "learning rate",
                                  k, to_string(g.shape()));
            non_finite = true;
        }
        total += sq;
    }
    if (non_finite)
        return std::sqrt(total); // NaN or inf, as PyTorch reports it; nothing is scaled

    // The plain sum is exact enough unless it overflowed or lost its value to underflow (a
    // sum below DBL_MIN has lost precision, one of 0 may hold non-zero terms).
    if (std::isfinite(total) && total >= std::numeric_limits<double>::min())
    {
        const double norm = std::sqrt(total);
        const double coef = max_norm / (norm + 1e-6);
        if (coef < 1)
            scale_gradients(params, coef);
        return norm;
    }
    scaled_sum acc;
    for (const Variable& p : params)
        if (p.has_grad())
            acc.add(p.grad());
    if (acc.scale == 0)
        return 0; // every gradient is zero
    const double root = std::sqrt(acc.ssq);
    const double norm = acc.scale * root; // inf when the norm itself exceeds double's range
    // max_norm / (norm + 1e-6), computed without forming norm when it overflows.
    const double coef =
        std::isfinite(norm) ? max_norm / (norm + 1e-6) : (max_norm / acc.scale) / root;
    if (coef < 1)
        scale_gradients(params, coef);
    return norm;
}

double clip_grad_norm(const std::vector<Variable>& params, double max_norm, clip_stats& stats,
                      bool error_if_nonfinite)
{
    const double norm = clip_grad_norm(params, max_norm, error_if_nonfinite);
    stats.record(norm, max_norm);
    return norm;
}

void clip_grad_value(const std::vector<Variable>& params, double clip)
{
    if (!(clip >= 0))
        fail<value_error>("clip_grad_value: clip {} must be >= 0", clip);
    for (const Variable& p : params)
    {
        if (!p.has_grad())
            continue;
        if (!p.grad().is_unique())
            p.grad() = p.grad().clone();
        dispatch(p.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* d = p.grad().data<T>();
            const T c = static_cast<T>(clip);
            const std::size_t n = p.grad().numel();
            for (std::size_t i = 0; i < n; ++i)
                d[i] = std::clamp(d[i], -c, c);
        });
    }
}

} // namespace xgrad::optim
