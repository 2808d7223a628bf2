#include "xgrad/optim/adagrad.hpp"

#include <cmath>

namespace xgrad::optim
{

Adagrad::Adagrad(const std::vector<Variable>& params, const adagrad_options& o)
    : Adagrad(single_group(params), o)
{}

Adagrad::Adagrad(std::vector<param_group> groups, const adagrad_options& o)
    : Optimizer(std::move(groups), o.lr, o.weight_decay), o_(o)
{
    if (!(o.lr_decay >= 0 && o.eps >= 0 && o.initial_accumulator_value >= 0))
        fail<value_error>("Adagrad: lr_decay {}, eps {} and initial_accumulator_value {} must be "
                          ">= 0",
                          o.lr_decay, o.eps, o.initial_accumulator_value);
}

std::vector<std::string> Adagrad::state_keys() const
{
    return {"step", "sum"};
}

void Adagrad::update(const Variable& p, std::map<std::string, Tensor>& state, double lr, double wd)
{
    const bool fresh = !state.count("sum");
    Tensor& sum = buffer(state, "sum", p);
    if (fresh)
        sum.fill(o_.initial_accumulator_value);
    const double t = next_step(state);
    const double clr = lr / (1 + (t - 1) * o_.lr_decay);
    dispatch(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* w = p.data().data<T>();
        const T* g = p.grad().data<T>();
        T* s = sum.data<T>();
        const T rate = static_cast<T>(clr), eps = static_cast<T>(o_.eps),
                decay = static_cast<T>(wd);
        const std::size_t n = p.numel();
        for (std::size_t i = 0; i < n; ++i)
        {
            T gi = g[i];
            if (wd != 0)
                gi += decay * w[i];
            s[i] += gi * gi;
            w[i] -= rate * gi / (std::sqrt(s[i]) + eps);
        }
    });
}

} // namespace xgrad::optim
