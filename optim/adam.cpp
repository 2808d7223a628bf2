#include "xgrad/optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include <xsimd/xsimd.hpp>

namespace xgrad::optim
{

namespace
{

// The update is written once, over a "lane" type that is either T or an xsimd batch of T: the
// vector body and the scalar tail evaluate the same expression with the same IEEE operations, so
// an element's result does not depend on where it falls. This file is compiled with
// -ffp-contract=off and every fused multiply-add is explicit: the results are those of the
// scalar loop this replaced (which g++ contracted into exactly these two FMAs per element, and
// the L2 term's), bit for bit. The vector width is AVX2's with FMA3 where the CPU has it: xsimd
// 8.1's AVX-512 batches have no fma of their own (they compute x*y+z with two roundings), and
// the update is memory-bound, so 256 bits lose nothing.
#if XSIMD_WITH_FMA3_AVX2
using lane_arch = xsimd::fma3<xsimd::avx2>;
constexpr bool fused = true;
#else
using lane_arch = xsimd::default_arch;
constexpr bool fused = false; // no FMA instruction: g++ contracted nothing either
#endif

template <class T>
T lane_fma(T a, T b, T c)
{
    if constexpr (fused)
        return std::fma(a, b, c);
    else
        return a * b + c;
}
template <class T, class A>
xsimd::batch<T, A> lane_fma(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b,
                            const xsimd::batch<T, A>& c)
{
    if constexpr (fused)
        return xsimd::fma(a, b, c);
    else
        return a * b + c;
}
template <class T>
T lane_sqrt(T x)
{
    return std::sqrt(x);
}
template <class T, class A>
xsimd::batch<T, A> lane_sqrt(const xsimd::batch<T, A>& x)
{
    return xsimd::sqrt(x);
}
// std::max(a, b) is (a < b) ? b : a, NaN included; the batch form says the same.
template <class T>
T lane_max(T a, T b)
{
    return std::max(a, b);
}
template <class T, class A>
xsimd::batch<T, A> lane_max(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b)
{
    return xsimd::select(a < b, b, a);
}

template <class T>
struct adam_constants
{
    T b1, b2, one_minus_b1, one_minus_b2, step_size, c2, eps, decay, shrink;
};

enum class decay_kind
{
    none,
    l2,       // Adam: g <- g + wd p
    decoupled // AdamW: p <- p (1 - lr wd)
};

// One pass over p, g, m, v (and v_max): 28 bytes a float32 parameter, so memory-bound once
// vectorised; branch-free inside the loop (the variants are template arguments).
template <decay_kind D, bool Ams, class T>
void adam_pass(std::size_t n, T* w, const T* g, T* pm, T* pv, T* px, const adam_constants<T>& k)
{
    auto update = [&k](auto& wi, auto gi, auto& mi, auto& vi, auto* xi) {
        using L = std::decay_t<decltype(gi)>;
        if constexpr (D == decay_kind::decoupled)
            wi = wi * L(k.shrink);
        if constexpr (D == decay_kind::l2)
            gi = lane_fma(L(k.decay), wi, gi);
        mi = lane_fma(L(k.b1), mi, L(k.one_minus_b1) * gi);
        vi = lane_fma(L(k.b2), vi, L(k.one_minus_b2) * gi * gi);
        L second = vi;
        if constexpr (Ams)
            second = *xi = lane_max(*xi, vi);
        wi = wi - L(k.step_size) * mi / (lane_sqrt(second) / L(k.c2) + L(k.eps));
    };
    using batch = xsimd::batch<T, lane_arch>;
    constexpr std::size_t lanes = batch::size;
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes)
    {
        batch wi = batch::load_unaligned(w + i), mi = batch::load_unaligned(pm + i),
              vi = batch::load_unaligned(pv + i);
        batch xi = Ams ? batch::load_unaligned(px + i) : batch(T(0));
        update(wi, batch::load_unaligned(g + i), mi, vi, &xi);
        wi.store_unaligned(w + i);
        mi.store_unaligned(pm + i);
        vi.store_unaligned(pv + i);
        if constexpr (Ams)
            xi.store_unaligned(px + i);
    }
    for (; i < n; ++i)
        update(w[i], g[i], pm[i], pv[i], Ams ? px + i : nullptr);
}

template <bool Ams, class T>
void adam_pass(decay_kind d, std::size_t n, T* w, const T* g, T* pm, T* pv, T* px,
               const adam_constants<T>& k)
{
    switch (d)
    {
    case decay_kind::none:
        return adam_pass<decay_kind::none, Ams>(n, w, g, pm, pv, px, k);
    case decay_kind::l2:
        return adam_pass<decay_kind::l2, Ams>(n, w, g, pm, pv, px, k);
    case decay_kind::decoupled:
        return adam_pass<decay_kind::decoupled, Ams>(n, w, g, pm, pv, px, k);
    }
}

} // namespace

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
        adam_constants<T> k;
        k.b1 = static_cast<T>(o_.beta1);
        k.b2 = static_cast<T>(o_.beta2);
        k.one_minus_b1 = T(1) - k.b1;
        k.one_minus_b2 = T(1) - k.b2;
        k.step_size = static_cast<T>(lr / bc1);
        k.c2 = static_cast<T>(bc2_sqrt);
        k.eps = static_cast<T>(o_.eps);
        k.decay = static_cast<T>(wd);
        k.shrink = static_cast<T>(1 - lr * wd);
        const decay_kind d = wd == 0      ? decay_kind::none
                             : decoupled_ ? decay_kind::decoupled
                                          : decay_kind::l2;
        if (px)
            adam_pass<true>(d, p.numel(), w, g, pm, pv, px, k);
        else
            adam_pass<false>(d, p.numel(), w, g, pm, pv, px, k);
    });
}

} // namespace xgrad::optim
