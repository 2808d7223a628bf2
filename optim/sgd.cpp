#include "xgrad/optim/sgd.hpp"

#include <type_traits>

namespace xgrad::optim
{

namespace
{

// d = g (+ wd w); with momentum b <- d on the first step, else m b + (1 - dampening) d, and
// d <- b (or d + m b with Nesterov); w <- w - lr d. The variants are template arguments so each
// loop is branch-free and vectorises.
template <bool Momentum, bool First, bool Nesterov, class T>
void sgd_pass(std::size_t n, T* w, const T* g, T* b, T rate, T decay, T m, T damp, bool wd_on)
{
    auto run = [&](auto with_decay) {
        for (std::size_t i = 0; i < n; ++i)
        {
            T d = g[i];
            if constexpr (decltype(with_decay)::value)
                d += decay * w[i];
            if constexpr (Momentum)
            {
                b[i] = First ? d : m * b[i] + damp * d;
                d = Nesterov ? d + m * b[i] : b[i];
            }
            w[i] -= rate * d;
        }
    };
    if (wd_on)
        run(std::true_type{});
    else
        run(std::false_type{});
}

} // namespace

SGD::SGD(const std::vector<Variable>& params, const sgd_options& o) : SGD(single_group(params), o)
{}

SGD::SGD(std::vector<param_group> groups, const sgd_options& o)
    : Optimizer(std::move(groups), o.lr, o.weight_decay), o_(o)
{
    if (o.momentum < 0 || o.dampening < 0)
        fail<value_error>("SGD: momentum {} and dampening {} must be >= 0", o.momentum,
                          o.dampening);
    if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
        fail<value_error>("SGD: nesterov needs momentum > 0 and dampening 0 (got {} and {})",
                          o.momentum, o.dampening);
}

std::vector<std::string> SGD::state_keys() const
{
    if (o_.momentum > 0)
        return {"momentum_buffer"};
    return {};
}

void SGD::update(const Variable& p, std::map<std::string, Tensor>& state, double lr, double wd)
{
    const bool first = !state.count("momentum_buffer");
    Tensor* buf = o_.momentum > 0 ? &buffer(state, "momentum_buffer", p) : nullptr;
    dispatch(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* w = p.data().data<T>();
        const T* g = p.grad().data<T>();
        T* b = buf ? buf->data<T>() : nullptr;
        const T m = static_cast<T>(o_.momentum), damp = static_cast<T>(1 - o_.dampening);
        const T rate = static_cast<T>(lr), decay = static_cast<T>(wd);
        const std::size_t n = p.numel();
        if (!b && wd == 0)
        {
            // Plain SGD: one vectorised pass, or only the touched rows of a row-sparse
            // gradient (an embedding table), which leaves every other row unchanged anyway.
            const auto* rows = p.grad_rows();
            if (rows && p.dim() >= 1 && p.shape()[0] > 0)
            {
                const std::size_t width = n / p.shape()[0];
                for (std::int64_t r : *rows)
                {
                    const std::size_t at = static_cast<std::size_t>(r) * width;
                    for (std::size_t i = at; i < at + width; ++i)
                        w[i] -= rate * g[i];
                }
                return;
            }
            for (std::size_t i = 0; i < n; ++i)
                w[i] -= rate * g[i];
            return;
        }
        const bool wd_on = wd != 0;
        if (!b)
            return sgd_pass<false, false, false>(n, w, g, b, rate, decay, m, damp, wd_on);
        if (first && o_.nesterov)
            return sgd_pass<true, true, true>(n, w, g, b, rate, decay, m, damp, wd_on);
        if (first)
            return sgd_pass<true, true, false>(n, w, g, b, rate, decay, m, damp, wd_on);
        if (o_.nesterov)
            return sgd_pass<true, false, true>(n, w, g, b, rate, decay, m, damp, wd_on);
        sgd_pass<true, false, false>(n, w, g, b, rate, decay, m, damp, wd_on);
    });
}

} // namespace xgrad::optim
