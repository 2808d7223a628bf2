#include "xgrad/optim/adam.hpp"

#include <cmath>

namespace xgrad::optim
{

Adam::Adam(const std::vector<Variable>& params, const adam_options& o)
    : Adam(single_group(params), o, false)
{}

Adam::Adam(std::vector<param_group> groups, const adam_options& o)
    : Adam(std::move(groups), o, false)
{}

Adam::Adam(std::vector<param_group> groups, const adam_options& o, bool decoupled)
    : Optimizer(std::move(groups), o.lr, o.weight_decay), o_(o), decoupled_(decoupled)
{
    if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
        fail<value_error>("{}: betas ({}, {}) must lie in [0, 1)", name(), o.beta1, o.beta2);
    if (!(o.eps >= 0))
        fail<value_error>("{}: eps {} must be >= 0", name(), o.eps);
}

std::vector<std::string> Adam::state_keys() const
{
    if (o_.amsgrad)
        return {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    return {"step", "exp_avg", "exp_avg_sq"};
}

void Adam::update(const Variable& p, std::map<std::string, Tensor>& state, double lr, double wd)
{
    const double t = next_step(state);
    Tensor& m = buffer(state, "exp_avg", p);
    Tensor& v = buffer(state, "exp_avg_sq", p);
    Tensor* vmax = o_.amsgrad ? &buffer(state, "max_exp_avg_sq", p) : nullptr;
    const double bc1 = 1 - std::pow(o_.beta1, t);
    const double bc2_sqrt = std::sqrt(1 - std::pow(o_.beta2, t));
    dispatch(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* w = p.data().data<T>();
        const T* g = p.grad().data<T>();
        T* pm = m.data<T>();
        T* pv = v.data<T>();
        T* px = vmax ? vmax->data<T>() : nullptr;
        const T b1 = static_cast<T>(o_.beta1), b2 = static_cast<T>(o_.beta2);
        const T step_size = static_cast<T>(lr / bc1), c2 = static_cast<T>(bc2_sqrt);
        const T eps = static_cast<T>(o_.eps), decay = static_cast<T>(wd);
        const T shrink = static_cast<T>(1 - lr * wd);
        const std::size_t n = p.numel();
        for (std::size_t i = 0; i < n; ++i)
        {
            T gi = g[i];
            if (wd != 0)
            {
                if (decoupled_)
                    w[i] *= shrink;
                else
                    gi += decay * w[i];
            }
            pm[i] = b1 * pm[i] + (T(1) - b1) * gi;
            pv[i] = b2 * pv[i] + (T(1) - b2) * gi * gi;
            T second = pv[i];
            if (px)
                second = px[i] = std::max(px[i], pv[i]);
            w[i] -= step_size * pm[i] / (std::sqrt(second) / c2 + eps);
        }
    });
}

} // namespace xgrad::optim
