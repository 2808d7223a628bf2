#include "xgrad/optim/rmsprop.hpp"

#include <cmath>

namespace xgrad::optim
{

RMSprop::RMSprop(const std::vector<Variable>& params, const rmsprop_options& o)
    : RMSprop(single_group(params), o)
{}

RMSprop::RMSprop(std::vector<param_group> groups, const rmsprop_options& o)
    : Optimizer(std::move(groups), o.lr, o.weight_decay), o_(o)
{
    if (!(o.alpha >= 0 && o.eps >= 0 && o.momentum >= 0))
        fail<value_error>("RMSprop: alpha {}, eps {} and momentum {} must be >= 0", o.alpha, o.eps,
                          o.momentum);
}

std::vector<std::string> RMSprop::state_keys() const
{
    std::vector<std::string> keys{"step", "square_avg"};
    if (o_.centered)
        keys.push_back("grad_avg");
    if (o_.momentum > 0)
        keys.push_back("momentum_buffer");
    return keys;
}

void RMSprop::update(const Variable& p, std::map<std::string, Tensor>& state, double lr, double wd)
{
    next_step(state);
    Tensor& sq = buffer(state, "square_avg", p);
    Tensor* avg = o_.centered ? &buffer(state, "grad_avg", p) : nullptr;
    Tensor* mom = o_.momentum > 0 ? &buffer(state, "momentum_buffer", p) : nullptr;
    dispatch(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* w = p.data().data<T>();
        const T* g = p.grad().data<T>();
        T* s = sq.data<T>();
        T* a = avg ? avg->data<T>() : nullptr;
        T* b = mom ? mom->data<T>() : nullptr;
        const T alpha = static_cast<T>(o_.alpha), eps = static_cast<T>(o_.eps);
        const T rate = static_cast<T>(lr), decay = static_cast<T>(wd);
        const T m = static_cast<T>(o_.momentum);
        const std::size_t n = p.numel();
        for (std::size_t i = 0; i < n; ++i)
        {
            T gi = g[i];
            if (wd != 0)
                gi += decay * w[i];
            s[i] = alpha * s[i] + (T(1) - alpha) * gi * gi;
            T d;
            if (a)
            {
                a[i] = alpha * a[i] + (T(1) - alpha) * gi;
                d = std::sqrt(s[i] - a[i] * a[i]) + eps;
            }
            else
                d = std::sqrt(s[i]) + eps;
            if (b)
            {
                b[i] = m * b[i] + gi / d;
                w[i] -= rate * b[i];
            }
            else
                w[i] -= rate * gi / d;
        }
    });
}

} // namespace xgrad::optim
