#include "xgrad/autograd/ops/recurrent.hpp"

#include <cmath>
#include <vector>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// Checks gates [B, G*H] (twice) and a state [B, H]; returns H.
std::size_t check(const char* op, std::size_t gates, const Variable& a, const Variable& b,
                  const Variable& s)
{
    detail::check_same_dtype(op, a.data(), b.data());
    detail::check_same_dtype(op, a.data(), s.data());
    const bool ok = a.dim() == 2 && s.dim() == 2 && a.shape() == b.shape() &&
                    a.shape()[0] == s.shape()[0] && a.shape()[1] == gates * s.shape()[1];
    if (!ok)
        fail<shape_error>("{}: gates {} and {} with state {}: expected [B,{}H], [B,{}H], [B,H]", op,
                          to_string(a.shape()), to_string(b.shape()), to_string(s.shape()), gates,
                          gates);
    return s.shape()[1];
}

// Activations are computed lane by lane with xtensor's vectorised exp/tanh through these
// buffers; the rest are plain loops the compiler vectorises.
template <class T>
void sigmoid_into(T* out, const T* x, std::size_t n)
{
    // noalias: out may be x, which is safe elementwise; plain '=' would go through a
    // temporary, whose varying alignment changes which elements take the SIMD path.
    if (!detail::all_finite(x, n)) // see detail::all_finite
    {
        for (std::size_t j = 0; j < n; ++j)
            out[j] = T(1) / (T(1) + std::exp(-x[j]));
        return;
    }
    auto o = detail::flat_view(out, n);
    xt::noalias(o) = detail::sigmoid_expr<T>(detail::flat_view(const_cast<T*>(x), n));
}
template <class T>
void tanh_into(T* out, const T* x, std::size_t n)
{
    if (!detail::all_finite(x, n))
    {
        for (std::size_t j = 0; j < n; ++j)
            out[j] = std::tanh(x[j]);
        return;
    }
    auto o = detail::flat_view(out, n);
    xt::noalias(o) = xt::tanh(detail::flat_view(const_cast<T*>(x), n));
}

// What lstm_update's backward reads and writes (the equations are in the header).
template <class T>
struct lstm_saved
{
    const T *a, *t, *pc, *gh, *gc; // activations i f g o, tanh(c'), c, dL/dh', dL/dc'
    T *z, *d;                      // dL/dz [B, 4H], dL/dc [B, H]
    std::size_t B, H;
};

template <bool HasDh, bool HasDc, class T>
void lstm_backward(const lstm_saved<T>& k)
{
    const std::size_t H = k.H;
    for (std::size_t b = 0; b < k.B; ++b)
    {
        const T* __restrict a = k.a + b * 4 * H;
        const T* __restrict t = k.t + b * H;
        const T* __restrict pc = k.pc + b * H;
        const T* __restrict gh = HasDh ? k.gh + b * H : nullptr;
        const T* __restrict gc = HasDc ? k.gc + b * H : nullptr;
        T* __restrict z = k.z + b * 4 * H;
        T* __restrict d = k.d + b * H;
        // One simple pass per output (g++ vectorises each; the fused loop it kept scalar).
        // d holds dc' (the total gradient reaching c') until the last pass scales it by f.
        for (std::size_t j = 0; j < H; ++j)
        {
            const T o = a[3 * H + j];
            const T dhv = HasDh ? gh[j] : T(0);
            d[j] = (HasDc ? gc[j] : T(0)) + dhv * o * (T(1) - t[j] * t[j]);
            z[3 * H + j] = dhv * t[j] * o * (T(1) - o);
        }
        for (std::size_t j = 0; j < H; ++j)
        {
            const T i = a[j], g = a[2 * H + j];
            z[j] = d[j] * g * i * (T(1) - i);
            z[2 * H + j] = d[j] * i * (T(1) - g * g);
        }
        for (std::size_t j = 0; j < H; ++j)
        {
            const T f = a[H + j];
            z[H + j] = d[j] * pc[j] * f * (T(1) - f);
            d[j] *= f;
        }
    }
}

// gru_update's backward (the equations are in the header); saved holds r, z, n, b_n per row.
template <class T>
void gru_backward(const T* g, const T* hp, const T* saved, T* da, T* db, T* dh, std::size_t B,
                  std::size_t H)
{
    for (std::size_t row = 0; row < B; ++row)
    {
        // Short passes, one pointer per gate row: g++ 12 left the single fused loop scalar
        // ("no vectype"), as it did lstm_backward's.
        const T* sv = saved + row * 4 * H;
        const T* __restrict sr = sv;
        const T* __restrict sz = sv + H;
        const T* __restrict sn = sv + 2 * H;
        const T* __restrict sb = sv + 3 * H;
        const T* __restrict gr = g + row * H;
        const T* __restrict hr = hp + row * H;
        T* __restrict ar = da + row * 3 * H;
        T* __restrict az = ar + H;
        T* __restrict an = ar + 2 * H;
        T* __restrict br = db + row * 3 * H;
        T* __restrict bz = br + H;
        T* __restrict bn = br + 2 * H;
        T* __restrict pd = dh + row * H;
        for (std::size_t j = 0; j < H; ++j)
        {
            const T n = sn[j], dm = gr[j] * (T(1) - sz[j]) * (T(1) - n * n);
            an[j] = dm;
            bn[j] = dm * sr[j];
        }
        for (std::size_t j = 0; j < H; ++j)
        {
            const T r = sr[j], dr = an[j] * sb[j] * r * (T(1) - r);
            ar[j] = dr;
            br[j] = dr;
        }
        for (std::size_t j = 0; j < H; ++j)
        {
            const T z = sz[j], dz = gr[j] * (hr[j] - sn[j]) * z * (T(1) - z);
            az[j] = dz;
            bz[j] = dz;
        }
        for (std::size_t j = 0; j < H; ++j)
            pd[j] = gr[j] * sz[j];
    }
}

} // namespace

var_list lstm_update(const Variable& gx, const Variable& gh, const Variable& c)
{
    const std::size_t H = check("lstm_update", 4, gx, gh, c), B = c.shape()[0];
    // acts holds i, f, g, o after their nonlinearities (the layout of the gates); tc = tanh(c').
    Tensor acts = Tensor::empty({B, 4 * H}, c.dtype());
    Tensor h_next = Tensor::empty({B, H}, c.dtype()), c_next = Tensor::empty({B, H}, c.dtype());
    Tensor tc = Tensor::empty({B, H}, c.dtype());
    dispatch(c.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = gx.data().data<T>();
        const T* ph = gh.data().data<T>();
        const T* pc = c.data().data<T>();
        T* pa = acts.data<T>();
        const std::size_t n = B * 4 * H;
        for (std::size_t k = 0; k < n; ++k)
            pa[k] = px[k] + ph[k];
        for (std::size_t b = 0; b < B; ++b)
        {
            T* row = pa + b * 4 * H;
            sigmoid_into(row, row, 2 * H);             // i, f
            tanh_into(row + 2 * H, row + 2 * H, H);    // g
            sigmoid_into(row + 3 * H, row + 3 * H, H); // o
            T* cn = c_next.data<T>() + b * H;
            const T* cp = pc + b * H;
            for (std::size_t j = 0; j < H; ++j)
                cn[j] = row[H + j] * cp[j] + row[j] * row[2 * H + j];
            tanh_into(tc.data<T>() + b * H, cn, H);
            T* hn = h_next.data<T>() + b * H;
            const T* t = tc.data<T>() + b * H;
            for (std::size_t j = 0; j < H; ++j)
                hn[j] = row[3 * H + j] * t[j];
        }
    });
    return record_multi(
        "lstm_update", {h_next, c_next}, {gx, gh, c}, [acts, tc, B, H](grad_context& ctx) {
            const bool dh = ctx.has_grad(0), dcn = ctx.has_grad(1);
            const Tensor& cprev = ctx.input(2);
            Tensor dz = Tensor::empty({B, 4 * H}, cprev.dtype());
            Tensor dc = Tensor::empty({B, H}, cprev.dtype());
            dispatch(cprev.dtype(), [&](auto tag) {
                using T = decltype(tag);
                const T* gh = dh ? ctx.grad(0).template data<T>() : nullptr;
                const T* gc = dcn ? ctx.grad(1).template data<T>() : nullptr;
                const lstm_saved<T> k{acts.data<T>(),
                                      tc.data<T>(),
                                      cprev.data<T>(),
                                      gh,
                                      gc,
                                      dz.data<T>(),
                                      dc.data<T>(),
                                      B,
                                      H};
                // Which output gradients exist is decided once, so each loop is branch-free.
                if (dh && dcn)
                    lstm_backward<true, true>(k);
                else if (dh)
                    lstm_backward<true, false>(k);
                else
                    lstm_backward<false, true>(k); // the node runs only when one has a gradient
            });
            // z = gx + gh: both receive dz (shared, not copied).
            ctx.accumulate(0, dz);
            ctx.accumulate(1, dz);
            ctx.accumulate(2, dc);
        });
}

var_list layer_norm_lstm_update(const Variable& gx, const Variable& gh, const Variable& c,
                                const Variable& gamma, const Variable& beta, double eps)
{
    const char* op = "layer_norm_lstm_update";
    const std::size_t H = check(op, 4, gx, gh, c), B = c.shape()[0];
    if (gamma.shape() != shape_t{H} || beta.shape() != shape_t{H})
        fail<shape_error>("{}: cell norm gain {} and bias {} for a state [B,{}]: expected [{}]", op,
                          to_string(gamma.shape()), to_string(beta.shape()), H, H);
    detail::check_same_dtype(op, c.data(), gamma.data());
    detail::check_same_dtype(op, c.data(), beta.data());
    if (!(eps >= 0))
        fail<value_error>("{}: eps {} must be >= 0", op, eps);
    // Saved: the gates after their nonlinearities, n (the normalised c'), t = tanh(gamma n +
    // beta), and each row's 1 / sqrt(var + eps).
    Tensor acts = Tensor::empty({B, 4 * H}, c.dtype());
    Tensor h_next = Tensor::empty({B, H}, c.dtype()), c_next = Tensor::empty({B, H}, c.dtype());
    Tensor norm = Tensor::empty({B, H}, c.dtype()), tn = Tensor::empty({B, H}, c.dtype());
    Tensor inv_std = Tensor::empty({B}, f64);
    dispatch(c.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = gx.data().data<T>();
        const T* ph = gh.data().data<T>();
        const T* pg = gamma.data().data<T>();
        const T* pb = beta.data().data<T>();
        T* pa = acts.data<T>();
        for (std::size_t k = 0; k < B * 4 * H; ++k)
            pa[k] = px[k] + ph[k];
        for (std::size_t b = 0; b < B; ++b)
        {
            T* row = pa + b * 4 * H;
            sigmoid_into(row, row, 2 * H);             // i, f
            tanh_into(row + 2 * H, row + 2 * H, H);    // g
            sigmoid_into(row + 3 * H, row + 3 * H, H); // o
            T* cn = c_next.data<T>() + b * H;
            const T* cp = c.data().data<T>() + b * H;
            double mean = 0, var = 0;
            for (std::size_t j = 0; j < H; ++j)
            {
                cn[j] = row[H + j] * cp[j] + row[j] * row[2 * H + j];
                mean += cn[j];
            }
            mean /= static_cast<double>(H);
            for (std::size_t j = 0; j < H; ++j)
                var += (cn[j] - mean) * (cn[j] - mean);
            const double s = 1.0 / std::sqrt(var / static_cast<double>(H) + eps);
            inv_std.data<double>()[b] = s;
            T* n = norm.data<T>() + b * H;
            T* t = tn.data<T>() + b * H;
            for (std::size_t j = 0; j < H; ++j)
            {
                n[j] = static_cast<T>((cn[j] - mean) * s);
                t[j] = pg[j] * n[j] + pb[j];
            }
            tanh_into(t, t, H);
            T* hn = h_next.data<T>() + b * H;
            for (std::size_t j = 0; j < H; ++j)
                hn[j] = row[3 * H + j] * t[j];
        }
    });
    return record_multi(op, {h_next, c_next}, {gx, gh, c, gamma, beta},
                        [acts, norm, tn, inv_std, B, H](grad_context& ctx) {
                            const bool has_dh = ctx.has_grad(0), has_dc = ctx.has_grad(1);
                            const Tensor& cprev = ctx.input(2);
                            const Tensor& gain = ctx.input(3);
                            Tensor dz = Tensor::empty({B, 4 * H}, cprev.dtype());
                            Tensor dc = Tensor::empty({B, H}, cprev.dtype());
                            Tensor dgamma = Tensor::zeros({H}, cprev.dtype()),
                                   dbeta = Tensor::zeros({H}, cprev.dtype());
                            dispatch(cprev.dtype(), [&](auto tag) {
                                using T = decltype(tag);
                                const T* gh = has_dh ? ctx.grad(0).template data<T>() : nullptr;
                                const T* gc = has_dc ? ctx.grad(1).template data<T>() : nullptr;
                                const T* pg = gain.data<T>();
                                T* dg = dgamma.data<T>();
                                T* db = dbeta.data<T>();
                                thread_local std::vector<double> dn, dct; // no allocation per step
                                dn.resize(H);
                                dct.resize(H);
                                for (std::size_t b = 0; b < B; ++b)
                                {
                                    const T* a = acts.data<T>() + b * 4 * H;
                                    const T* n = norm.data<T>() + b * H;
                                    const T* t = tn.data<T>() + b * H;
                                    const T* cp = cprev.data<T>() + b * H;
                                    T* z = dz.data<T>() + b * 4 * H;
                                    // Through h' = o tanh(gamma n + beta), then the layer norm's
                                    // backward.
                                    double m1 = 0, m2 = 0;
                                    for (std::size_t j = 0; j < H; ++j)
                                    {
                                        const double dh = gh ? double(gh[b * H + j]) : 0.0;
                                        const double o = a[3 * H + j];
                                        z[3 * H + j] = static_cast<T>(dh * t[j] * o * (1 - o));
                                        const double da = dh * o * (1 - double(t[j]) * t[j]);
                                        dg[j] += static_cast<T>(da * n[j]);
                                        db[j] += static_cast<T>(da);
                                        dn[j] = da * pg[j];
                                        m1 += dn[j];
                                        m2 += dn[j] * n[j];
                                    }
                                    m1 /= static_cast<double>(H);
                                    m2 /= static_cast<double>(H);
                                    const double s = inv_std.data<double>()[b];
                                    for (std::size_t j = 0; j < H; ++j)
                                        dct[j] = (gc ? double(gc[b * H + j]) : 0.0) +
                                                 s * (dn[j] - m1 - n[j] * m2);
                                    // Through c' = f c + i g, as lstm_update.
                                    for (std::size_t j = 0; j < H; ++j)
                                    {
                                        const double i = a[j], f = a[H + j], g = a[2 * H + j];
                                        z[j] = static_cast<T>(dct[j] * g * i * (1 - i));
                                        z[H + j] = static_cast<T>(dct[j] * cp[j] * f * (1 - f));
                                        z[2 * H + j] = static_cast<T>(dct[j] * i * (1 - g * g));
                                        dc.data<T>()[b * H + j] = static_cast<T>(dct[j] * f);
                                    }
                                }
                            });
                            ctx.accumulate(0, dz);
                            ctx.accumulate(1, dz);
                            ctx.accumulate(2, dc);
                            ctx.accumulate(3, dgamma);
                            ctx.accumulate(4, dbeta);
                        });
}

Variable gru_update(const Variable& a, const Variable& b, const Variable& h)
{
    const std::size_t H = check("gru_update", 3, a, b, h), B = h.shape()[0];
    // saved: r, z, n (after their nonlinearities) and b_n, each [B, H] in one [B, 4H] buffer.
    Tensor saved = Tensor::empty({B, 4 * H}, h.dtype());
    Tensor out = Tensor::empty({B, H}, h.dtype());
    dispatch(h.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pa = a.data().data<T>();
        const T* pb = b.data().data<T>();
        const T* ph = h.data().data<T>();
        for (std::size_t r = 0; r < B; ++r)
        {
            const T* ar = pa + r * 3 * H;
            const T* br = pb + r * 3 * H;
            T* sv = saved.data<T>() + r * 4 * H;
            for (std::size_t j = 0; j < 2 * H; ++j)
                sv[j] = ar[j] + br[j];
            sigmoid_into(sv, sv, 2 * H); // r, z
            for (std::size_t j = 0; j < H; ++j)
            {
                sv[3 * H + j] = br[2 * H + j];
                sv[2 * H + j] = ar[2 * H + j] + sv[j] * br[2 * H + j];
            }
            tanh_into(sv + 2 * H, sv + 2 * H, H); // n
            T* o = out.data<T>() + r * H;
            const T* hr = ph + r * H;
            for (std::size_t j = 0; j < H; ++j)
                o[j] = (T(1) - sv[H + j]) * sv[2 * H + j] + sv[H + j] * hr[j];
        }
    });
    return record("gru_update", out, {a, b, h}, [saved, B, H](grad_context& ctx) {
        const Tensor& hprev = ctx.input(2);
        Tensor da = Tensor::empty({B, 3 * H}, hprev.dtype());
        Tensor db = Tensor::empty({B, 3 * H}, hprev.dtype());
        Tensor dh = Tensor::empty({B, H}, hprev.dtype());
        dispatch(hprev.dtype(), [&](auto tag) {
            using T = decltype(tag);
            gru_backward(ctx.grad().template data<T>(), hprev.data<T>(), saved.data<T>(),
                         da.data<T>(), db.data<T>(), dh.data<T>(), B, H);
        });
        ctx.accumulate(0, da);
        ctx.accumulate(1, db);
        ctx.accumulate(2, dh);
    });
}

} // namespace xgrad
