// fused(): a pointwise op written once as a generic lambda over scalars, differentiated by
// xgrad itself. One tape node, one pass over memory forward and one backward, SIMD lanes where
// the inputs are finite; the user writes no derivative.
//
//   auto [h, c] = fused<2>("peephole_lstm", [](auto zi, auto zf, auto zg, auto zo, auto c,
//                                              auto pi, auto pf, auto po) {
//       using namespace xgrad::fn;
//       auto i = sigmoid(zi + pi * c), f = sigmoid(zf + pf * c);
//       auto c2 = f * c + i * tanh(zg);
//       auto o = sigmoid(zo + po * c2);
//       return std::array{o * tanh(c2), c2};
//   }, zi, zf, zg, zo, c, w_ci, w_cf, w_co);
//
// How: the lambda is called with values of one of xgrad's types, dual<V, N> (V a float, a
// double or an xsimd batch of them), for which + - * / (also with plain double constants),
// unary -, and the functions of xgrad::fn (sigmoid, tanh, exp, log, sqrt, relu, square) are
// defined. Forward calls it with N = 0 (values only). Backward calls it again with N = the
// number of inputs, input k's tangent the unit vector e_k (forward-mode automatic
// differentiation, "dual numbers"): each output then carries its exact partial derivatives
// with respect to every input at that element, and dL/dinput_k = sum_o dL/dout_o
// d out_o / d input_k. The derivative is exact (no finite differences) and costs about NIn + 1
// times the forward's arithmetic, in one pass that recomputes the forward from the saved inputs.
//
// Inputs: Variables of one dtype (float32 or float64), each either of the outputs' shape, or a
// row [D] with D the last dimension of that shape (a per-unit weight such as a peephole,
// broadcast over the rows; its gradient is summed over them), or blocks<G>(x): x [..., G*D]
// read as G inputs [..., D] in place (the gates of one GEMM). The outputs' shape is the first
// input's (one block of it for blocks<G>). Outputs: NOut tensors (a var_list). The lambda returns
// one value (NOut = 1) or a std::array of NOut values, and must be a pure function of its arguments
// (it runs many times, on lanes). Where an input holds a NaN or infinity the whole op takes the
// scalar path (std:: functions). Throws shape_error naming `name` and the shapes when an input fits
// neither form, value_error for mixed or integer dtypes.
//
// Built with g++ 12 and -march=native on an AVX-512 CPU, a file that uses fused() gets "'__Y'
// (may be) used uninitialized" warnings from inside g++'s own AVX-512 intrinsics (GCC bug
// 105593, fixed in 13), not from this code: -Wno-maybe-uninitialized -Wno-uninitialized
// silence them (xgrad's own build does so for its tests, benchmarks and custom_cell).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "xgrad/autograd/tape.hpp"

namespace xgrad
{

// A value with N tangents: v + sum_k d[k] e_k. N = 0 is a plain value.
template <class V, std::size_t N>
struct dual
{
    V v;
    std::array<V, N> d;
};

namespace detail::fused_impl
{

template <class V, class = void>
struct dual_scalar
{
    using type = V;
};
template <class V>
struct dual_scalar<V, std::void_t<typename V::value_type>>
{
    using type = typename V::value_type;
};

template <class V>
V splat(double c)
{
    if constexpr (std::is_floating_point_v<V>)
        return static_cast<V>(c);
    else
        return V(static_cast<typename V::value_type>(c));
}

template <class V>
V vexp(const V& x)
{
    if constexpr (std::is_floating_point_v<V>)
        return std::exp(x);
    else
        return xsimd::exp(x);
}
template <class V>
V vlog(const V& x)
{
    if constexpr (std::is_floating_point_v<V>)
        return std::log(x);
    else
        return xsimd::log(x);
}
template <class V>
V vtanh(const V& x)
{
    if constexpr (std::is_floating_point_v<V>)
        return std::tanh(x);
    else
        return xsimd::tanh(x);
}
template <class V>
V vsqrt(const V& x)
{
    if constexpr (std::is_floating_point_v<V>)
        return std::sqrt(x);
    else
        return xsimd::sqrt(x);
}
template <class V>
V vrelu_mask(const V& x) // 1 where x > 0, else 0
{
    if constexpr (std::is_floating_point_v<V>)
        return x > 0 ? V(1) : V(0);
    else
        return xsimd::select(x > V(0), V(1), V(0));
}

// A function of one dual: value f(v), derivative df = f'(v) applied to every tangent.
template <class V, std::size_t N>
dual<V, N> chain(const V& value, const V& slope, const dual<V, N>& x)
{
    dual<V, N> r{value, {}};
    for (std::size_t k = 0; k < N; ++k)
        r.d[k] = slope * x.d[k];
    return r;
}

} // namespace detail::fused_impl

// ---- arithmetic on duals (product and quotient rules), also with double constants ----------

template <class V, std::size_t N>
dual<V, N> operator+(const dual<V, N>& a, const dual<V, N>& b)
{
    dual<V, N> r{a.v + b.v, {}};
    for (std::size_t k = 0; k < N; ++k)
        r.d[k] = a.d[k] + b.d[k];
    return r;
}
template <class V, std::size_t N>
dual<V, N> operator-(const dual<V, N>& a, const dual<V, N>& b)
{
    dual<V, N> r{a.v - b.v, {}};
    for (std::size_t k = 0; k < N; ++k)
        r.d[k] = a.d[k] - b.d[k];
    return r;
}
template <class V, std::size_t N>
dual<V, N> operator*(const dual<V, N>& a, const dual<V, N>& b)
{
    dual<V, N> r{a.v * b.v, {}};
    for (std::size_t k = 0; k < N; ++k)
        r.d[k] = a.d[k] * b.v + a.v * b.d[k];
    return r;
}
template <class V, std::size_t N>
dual<V, N> operator/(const dual<V, N>& a, const dual<V, N>& b)
{
    const V inv = V(1) / b.v;
    dual<V, N> r{a.v * inv, {}};
    for (std::size_t k = 0; k < N; ++k)
        r.d[k] = (a.d[k] - r.v * b.d[k]) * inv;
    return r;
}
template <class V, std::size_t N>
dual<V, N> operator-(const dual<V, N>& a)
{
    dual<V, N> r{-a.v, {}};
    for (std::size_t k = 0; k < N; ++k)
        r.d[k] = -a.d[k];
    return r;
}
// A constant c is the dual (c, 0).
template <class V, std::size_t N>
dual<V, N> constant(double c)
{
    return {detail::fused_impl::splat<V>(c), {}};
}
#define XGRAD_FUSED_SCALAR_OP(op)                                                                  \
    template <class V, std::size_t N>                                                              \
    dual<V, N> operator op(const dual<V, N>& a, double c)                                          \
    {                                                                                              \
        return a op constant<V, N>(c);                                                             \
    }                                                                                              \
    template <class V, std::size_t N>                                                              \
    dual<V, N> operator op(double c, const dual<V, N>& a)                                          \
    {                                                                                              \
        return constant<V, N>(c) op a;                                                             \
    }
XGRAD_FUSED_SCALAR_OP(+)
XGRAD_FUSED_SCALAR_OP(-)
XGRAD_FUSED_SCALAR_OP(*)
XGRAD_FUSED_SCALAR_OP(/)
#undef XGRAD_FUSED_SCALAR_OP

// The functions a fused lambda may call (using namespace xgrad::fn;), each with its derivative.
namespace fn
{

template <class V, std::size_t N>
dual<V, N> exp(const dual<V, N>& x)
{
    const V e = detail::fused_impl::vexp(x.v);
    return detail::fused_impl::chain(e, e, x); // e^x' = e^x
}
template <class V, std::size_t N>
dual<V, N> log(const dual<V, N>& x)
{
    return detail::fused_impl::chain(detail::fused_impl::vlog(x.v), V(1) / x.v, x);
}
template <class V, std::size_t N>
dual<V, N> tanh(const dual<V, N>& x)
{
    const V t = detail::fused_impl::vtanh(x.v);
    return detail::fused_impl::chain(t, V(1) - t * t, x); // tanh' = 1 - tanh^2
}
template <class V, std::size_t N>
dual<V, N> sigmoid(const dual<V, N>& x)
{
    const V s = V(1) / (V(1) + detail::fused_impl::vexp(-x.v));
    return detail::fused_impl::chain(s, s * (V(1) - s), x); // sigma' = sigma (1 - sigma)
}
template <class V, std::size_t N>
dual<V, N> sqrt(const dual<V, N>& x)
{
    const V r = detail::fused_impl::vsqrt(x.v);
    return detail::fused_impl::chain(r, V(0.5) / r, x);
}
template <class V, std::size_t N>
dual<V, N> relu(const dual<V, N>& x)
{
    const V m = detail::fused_impl::vrelu_mask(x.v); // derivative 0 at x <= 0, as PyTorch
    return detail::fused_impl::chain(x.v * m, m, x);
}
template <class V, std::size_t N>
dual<V, N> square(const dual<V, N>& x)
{
    return x * x;
}

} // namespace fn

namespace detail::fused_impl
{

template <class R>
struct output_count : std::integral_constant<std::size_t, 1> // one value
{};
template <class E, std::size_t K>
struct output_count<std::array<E, K>> : std::integral_constant<std::size_t, K>
{};

template <class R, class D>
const D& output_at(const R& r, std::size_t o)
{
    if constexpr (std::is_same_v<std::remove_cv_t<R>, D>)
        return r;
    else
        return r[o];
}

// The lambda's outputs at one chunk of W lanes: inputs loaded from in[i] (row inputs at the
// column), each a dual with tangents set by `seed` (N = 0: none).
template <class V, std::size_t N, std::size_t NIn, class F, std::size_t... I>
auto evaluate(F& f, const std::array<V, NIn>& x, std::index_sequence<I...>)
{
    std::array<dual<V, N>, NIn> a;
    for (std::size_t i = 0; i < NIn; ++i)
    {
        a[i].v = x[i];
        if constexpr (N > 0)
            for (std::size_t k = 0; k < N; ++k)
                a[i].d[k] = V(static_cast<typename dual_scalar<V>::type>(k == i ? 1 : 0));
    }
    return f(a[I]...);
}

// Loads W lanes of input i starting at flat element k (a row input at column k % cols; the
// caller guarantees the W lanes stay within one row or the tail is padded).
template <class V, class T>
V load(const T* p)
{
    if constexpr (std::is_floating_point_v<V>)
        return *p;
    else
        return V::load_unaligned(p);
}
template <class V, class T>
void store(const V& v, T* p)
{
    if constexpr (std::is_floating_point_v<V>)
        *p = v;
    else
        v.store_unaligned(p);
}

} // namespace detail::fused_impl

// The G column blocks of x [..., G*H], passed to a fused lambda as G inputs [..., H] without
// copying them (the gates of a cell's one GEMM: blocks<4>(gates) gives i, f, g, o); their
// gradients land in x's gradient.
template <std::size_t G>
struct blocks
{
    static_assert(G > 0, "blocks<G>: G >= 1");
    explicit blocks(Variable x) : v(std::move(x)) {}
    Variable v;
};

namespace detail::fused_impl
{

template <class A>
struct arg_count : std::integral_constant<std::size_t, 1>
{};
template <std::size_t G>
struct arg_count<blocks<G>> : std::integral_constant<std::size_t, G>
{};
inline const Variable& var_of(const Variable& v)
{
    return v;
}
template <std::size_t G>
const Variable& var_of(const blocks<G>& b)
{
    return b.v;
}
template <class A>
constexpr std::size_t groups_of()
{
    return arg_count<A>::value > 1 || !std::is_same_v<A, Variable> ? arg_count<A>::value : 0;
}

// Where one lambda argument reads: variable `var`, as the whole shape (full), a row [H]
// broadcast over the rows, or block q of G blocks of the last axis.
enum class source_kind
{
    full,
    row,
    block
};
struct slot
{
    std::size_t var = 0, block = 0, groups = 1;
    source_kind kind = source_kind::full;
    // Flat index of output element k (of rows of `cols`) in the variable.
    std::size_t at(std::size_t k, std::size_t cols) const
    {
        switch (kind)
        {
        case source_kind::full:
            return k;
        case source_kind::row:
            return k % cols;
        default:
            return (k / cols) * groups * cols + block * cols + k % cols;
        }
    }
};

} // namespace detail::fused_impl

template <std::size_t NOut = 0, class F, class... Args>
var_list fused(const char* name, F f, const Args&... args)
{
    using namespace detail::fused_impl;
    static_assert(sizeof...(Args) > 0, "fused: at least one input");
    // Counts as types: GCC 12 does not let nested lambdas read constexpr locals uncaptured.
    using nin = std::integral_constant<std::size_t, (arg_count<Args>::value + ...)>;
    using nvar = std::integral_constant<std::size_t, sizeof...(Args)>;
    const std::array<Variable, nvar::value> vars{var_of(args)...};
    const std::array<std::size_t, nvar::value> groups{groups_of<Args>()...};
    const Tensor& x0 = vars[0].data();
    if (!is_floating(x0.dtype()))
        fail<value_error>("{}: inputs must be float32 or float64, got {}", name,
                          dtype_name(x0.dtype()));
    // The outputs' shape: the first input's, or one block of it.
    shape_t shape = x0.shape();
    if (groups[0] > 0)
    {
        if (shape.empty() || shape.back() % groups[0] != 0)
            fail<shape_error>("{}: input 0 {} does not split into {} blocks of its last axis", name,
                              to_string(shape), groups[0]);
        shape[shape.size() - 1] /= groups[0];
    }
    const std::size_t cols = shape.empty() ? 1 : shape.back();
    std::size_t n = 1;
    for (const std::size_t d : shape)
        n *= d;
    std::array<slot, nin::value> slots;
    for (std::size_t v = 0, a = 0; v < nvar::value; ++v)
    {
        const Tensor& t = vars[v].data();
        if (t.dtype() != x0.dtype())
            fail<value_error>("{}: input {} is {}, input 0 {}", name, v, dtype_name(t.dtype()),
                              dtype_name(x0.dtype()));
        if (groups[v] > 0)
        {
            shape_t whole = shape;
            if (!whole.empty())
                whole[whole.size() - 1] *= groups[v];
            if (t.shape() != whole)
                fail<shape_error>("{}: input {} {} does not hold {} blocks of {}", name, v,
                                  to_string(t.shape()), groups[v], to_string(shape));
            for (std::size_t q = 0; q < groups[v]; ++q)
                slots[a++] = slot{v, q, groups[v], source_kind::block};
            continue;
        }
        const bool row = t.shape() != shape;
        if (row && t.shape() != shape_t{cols})
            fail<shape_error>("{}: input {} {} is neither the outputs' shape {} nor a row [{}]",
                              name, v, to_string(t.shape()), to_string(shape), cols);
        slots[a++] = slot{v, 0, 1, row ? source_kind::row : source_kind::full};
    }

    return dispatch(x0.dtype(), [&](auto tag) {
        using T = decltype(tag);
        using B = xsimd::batch<T>;
        using R0 = decltype(evaluate<T, 0, nin::value>(f, std::array<T, nin::value>{},
                                                       std::make_index_sequence<nin::value>{}));
        using nout = output_count<R0>;
        static_assert(NOut == 0 || NOut == nout::value,
                      "fused<NOut>: the lambda returns another count");

        std::array<const T*, nvar::value> base;
        bool finite = true;
        for (std::size_t v = 0; v < nvar::value; ++v)
        {
            const Tensor& t = vars[v].data();
            base[v] = t.template data<T>();
            for (std::size_t j = 0; j < t.numel(); ++j)
                finite &= std::isfinite(base[v][j]);
        }
        // SIMD when every input is finite (xsimd's exp is undefined on infinities) and, with
        // row or block inputs, a chunk of lanes never straddles two rows.
        const bool all_full = std::all_of(
            slots.begin(), slots.end(), [](const slot& s) { return s.kind == source_kind::full; });
        const bool vector = finite && (all_full || cols % B::size == 0);

        std::array<Tensor, nout::value> outs;
        for (auto& o : outs)
            o = Tensor::empty(shape, x0.dtype());
        // Chunks of L lanes (1 on the scalar path); the tail chunk is padded by repeating its
        // last element, so padded lanes compute what a real one does, and are not stored.
        auto forward = [&](auto vtag) {
            using V = decltype(vtag);
            constexpr std::size_t L = std::is_floating_point_v<V> ? 1 : B::size;
            for (std::size_t k = 0; k < n; k += L)
            {
                const std::size_t lanes = std::min(L, n - k);
                alignas(64) T pad[L];
                std::array<V, nin::value> x;
                for (std::size_t i = 0; i < nin::value; ++i)
                {
                    const T* p = base[slots[i].var] + slots[i].at(k, cols);
                    if (lanes == L)
                        x[i] = load<V>(p);
                    else
                    {
                        for (std::size_t l = 0; l < L; ++l)
                            pad[l] = p[std::min(l, lanes - 1)];
                        x[i] = load<V>(pad);
                    }
                }
                const auto r =
                    evaluate<V, 0, nin::value>(f, x, std::make_index_sequence<nin::value>{});
                for (std::size_t o = 0; o < nout::value; ++o)
                {
                    store(output_at<decltype(r), dual<V, 0>>(r, o).v, pad);
                    std::copy(pad, pad + lanes, outs[o].template data<T>() + k);
                }
            }
        };
        if (vector)
            forward(B{});
        else
            forward(T{});

        auto backward = [f, slots, n, cols, vector](grad_context& ctx) mutable {
            std::array<const T*, nvar::value> base;
            std::array<Tensor, nvar::value> dx;
            for (std::size_t v = 0; v < nvar::value; ++v)
            {
                base[v] = ctx.input(v).template data<T>();
                dx[v] = Tensor::zeros(ctx.input(v).shape(), ctx.input(v).dtype());
            }
            std::array<const T*, nout::value> g{};
            for (std::size_t o = 0; o < nout::value; ++o)
                g[o] = ctx.has_grad(o) ? ctx.grad(o).template data<T>() : nullptr;
            auto run = [&](auto vtag) {
                using V = decltype(vtag);
                constexpr std::size_t L = std::is_floating_point_v<V> ? 1 : xsimd::batch<T>::size;
                for (std::size_t k = 0; k < n; k += L)
                {
                    const std::size_t lanes = std::min(L, n - k);
                    alignas(64) T pad[L];
                    auto lanes_of = [&](const T* p) {
                        if (lanes == L)
                            return load<V>(p);
                        for (std::size_t l = 0; l < L; ++l)
                            pad[l] = p[std::min(l, lanes - 1)];
                        return load<V>(pad);
                    };
                    std::array<V, nin::value> x;
                    for (std::size_t i = 0; i < nin::value; ++i)
                        x[i] = lanes_of(base[slots[i].var] + slots[i].at(k, cols));
                    const auto r = evaluate<V, nin::value, nin::value>(
                        f, x, std::make_index_sequence<nin::value>{});
                    std::array<V, nin::value> acc;
                    acc.fill(V(0));
                    for (std::size_t o = 0; o < nout::value; ++o)
                    {
                        if (!g[o])
                            continue;
                        const V go = lanes_of(g[o] + k); // padded lanes are dropped below
                        const auto& d = output_at<decltype(r), dual<V, nin::value>>(r, o);
                        for (std::size_t i = 0; i < nin::value; ++i)
                            acc[i] = acc[i] + go * d.d[i];
                    }
                    for (std::size_t i = 0; i < nin::value; ++i)
                    {
                        T* p = dx[slots[i].var].template data<T>() + slots[i].at(k, cols);
                        store(acc[i], pad);
                        for (std::size_t l = 0; l < lanes; ++l)
                            p[l] += pad[l]; // a row input sums over the rows
                    }
                }
            };
            if (vector)
                run(xsimd::batch<T>{});
            else
                run(T{});
            for (std::size_t v = 0; v < nvar::value; ++v)
                ctx.accumulate(v, dx[v]);
        };
        return tape::current().record_multi(name, outs.data(), nout::value, vars.data(),
                                            nvar::value, std::move(backward));
    });
}

} // namespace xgrad
