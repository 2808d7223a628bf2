#include "xgrad/autograd/ops/conv.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "xgrad/autograd/blas.hpp"
#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// The geometry of one convolution or pooling: images [c, h, w], windows k_h x k_w.
struct geometry
{
    std::size_t n = 1, c = 1, h = 1, w = 1, co = 1, kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0,
                dh = 1, dw = 1, ho = 1, wo = 1;
    bool unbatched = false;
    std::size_t patch() const { return c * kh * kw; } // K: rows of the unfolded input
    std::size_t cells() const { return ho * wo; }     // L: output positions per image
};

std::string dims(const Variable& v)
{
    return v.defined() ? to_string(v.shape()) : "undefined";
}

// N, C, H, W of x ([N, C, H, W] or [C, H, W]; spatial_rank 1: [N, C, L] or [C, L], H = 1).
void read_input(const char* op, const Variable& x, std::size_t spatial_rank, geometry& g)
{
    if (!x.defined())
        fail<value_error>("{}: the input is undefined", op);
    const std::size_t r = x.dim();
    if (r != spatial_rank + 1 && r != spatial_rank + 2)
        fail<shape_error>("{}: input {} must be [N, C, {}] or [C, {}]", op, dims(x),
                          spatial_rank == 2 ? "H, W" : "L", spatial_rank == 2 ? "H, W" : "L");
    if (!is_floating(x.dtype()))
        fail<value_error>("{}: input of dtype {}; f32 or f64", op, dtype_name(x.dtype()));
    g.unbatched = r == spatial_rank + 1;
    const std::size_t o = g.unbatched ? 0 : 1;
    g.n = g.unbatched ? 1 : x.shape()[0];
    g.c = x.shape()[o];
    g.h = spatial_rank == 2 ? x.shape()[o + 1] : 1;
    g.w = x.shape()[o + spatial_rank];
}

// H_out along one axis; throws when the dilated window does not fit the padded extent.
std::size_t out_extent(const char* op, const Variable& x, std::size_t size, std::size_t k,
                       std::size_t s, std::size_t p, std::size_t d)
{
    if (s == 0 || d == 0 || k == 0)
        fail<value_error>("{}: kernel {}, stride {} and dilation {} must be positive", op, k, s, d);
    const std::size_t span = d * (k - 1) + 1;
    if (size + 2 * p < span)
        fail<shape_error>("{}: input {} padded by {} is {} wide, smaller than the kernel's "
                          "extent {} ({} with dilation {})",
                          op, dims(x), p, size + 2 * p, span, k, d);
    return (size + 2 * p - span) / s + 1;
}

shape_t output_shape(const geometry& g, std::size_t channels, bool one_d)
{
    shape_t s;
    if (!g.unbatched)
        s.push_back(g.n);
    s.push_back(channels);
    if (!one_d)
        s.push_back(g.ho);
    s.push_back(g.wo);
    return s;
}

// cols [K, L] of one image x [c, h, w]: row (c, u, v) holds x at every output position.
template <class T>
void im2col(const T* x, const geometry& g, T* cols)
{
    const std::size_t L = g.cells();
    for (std::size_t c = 0; c < g.c; ++c)
        for (std::size_t u = 0; u < g.kh; ++u)
            for (std::size_t v = 0; v < g.kw; ++v)
            {
                T* out = cols + ((c * g.kh + u) * g.kw + v) * L;
                for (std::size_t i = 0; i < g.ho; ++i)
                {
                    const long ih = long(i * g.sh + u * g.dh) - long(g.ph);
                    T* row = out + i * g.wo;
                    if (ih < 0 || ih >= long(g.h))
                    {
                        std::fill(row, row + g.wo, T(0));
                        continue;
                    }
                    const T* in = x + (c * g.h + std::size_t(ih)) * g.w;
                    for (std::size_t j = 0; j < g.wo; ++j)
                    {
                        const long iw = long(j * g.sw + v * g.dw) - long(g.pw);
                        row[j] = iw >= 0 && iw < long(g.w) ? in[iw] : T(0);
                    }
                }
            }
}

// The adjoint of im2col: dx [c, h, w] += fold(dcols).
template <class T>
void col2im(const T* dcols, const geometry& g, T* dx)
{
    const std::size_t L = g.cells();
    for (std::size_t c = 0; c < g.c; ++c)
        for (std::size_t u = 0; u < g.kh; ++u)
            for (std::size_t v = 0; v < g.kw; ++v)
            {
                const T* src = dcols + ((c * g.kh + u) * g.kw + v) * L;
                for (std::size_t i = 0; i < g.ho; ++i)
                {
                    const long ih = long(i * g.sh + u * g.dh) - long(g.ph);
                    if (ih < 0 || ih >= long(g.h))
                        continue;
                    T* out = dx + (c * g.h + std::size_t(ih)) * g.w;
                    const T* row = src + i * g.wo;
                    for (std::size_t j = 0; j < g.wo; ++j)
                    {
                        const long iw = long(j * g.sw + v * g.dw) - long(g.pw);
                        if (iw >= 0 && iw < long(g.w))
                            out[iw] += row[j];
                    }
                }
            }
}

Variable convolution(const char* op, const Variable& x, const Variable& w, const Variable& bias,
                     geometry g, bool one_d)
{
    const shape_t ws = w.shape();
    if (ws[1] != g.c)
        fail<shape_error>("{}: input {} has {} channels, weight {} expects {}", op, dims(x), g.c,
                          dims(w), ws[1]);
    if (w.dtype() != x.dtype() || (bias.defined() && bias.dtype() != x.dtype()))
        fail<value_error>("{}: dtypes differ: input {}, weight {}{}", op, dtype_name(x.dtype()),
                          dtype_name(w.dtype()),
                          bias.defined() ? fmt::format(", bias {}", dtype_name(bias.dtype())) : "");
    if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != g.co))
        fail<shape_error>("{}: bias {} for weight {}: expected [{}]", op, dims(bias), dims(w),
                          g.co);
    g.ho = out_extent(op, x, g.h, g.kh, g.sh, g.ph, g.dh);
    g.wo = out_extent(op, x, g.w, g.kw, g.sw, g.pw, g.dw);
    Tensor y = Tensor::empty(output_shape(g, g.co, one_d), x.dtype());
    const std::size_t K = g.patch(), L = g.cells();
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        std::vector<T> cols(K * L);
        const T* px = x.data().data<T>();
        const T* pw = w.data().data<T>();
        T* py = y.data<T>();
        for (std::size_t n = 0; n < g.n; ++n)
        {
            im2col(px + n * g.c * g.h * g.w, g, cols.data());
            T* yn = py + n * g.co * L;
            T beta = T(0);
            if (bias.defined())
            {
                const T* pb = bias.data().data<T>();
                for (std::size_t o = 0; o < g.co; ++o)
                    std::fill(yn + o * L, yn + (o + 1) * L, pb[o]);
                beta = T(1);
            }
            blas::gemm(false, false, g.co, L, K, T(1), pw, cols.data(), beta, yn);
        }
    });
    auto backward = [g](grad_context& c) {
        const std::size_t K = g.patch(), L = g.cells();
        dispatch(c.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* dy = c.grad().data<T>();
            const T* px = c.input(0).data<T>();
            const T* pw = c.input(1).data<T>();
            std::vector<T> buf(K * L);
            if (c.needs(1))
            {
                bool fresh = false;
                T* dw = c.slot(1, &fresh).template data<T>();
                T beta = fresh ? T(0) : T(1);
                for (std::size_t n = 0; n < g.n; ++n)
                {
                    im2col(px + n * g.c * g.h * g.w, g, buf.data());
                    blas::gemm(false, true, g.co, K, L, T(1), dy + n * g.co * L, buf.data(), beta,
                               dw);
                    beta = T(1);
                }
            }
            if (c.needs(0))
            {
                T* dx = c.slot(0).template data<T>();
                for (std::size_t n = 0; n < g.n; ++n)
                {
                    blas::gemm(true, false, K, L, g.co, T(1), pw, dy + n * g.co * L, T(0),
                               buf.data());
                    col2im(buf.data(), g, dx + n * g.c * g.h * g.w);
                }
            }
            if (c.num_inputs() == 3 && c.needs(2))
            {
                T* db = c.slot(2).template data<T>();
                for (std::size_t n = 0; n < g.n; ++n)
                    for (std::size_t o = 0; o < g.co; ++o)
                    {
                        const T* row = dy + (n * g.co + o) * L;
                        T s = T(0);
                        for (std::size_t l = 0; l < L; ++l)
                            s += row[l];
                        db[o] += s;
                    }
            }
        });
    };
    if (bias.defined())
        return record(op, y, {x, w, bias}, backward);
    return record(op, y, {x, w}, backward);
}

void check_weight(const char* op, const Variable& w, std::size_t rank)
{
    if (!w.defined() || w.dim() != rank)
        fail<shape_error>("{}: weight {} must be [C_out, C, {}]", op, dims(w),
                          rank == 4 ? "k_h, k_w" : "k");
}

} // namespace

Variable conv2d(const Variable& x, const Variable& w, const Variable& bias, const conv2d_options& o)
{
    geometry g;
    read_input("conv2d", x, 2, g);
    check_weight("conv2d", w, 4);
    g.co = w.shape()[0];
    g.kh = w.shape()[2];
    g.kw = w.shape()[3];
    g.sh = o.stride[0];
    g.sw = o.stride[1];
    g.ph = o.padding[0];
    g.pw = o.padding[1];
    g.dh = o.dilation[0];
    g.dw = o.dilation[1];
    return convolution("conv2d", x, w, bias, g, false);
}

Variable conv1d(const Variable& x, const Variable& w, const Variable& bias, const conv1d_options& o)
{
    geometry g;
    read_input("conv1d", x, 1, g);
    check_weight("conv1d", w, 3);
    g.co = w.shape()[0];
    g.kw = w.shape()[2];
    g.sw = o.stride;
    g.pw = o.padding;
    g.dw = o.dilation;
    return convolution("conv1d", x, w, bias, g, true);
}

namespace
{

geometry pool_geometry(const char* op, const Variable& x, const pool2d_options& o)
{
    geometry g;
    read_input(op, x, 2, g);
    g.co = g.c;
    g.kh = o.kernel[0];
    g.kw = o.kernel[1];
    g.sh = o.stride[0] ? o.stride[0] : g.kh;
    g.sw = o.stride[1] ? o.stride[1] : g.kw;
    g.ph = o.padding[0];
    g.pw = o.padding[1];
    if (g.kh == 0 || g.kw == 0)
        fail<value_error>("{}: kernel {}x{} must be positive", op, g.kh, g.kw);
    if (2 * g.ph > g.kh || 2 * g.pw > g.kw)
        fail<value_error>("{}: padding {}x{} is more than half the kernel {}x{}", op, g.ph, g.pw,
                          g.kh, g.kw);
    g.ho = out_extent(op, x, g.h, g.kh, g.sh, g.ph, 1);
    g.wo = out_extent(op, x, g.w, g.kw, g.sw, g.pw, 1);
    return g;
}

// Rows [lo, hi) of window i of a pooling along one axis, clipped to the image.
struct span
{
    std::size_t lo, hi;
};
span window(std::size_t i, std::size_t s, std::size_t k, std::size_t p, std::size_t size)
{
    const long a = long(i * s) - long(p), b = a + long(k);
    return {std::size_t(std::max(a, 0L)), std::size_t(std::min(b, long(size)))};
}

} // namespace

Variable max_pool2d(const Variable& x, const pool2d_options& o)
{
    const geometry g = pool_geometry("max_pool2d", x, o);
    Tensor y = Tensor::empty(output_shape(g, g.c, false), x.dtype());
    // The flat index (within its image plane) of each output's maximum, for the backward.
    auto where = std::make_shared<std::vector<std::uint32_t>>(g.n * g.c * g.cells());
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data().data<T>();
        T* py = y.data<T>();
        std::uint32_t* pi = where->data();
        for (std::size_t p = 0; p < g.n * g.c; ++p)
        {
            const T* plane = px + p * g.h * g.w;
            for (std::size_t i = 0; i < g.ho; ++i)
                for (std::size_t j = 0; j < g.wo; ++j)
                {
                    const span r = window(i, g.sh, g.kh, g.ph, g.h);
                    const span q = window(j, g.sw, g.kw, g.pw, g.w);
                    T best = -std::numeric_limits<T>::infinity();
                    std::size_t at = r.lo * g.w + q.lo;
                    for (std::size_t a = r.lo; a < r.hi; ++a)
                        for (std::size_t b = q.lo; b < q.hi; ++b)
                        {
                            const T v = plane[a * g.w + b];
                            if (v > best || std::isnan(v))
                            {
                                best = v;
                                at = a * g.w + b;
                                if (std::isnan(v))
                                    goto done;
                            }
                        }
                done:
                    *py++ = best;
                    *pi++ = std::uint32_t(at);
                }
        }
    });
    return record("max_pool2d", y, {x}, [g, where](grad_context& c) {
        dispatch(c.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* dy = c.grad().data<T>();
            T* dx = c.slot(0).template data<T>();
            const std::uint32_t* pi = where->data();
            const std::size_t L = g.cells();
            for (std::size_t p = 0; p < g.n * g.c; ++p)
                for (std::size_t l = 0; l < L; ++l)
                    dx[p * g.h * g.w + pi[p * L + l]] += dy[p * L + l];
        });
    });
}

namespace
{

// One rectangle of the input and the count its sum is divided by.
struct cell_window
{
    span rows, cols;
    double divisor;
};

// The mean of each output's window (avg_pool2d and adaptive_avg_pool2d): forward and backward
// over the windows `window(i, j)` gives.
template <class Window>
Variable window_mean(const char* op, const Variable& x, const geometry& g, Window window)
{
    Tensor y = Tensor::empty(output_shape(g, g.c, false), x.dtype());
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data().data<T>();
        T* py = y.data<T>();
        for (std::size_t p = 0; p < g.n * g.c; ++p)
        {
            const T* plane = px + p * g.h * g.w;
            for (std::size_t i = 0; i < g.ho; ++i)
                for (std::size_t j = 0; j < g.wo; ++j)
                {
                    const cell_window c = window(i, j);
                    T s = T(0);
                    for (std::size_t a = c.rows.lo; a < c.rows.hi; ++a)
                        for (std::size_t b = c.cols.lo; b < c.cols.hi; ++b)
                            s += plane[a * g.w + b];
                    *py++ = s / T(c.divisor);
                }
        }
    });
    return record(op, y, {x}, [g, window](grad_context& ctx) {
        dispatch(ctx.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* dy = ctx.grad().data<T>();
            T* dx = ctx.slot(0).template data<T>();
            for (std::size_t p = 0; p < g.n * g.c; ++p)
            {
                T* plane = dx + p * g.h * g.w;
                for (std::size_t i = 0; i < g.ho; ++i)
                    for (std::size_t j = 0; j < g.wo; ++j)
                    {
                        const cell_window c = window(i, j);
                        const T share = dy[(p * g.ho + i) * g.wo + j] / T(c.divisor);
                        for (std::size_t a = c.rows.lo; a < c.rows.hi; ++a)
                            for (std::size_t b = c.cols.lo; b < c.cols.hi; ++b)
                                plane[a * g.w + b] += share;
                    }
            }
        });
    });
}

} // namespace

Variable avg_pool2d(const Variable& x, const pool2d_options& o, bool count_include_pad)
{
    const geometry g = pool_geometry("avg_pool2d", x, o);
    // The divisor: the whole kernel (clipped to the padded extent, as PyTorch's), or the
    // window's cells inside the image.
    return window_mean("avg_pool2d", x, g, [g, count_include_pad](std::size_t i, std::size_t j) {
        const span r = window(i, g.sh, g.kh, g.ph, g.h), q = window(j, g.sw, g.kw, g.pw, g.w);
        if (!count_include_pad)
            return cell_window{r, q, double((r.hi - r.lo) * (q.hi - q.lo))};
        const span rp = window(i, g.sh, g.kh, 0, g.h + 2 * g.ph);
        const span qp = window(j, g.sw, g.kw, 0, g.w + 2 * g.pw);
        return cell_window{r, q, double((rp.hi - rp.lo) * (qp.hi - qp.lo))};
    });
}

Variable adaptive_avg_pool2d(const Variable& x, std::size_t out_h, std::size_t out_w)
{
    geometry g;
    read_input("adaptive_avg_pool2d", x, 2, g);
    if (out_h == 0 || out_w == 0)
        fail<value_error>("adaptive_avg_pool2d: output size {}x{} must be positive", out_h, out_w);
    g.ho = out_h;
    g.wo = out_w;
    // Cell i of n over `size`: [floor(i size / n), ceil((i + 1) size / n)).
    return window_mean("adaptive_avg_pool2d", x, g, [g](std::size_t i, std::size_t j) {
        const span r{i * g.h / g.ho, ((i + 1) * g.h + g.ho - 1) / g.ho};
        const span q{j * g.w / g.wo, ((j + 1) * g.w + g.wo - 1) / g.wo};
        return cell_window{r, q, double((r.hi - r.lo) * (q.hi - q.lo))};
    });
}

} // namespace xgrad
