// fused(): a pointwise op written once as a generic lambda over scalars, differentiated by
// xgrad itself. One tape node, one pass over memory forward and one backward, SIMD lanes where
// the inputs are finite; the user writes no derivative.
//
//   auto [h, c] = fused<2>("peephole_lstm", [](auto zi, auto zf, auto zg, auto zo, auto c,
//                                              auto pi, auto pf, auto po) {
//       using namespace xgrad::fn;
//       auto i = sigmoid(zi + pi * c);   // one declaration per value: each value's type
//       auto f = sigmoid(zf + pf * c);   // says which inputs it depends on
//       auto c2 = f * c + i * tanh(zg);
//       auto o = sigmoid(zo + po * c2);
//       return std::tuple{o * tanh(c2), c2};
//   }, zi, zf, zg, zo, c, w_ci, w_cf, w_co);
//
// How: the lambda is called with values of xgrad's type dual<V, M> (V a float, a double or an
// xsimd batch of them; M a bit mask of the inputs the value depends on), for which + - * /
// (also with plain double constants), unary -, and the functions of xgrad::fn (sigmoid, tanh,
// exp, log, sqrt, relu, square) are defined. Forward calls it with values only (M = 0).
// Backward calls it again with input k seeded with the tangent 1 for itself (forward-mode
// automatic differentiation, "dual numbers"): each intermediate carries its exact partial
// derivatives with respect to the inputs it depends on, which the masks know at compile time,
// and dL/dinput_k = sum_o dL/dout_o d out_o / d input_k. The derivative is exact (no finite
// differences), in one pass that recomputes the forward from the saved inputs; each operation
// costs one multiply-add per input its result depends on.
//
// Inputs: Variables of one dtype (float32 or float64), each either of the outputs' shape, or a
// row [D] with D the last dimension of that shape (a per-unit weight such as a peephole,
// broadcast over the rows; its gradient is summed over them), or blocks<G>(x): x [..., G*D]
// read as G inputs [..., D] in place (the gates of one GEMM). The outputs' shape is the first
// input's (one block of it for blocks<G>). Outputs: NOut tensors (a var_list). The lambda returns
// one value (NOut = 1) or a std::tuple of NOut values (a tuple: outputs depending on different
// inputs have different types; for the same reason declare one intermediate per `auto`), and
// must be a pure function of its arguments (it runs many times, on lanes). Where an input holds a
// NaN or infinity the whole op takes the scalar path (std:: functions). Throws shape_error naming
// `name` and the shapes when an input fits neither form, value_error for mixed or integer dtypes.
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

namespace detail::fused_impl
{

constexpr std::size_t popcount(std::uint64_t m)
{
    std::size_t c = 0;
    for (; m; m &= m - 1)
        ++c;
    return c;
}
// Position of bit b among m's set bits, or -1 when b is not set.
constexpr int rank(std::uint64_t m, int b)
{
    return ((m >> b) & 1u) ? static_cast<int>(popcount(m & ((std::uint64_t{1} << b) - 1))) : -1;
}
// The r-th set bit of m.
constexpr int nth_bit(std::uint64_t m, std::size_t r)
{
    for (int b = 0; b < 64; ++b)
        if ((m >> b) & 1u)
        {
            if (r == 0)
                return b;
            --r;
        }
    return -1;
}

} // namespace detail::fused_impl

// A value with the tangents of the inputs in the bit mask M: d[r] is its derivative with respect
// to the input of M's r-th set bit. Each operation's result depends on the union of its
// operands' inputs, known at compile time, so a cell's intermediates carry only the few
// derivatives they can have (i = sigma(z_i + w * c) carries 3 of a peephole update's 8).
// M = 0: a plain value (the forward pass, constants).
template <class V, std::uint64_t M>
struct dual
{
    static constexpr std::uint64_t mask = M;
    V v;
    std::array<V, detail::fused_impl::popcount(M)> d;
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
    return V(static_cast<typename dual_scalar<V>::type>(c));
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

// A function of one dual: value f(v), each tangent times f'(v).
template <class V, std::uint64_t M>
dual<V, M> chain(const V& value, const V& slope, const dual<V, M>& x)
{
    dual<V, M> r{value, {}};
    for (std::size_t k = 0; k < r.d.size(); ++k)
        r.d[k] = slope * x.d[k];
    return r;
}

// The tangent of input Bit in a result whose operands contribute fa(a's) and fb(b's); an
// operand that does not depend on the input contributes nothing (decided at compile time).
template <int Bit, class V, std::uint64_t A, std::uint64_t B, class FA, class FB>
V tangent(const dual<V, A>& a, const dual<V, B>& b, const FA& fa, const FB& fb)
{
    constexpr int ia = rank(A, Bit), ib = rank(B, Bit);
    if constexpr (ia >= 0 && ib >= 0)
        return fa(a.d[ia]) + fb(b.d[ib]);
    else if constexpr (ia >= 0)
        return fa(a.d[ia]);
    else
        return fb(b.d[ib]);
}
template <class V, std::uint64_t A, std::uint64_t B, class FA, class FB, std::size_t... K>
dual<V, A | B> combine(const V& value, const dual<V, A>& a, const dual<V, B>& b, const FA& fa,
                       const FB& fb, std::index_sequence<K...>)
{
    dual<V, A | B> r{value, {}};
    ((r.d[K] = tangent<nth_bit(A | B, K)>(a, b, fa, fb)), ...);
    return r;
}
template <class V, std::uint64_t A, std::uint64_t B, class FA, class FB>
dual<V, A | B> combine(const V& value, const dual<V, A>& a, const dual<V, B>& b, const FA& fa,
                       const FB& fb)
{
    return combine(value, a, b, fa, fb, std::make_index_sequence<popcount(A | B)>{});
}

} // namespace detail::fused_impl

// ---- arithmetic on duals (sum, product and quotient rules), also with double constants ------

template <class V, std::uint64_t A, std::uint64_t B>
dual<V, A | B> operator+(const dual<V, A>& a, const dual<V, B>& b)
{
    const auto same = [](const V& t) {
        return t;
    };
    return detail::fused_impl::combine(a.v + b.v, a, b, same, same);
}
template <class V, std::uint64_t A, std::uint64_t B>
dual<V, A | B> operator-(const dual<V, A>& a, const dual<V, B>& b)
{
    return detail::fused_impl::combine(
        a.v - b.v, a, b, [](const V& t) { return t; }, [](const V& t) { return -t; });
}
template <class V, std::uint64_t A, std::uint64_t B>
dual<V, A | B> operator*(const dual<V, A>& a, const dual<V, B>& b)
{
    return detail::fused_impl::combine(
        a.v * b.v, a, b, [&](const V& t) { return t * b.v; }, [&](const V& t) { return a.v * t; });
}
template <class V, std::uint64_t A, std::uint64_t B>
dual<V, A | B> operator/(const dual<V, A>& a, const dual<V, B>& b)
{
    const V inv = V(1) / b.v, q = a.v * inv;
    return detail::fused_impl::combine(
        q, a, b, [&](const V& t) { return t * inv; }, [&](const V& t) { return -(q * inv) * t; });
}
template <class V, std::uint64_t M>
dual<V, M> operator-(const dual<V, M>& a)
{
    return detail::fused_impl::chain(-a.v, V(-1), a);
}
// A constant c is a dual without tangents.
template <class V>
dual<V, 0> constant(double c)
{
    return {detail::fused_impl::splat<V>(c), {}};
}
#define XGRAD_FUSED_SCALAR_OP(op)                                                                  \
    template <class V, std::uint64_t M>                                                            \
    dual<V, M> operator op(const dual<V, M>& a, double c)                                          \
    {                                                                                              \
        return a op constant<V>(c);                                                                \
    }                                                                                              \
    template <class V, std::uint64_t M>                                                            \
    dual<V, M> operator op(double c, const dual<V, M>& a)                                          \
    {                                                                                              \
        return constant<V>(c) op a;                                                                \
    }
XGRAD_FUSED_SCALAR_OP(+)
XGRAD_FUSED_SCALAR_OP(-)
XGRAD_FUSED_SCALAR_OP(*)
XGRAD_FUSED_SCALAR_OP(/)
#undef XGRAD_FUSED_SCALAR_OP

// The functions a fused lambda may call (using namespace xgrad::fn;), each with its derivative.
namespace fn
{

template <class V, std::uint64_t M>
dual<V, M> exp(const dual<V, M>& x)
{
    const V e = detail::fused_impl::vexp(x.v);
    return detail::fused_impl::chain(e, e, x); // e^x' = e^x
}
template <class V, std::uint64_t M>
dual<V, M> log(const dual<V, M>& x)
{
    return detail::fused_impl::chain(detail::fused_impl::vlog(x.v), V(1) / x.v, x);
}
template <class V, std::uint64_t M>
dual<V, M> tanh(const dual<V, M>& x)
{
    const V t = detail::fused_impl::vtanh(x.v);
    return detail::fused_impl::chain(t, V(1) - t * t, x); // tanh' = 1 - tanh^2
}
template <class V, std::uint64_t M>
dual<V, M> sigmoid(const dual<V, M>& x)
{
    const V s = V(1) / (V(1) + detail::fused_impl::vexp(-x.v));
    return detail::fused_impl::chain(s, s * (V(1) - s), x); // sigma' = sigma (1 - sigma)
}
template <class V, std::uint64_t M>
dual<V, M> sqrt(const dual<V, M>& x)
{
    const V r = detail::fused_impl::vsqrt(x.v);
    return detail::fused_impl::chain(r, V(0.5) / r, x);
}
template <class V, std::uint64_t M>
dual<V, M> relu(const dual<V, M>& x)
{
    const V m = detail::fused_impl::vrelu_mask(x.v); // derivative 0 at x <= 0, as PyTorch
    return detail::fused_impl::chain(x.v * m, m, x);
}
template <class V, std::uint64_t M>
dual<V, M> square(const dual<V, M>& x)
{
    return detail::fused_impl::chain(x.v * x.v, V(2) * x.v, x);
}

} // namespace fn

namespace detail::fused_impl
{

// A lambda's result: one dual, or a std::tuple of them (their masks differ).
template <class R>
struct output_count : std::integral_constant<std::size_t, 1>
{};
template <class... E>
struct output_count<std::tuple<E...>> : std::integral_constant<std::size_t, sizeof...(E)>
{};

template <class R>
struct is_tuple : std::false_type
{};
template <class... E>
struct is_tuple<std::tuple<E...>> : std::true_type
{};
template <std::size_t O, class R>
const auto& output_at(const R& r)
{
    if constexpr (is_tuple<R>::value)
        return std::get<O>(r);
    else
        return r;
}

// g(integral_constant<0>), ..., g(integral_constant<N - 1>).
template <class G, std::size_t... O>
void each_index(G&& g, std::index_sequence<O...>)
{
    (g(std::integral_constant<std::size_t, O>{}), ...);
}

// Input I as the lambda's argument: its value, with (Tangents) the tangent 1 for itself.
template <bool Tangents, std::size_t I, class V>
auto argument(const V& x)
{
    if constexpr (Tangents)
        return dual<V, std::uint64_t{1} << I>{x, {V(1)}};
    else
        return dual<V, 0>{x, {}};
}
template <bool Tangents, class V, std::size_t NIn, class F, std::size_t... I>
auto evaluate(F& f, const std::array<V, NIn>& x, std::index_sequence<I...>)
{
    return f(argument<Tangents, I>(x[I])...);
}

// dL/dinput_i += go * d out / d input_i for every input output O depends on.
template <std::size_t I, class D, class V, std::size_t N>
void add_partial(const D& d, const V& go, std::array<V, N>& acc)
{
    constexpr int k = rank(D::mask, static_cast<int>(I));
    if constexpr (k >= 0)
        acc[I] = acc[I] + go * d.d[k];
}
template <class D, class V, std::size_t N, std::size_t... I>
void add_partials(const D& d, const V& go, std::array<V, N>& acc, std::index_sequence<I...>)
{
    (add_partial<I>(d, go, acc), ...);
}

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
    // Flat index in the variable of output element k = r * cols + j.
    std::size_t at(std::size_t k, std::size_t r, std::size_t j, std::size_t cols) const
    {
        switch (kind)
        {
        case source_kind::full:
            return k;
        case source_kind::row:
            return j;
        default:
            return (r * groups + block) * cols + j;
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
    static_assert(nin::value <= 64, "fused: at most 64 inputs (a dual's mask is 64 bits)");
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
        using R0 = decltype(evaluate<false>(f, std::array<T, nin::value>{},
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
                const std::size_t lanes = std::min(L, n - k), row = k / cols, j = k % cols;
                alignas(64) T pad[L];
                std::array<V, nin::value> x;
                for (std::size_t i = 0; i < nin::value; ++i)
                {
                    const T* p = base[slots[i].var] + slots[i].at(k, row, j, cols);
                    if (lanes == L)
                        x[i] = load<V>(p);
                    else
                    {
                        for (std::size_t l = 0; l < L; ++l)
                            pad[l] = p[std::min(l, lanes - 1)];
                        x[i] = load<V>(pad);
                    }
                }
                const auto r = evaluate<false>(f, x, std::make_index_sequence<nin::value>{});
                each_index(
                    [&](auto oc) {
                        T* out = outs[decltype(oc)::value].template data<T>() + k;
                        if (lanes == L)
                            store(output_at<decltype(oc)::value>(r).v, out);
                        else // the tail: only its real lanes
                        {
                            store(output_at<decltype(oc)::value>(r).v, pad);
                            std::copy(pad, pad + lanes, out);
                        }
                    },
                    std::make_index_sequence<nout::value>{});
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
                    const std::size_t lanes = std::min(L, n - k), row = k / cols, j = k % cols;
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
                        x[i] = lanes_of(base[slots[i].var] + slots[i].at(k, row, j, cols));
                    const auto r = evaluate<true>(f, x, std::make_index_sequence<nin::value>{});
                    std::array<V, nin::value> acc;
                    acc.fill(V(0));
                    each_index(
                        [&](auto oc) {
                            constexpr std::size_t o = decltype(oc)::value;
                            if (!g[o])
                                return;
                            const V go = lanes_of(g[o] + k); // padded lanes are dropped below
                            add_partials(output_at<o>(r), go, acc,
                                         std::make_index_sequence<nin::value>{});
                        },
                        std::make_index_sequence<nout::value>{});
                    for (std::size_t i = 0; i < nin::value; ++i)
                    {
                        T* p = dx[slots[i].var].template data<T>() + slots[i].at(k, row, j, cols);
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
