#include "xgrad/optim/clip.hpp"

#include <algorithm>
#include <cmath>

namespace xgrad::optim
{

double clip_grad_norm(const std::vector<Variable>& params, double max_norm, bool error_if_nonfinite)
{
    if (!(max_norm > 0))
        fail<value_error>("clip_grad_norm: max_norm {} must be > 0", max_norm);
    double total = 0;
    for (std::size_t k = 0; k < params.size(); ++k)
    {
        if (!params[k].has_grad())
            continue;
        const Tensor& g = params[k].grad();
        double sq = 0;
        dispatch(g.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* d = g.data<T>();
            const std::size_t n = g.numel();
            for (std::size_t i = 0; i < n; ++i)
                sq += static_cast<double>(d[i]) * static_cast<double>(d[i]);
        });
        if (!std::isfinite(sq) && error_if_nonfinite)
            fail<value_error>("clip_grad_norm: the gradient of parameter {} (shape {}) is not "
                              "finite (NaN or Inf): the loss diverged; lower the learning rate",
                              k, to_string(g.shape()));
        total += sq;
    }
    const double norm = std::sqrt(total);
    if (!std::isfinite(norm))
        return norm;
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1)
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
