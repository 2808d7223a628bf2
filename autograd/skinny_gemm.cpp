#include "xgrad/autograd/skinny_gemm.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#if defined(__AVX512F__)
// g++ 12's AVX-512 intrinsics pass _mm512_undefined_ps() as the unused merge source of their
// masked builtins, and -Wuninitialized then warns in its own header at every call.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

namespace xgrad::blas
{

#if defined(__AVX512F__)
namespace
{

constexpr std::size_t lanes = 16;

// The first r lanes (r <= 16).
inline __mmask16 first_lanes(std::size_t r)
{
    return static_cast<__mmask16>((1u << r) - 1u);
}

inline float with_beta(float sum, float beta, const float& c)
{
    return beta == 0.0f ? sum : std::fma(beta, c, sum);
}

// ---- nt: C = A B^T, each element a dot product of two contiguous rows of length k ----------
//
// A 4 x 4 tile keeps 16 accumulators, lane l of acc[i][j] summing a[i][p] b[j][p] over
// p = l, l + 16, ... in order (the last partial vector masked to zero). The 16 lanes are then
// added by one tree for the whole tile (45 instructions for 16 sums): per 128-bit quarter
// q = (e0 + e2) + (e1 + e3), then (q0 + q1) + (q2 + q3). lane_sum is that order for one vector,
// for the edge tiles, so every element gets the same bits wherever it sits.

inline float lane_sum(__m512 v)
{
    alignas(64) float e[lanes];
    _mm512_store_ps(e, v);
    float q[4];
    for (int l = 0; l < 4; ++l)
        q[l] = (e[4 * l] + e[4 * l + 2]) + (e[4 * l + 1] + e[4 * l + 3]);
    return (q[0] + q[1]) + (q[2] + q[3]);
}

// Per quarter: [x0 + x2, y0 + y2, x1 + x3, y1 + y3].
inline __m512 fold_pairs(__m512 x, __m512 y)
{
    return _mm512_add_ps(_mm512_unpacklo_ps(x, y), _mm512_unpackhi_ps(x, y));
}
// Per quarter, of two fold_pairs results a (of v0, v1) and b (of v2, v3): the quarter sums of
// v0, v1, v2, v3.
inline __m512 fold_quads(__m512 a, __m512 b)
{
    const __m512d x = _mm512_castps_pd(a), y = _mm512_castps_pd(b);
    return _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)),
                         _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
}
// [x.Q0 + x.Q1, x.Q2 + x.Q3, y.Q0 + y.Q1, y.Q2 + y.Q3] by 128-bit quarters.
inline __m512 fold_quarters(__m512 x, __m512 y)
{
    return _mm512_add_ps(_mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(3, 1, 3, 1)));
}
// Lane 4 i + j = lane_sum(v[4 i + j]).
inline __m512 sums16(const __m512 (&v)[16])
{
    __m512 w[8], z[4];
    for (int p = 0; p < 8; ++p)
        w[p] = fold_pairs(v[2 * p], v[2 * p + 1]);
    for (int q = 0; q < 4; ++q)
        z[q] = fold_quads(w[2 * q], w[2 * q + 1]);
    return fold_quarters(fold_quarters(z[0], z[1]), fold_quarters(z[2], z[3]));
}

// The fixed-count loops below are unrolled before register allocation (the pragma): otherwise
// g++ 12 keeps the accumulator arrays in memory and stores all 16 every iteration.
#define XGRAD_UNROLL _Pragma("GCC unroll 16")

template <int MR, int NR>
void nt_tile(std::size_t k, const float* a, const float* b, float beta, float* c, std::size_t ldc)
{
    __m512 acc[MR][NR];
    XGRAD_UNROLL for (int i = 0; i < MR; ++i) XGRAD_UNROLL for (int j = 0; j < NR; ++j) acc[i][j] =
        _mm512_setzero_ps();
    for (std::size_t p = 0; p < k; p += lanes)
    {
        const __mmask16 mask = p + lanes <= k ? first_lanes(lanes) : first_lanes(k - p);
        __m512 av[MR];
        XGRAD_UNROLL for (int i = 0; i < MR; ++i) av[i] =
            _mm512_maskz_loadu_ps(mask, a + i * k + p);
        XGRAD_UNROLL for (int j = 0; j < NR; ++j)
        {
            const __m512 bv = _mm512_maskz_loadu_ps(mask, b + j * k + p);
            XGRAD_UNROLL for (int i = 0; i < MR; ++i) acc[i][j] =
                _mm512_fmadd_ps(av[i], bv, acc[i][j]);
        }
    }
    alignas(64) float s[MR * NR];
    if constexpr (MR == 4 && NR == 4)
    {
        __m512 v[16];
        XGRAD_UNROLL for (int i = 0; i < 4; ++i) XGRAD_UNROLL for (int j = 0; j < 4; ++j)
            v[4 * i + j] = acc[i][j];
        _mm512_store_ps(s, sums16(v));
    }
    else
    {
        XGRAD_UNROLL for (int i = 0; i < MR; ++i) XGRAD_UNROLL for (int j = 0; j < NR; ++j)
            s[i * NR + j] = lane_sum(acc[i][j]);
    }
    for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j)
            c[i * ldc + j] = with_beta(s[i * NR + j], beta, c[i * ldc + j]);
}

using nt_fn = void (*)(std::size_t, const float*, const float*, float, float*, std::size_t);
template <int MR, int... NR>
constexpr std::array<nt_fn, sizeof...(NR)> nt_row()
{
    return {nt_tile<MR, NR>...};
}
constexpr std::array<std::array<nt_fn, 4>, 4> nt_tiles{
    nt_row<1, 1, 2, 3, 4>(), nt_row<2, 1, 2, 3, 4>(), nt_row<3, 1, 2, 3, 4>(),
    nt_row<4, 1, 2, 3, 4>()};

// ---- nn: C = A B, B's rows read in place -------------------------------------------------
//
// An 8 x 32 tile: each step p broadcasts a[i][p] and multiplies one row segment b[p][n0..n0+32)
// into 16 accumulators (two vectors per row of C). Element (i, j) is
// fma(a[i][k-1], b[k-1][j], ... fma(a[i][0], b[0][j], 0)), whatever the tile.

template <int MR, int NV>
void nn_tile(std::size_t k, std::size_t lda, std::size_t ldb, const float* a, const float* b,
             __mmask16 last, float beta, float* c, std::size_t ldc)
{
    __m512 acc[MR][NV];
    XGRAD_UNROLL for (int i = 0; i < MR; ++i) XGRAD_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] =
        _mm512_setzero_ps();
    const __mmask16 first = NV == 1 ? last : first_lanes(lanes);
    for (std::size_t p = 0; p < k; ++p)
    {
        const float* row = b + p * ldb;
        const __m512 b0 = _mm512_maskz_loadu_ps(first, row);
        const __m512 b1 = NV == 2 ? _mm512_maskz_loadu_ps(last, row + lanes) : b0;
        XGRAD_UNROLL for (int i = 0; i < MR; ++i)
        {
            const __m512 ai = _mm512_set1_ps(a[i * lda + p]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            if constexpr (NV == 2)
                acc[i][NV - 1] = _mm512_fmadd_ps(ai, b1, acc[i][NV - 1]);
        }
    }
    const __m512 bb = _mm512_set1_ps(beta);
    XGRAD_UNROLL for (int i = 0; i < MR; ++i) XGRAD_UNROLL for (int v = 0; v < NV; ++v)
    {
        const __mmask16 mask = v == 0 ? first : last;
        float* out = c + i * ldc + v * lanes;
        __m512 r = acc[i][v];
        if (beta != 0.0f)
            r = _mm512_fmadd_ps(bb, _mm512_maskz_loadu_ps(mask, out), r);
        _mm512_mask_storeu_ps(out, mask, r);
    }
}

using nn_fn = void (*)(std::size_t, std::size_t, std::size_t, const float*, const float*, __mmask16,
                       float, float*, std::size_t);
template <int MR>
constexpr std::array<nn_fn, 2> nn_row()
{
    return {nn_tile<MR, 1>, nn_tile<MR, 2>};
}
constexpr std::array<std::array<nn_fn, 2>, 8> nn_tiles{nn_row<1>(), nn_row<2>(), nn_row<3>(),
                                                       nn_row<4>(), nn_row<5>(), nn_row<6>(),
                                                       nn_row<7>(), nn_row<8>()};

} // namespace

bool skinny_applies(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k)
{
    // B from 64 KB to 1 MB: below, packing is cheap; above, B leaves L2 and its rows (one page
    // apart at 1,024 columns) miss the TLB, where OpenBLAS's packed copy wins (W3's
    // [64, 4096] x [4096, 1024]: 33 against 114 GFLOP/s). A transposed A (the weight gradient
    // dgates^T h) stays with OpenBLAS: it packs only the small operands there, at 148-153
    // GFLOP/s where this kernel's form reached 134-136.
    if (ta || m == 0 || m > 64 || n * k < skinny_operand_min || n * k > skinny_operand_max)
        return false;
    // Single-threaded: from 2^22 multiply-adds up OpenBLAS's threads win at 2 threads (W1's
    // [32,256] x [256,1024]: 184 GFLOP/s against 131), and the choice must not depend on the
    // thread count (results would). A pool of xgrad's own beside OpenBLAS's spinning workers
    // lost more than it gained (bench/RESULTS.md).
    if (m * n * k >= (std::size_t(1) << 22))
        return false;
    // The dot-product form spends ~45 instructions per 4 x 4 tile on its lane sums: worth it
    // only over long rows.
    return tb ? k >= 128 : n >= 16;
}

void skinny_nt(std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b,
               float beta, float* c)
{
    // Column groups of 4: four rows of B (4 k floats) stay in L1 while every row group of A
    // passes over them.
    for (std::size_t j = 0; j < n; j += 4)
    {
        const std::size_t nr = std::min<std::size_t>(4, n - j);
        for (std::size_t i = 0; i < m; i += 4)
        {
            const std::size_t mr = std::min<std::size_t>(4, m - i);
            nt_tiles[mr - 1][nr - 1](k, a + i * k, b + j * k, beta, c + i * n + j, n);
        }
    }
}

void skinny_nn(std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b,
               float beta, float* c)
{
    // Column panels of 32: a panel of B (k rows of 128 bytes) serves every row tile.
    for (std::size_t j = 0; j < n; j += 2 * lanes)
    {
        const std::size_t width = std::min(n - j, 2 * lanes), nv = width > lanes ? 2 : 1;
        const __mmask16 last = first_lanes(width - (nv - 1) * lanes);
        for (std::size_t i = 0; i < m; i += 8)
        {
            const std::size_t mr = std::min<std::size_t>(8, m - i);
            nn_tiles[mr - 1][nv - 1](k, k, n, a + i * k, b + j, last, beta, c + i * n + j, n);
        }
    }
}

#else // no AVX-512F: blas::gemm never routes here; the same sums, one element at a time

bool skinny_applies(bool, bool, std::size_t, std::size_t, std::size_t)
{
    return false;
}

void skinny_nt(std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b,
               float beta, float* c)
{
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
        {
            float e[16] = {};
            for (std::size_t p = 0; p < k; ++p)
                e[p % 16] = std::fma(a[i * k + p], b[j * k + p], e[p % 16]);
            float q[4];
            for (int l = 0; l < 4; ++l)
                q[l] = (e[4 * l] + e[4 * l + 2]) + (e[4 * l + 1] + e[4 * l + 3]);
            const float sum = (q[0] + q[1]) + (q[2] + q[3]);
            c[i * n + j] = beta == 0.0f ? sum : std::fma(beta, c[i * n + j], sum);
        }
}

void skinny_nn(std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b,
               float beta, float* c)
{
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
        {
            float sum = 0.0f;
            for (std::size_t p = 0; p < k; ++p)
                sum = std::fma(a[i * k + p], b[p * n + j], sum);
            c[i * n + j] = beta == 0.0f ? sum : std::fma(beta, c[i * n + j], sum);
        }
}

#endif

} // namespace xgrad::blas
