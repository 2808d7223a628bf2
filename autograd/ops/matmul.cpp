#include "xgrad/autograd/ops/matmul.hpp"

#include <array>

#include "xgrad/autograd/blas.hpp"
#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// dL/d(input i) += op(A) op(B), a GEMM straight into the gradient buffer. A buffer the input did
// not have yet is written with beta = 0 instead of being zero-filled first.
template <class T>
void gemm_into_grad(grad_context& c, std::size_t i, bool ta, bool tb, std::size_t m, std::size_t n,
                    std::size_t k, const T* a, const T* b)
{
    bool fresh = false;
    T* d = c.slot(i, &fresh).template data<T>();
    blas::gemm(ta, tb, m, n, k, T(1), a, b, T(!fresh), d);
}

// One matrix of y = op(A) op(B) [m,n] and its gradients, for every combination of stored
// transposes: dL/dA = g op(B)^T (stored [m,k]) or op(B) g^T (stored [k,m]); dL/dB = op(A)^T g
// (stored [k,n]) or g^T op(A) (stored [n,k]).
template <class T>
void grad_a(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* g, const T* b,
            T beta, T* da)
{
    if (!ta)
        blas::gemm(false, !tb, m, k, n, T(1), g, b, beta, da);
    else
        blas::gemm(tb, true, k, m, n, T(1), b, g, beta, da);
}
template <class T>
void grad_b(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* g,
            T beta, T* db)
{
    if (!tb)
        blas::gemm(!ta, false, k, n, m, T(1), a, g, beta, db);
    else
        blas::gemm(true, ta, n, k, m, T(1), g, a, beta, db);
}

// How a (possibly batched) product maps onto GEMMs. Batch dims of a and b are right-aligned
// and padded with 1s to the output's batch rank; a size-1 dim is broadcast (stride 0).
struct mm_plan
{
    std::size_t m = 1, k = 1, n = 1;
    shape_t batch, out;
    std::array<std::size_t, shape_t::max_rank> a_stride{}, b_stride{}; // in matrices
    std::size_t count = 1;              // batch entries of the output
    std::size_t a_mats = 1, b_mats = 1; // matrices each operand holds
    bool fold = false;                  // b holds one matrix: all of a is one [count*m, k] operand

    // Matrix offsets of batch entry e in a and b.
    std::pair<std::size_t, std::size_t> offsets(std::size_t e) const
    {
        std::size_t oa = 0, ob = 0;
        for (std::size_t d = batch.size(); d-- > 0;)
        {
            const std::size_t i = e % batch[d];
            e /= batch[d];
            oa += i * a_stride[d];
            ob += i * b_stride[d];
        }
        return {oa, ob};
    }
};

mm_plan plan(const char* op, const shape_t& as, const shape_t& bs, bool ta, bool tb)
{
    auto fail_shapes = [&](const char* why) {
        fail<shape_error>("{}: {} x {}: {}", op, to_string(as), to_string(bs), why);
    };
    if (as.empty() || bs.empty())
        fail_shapes("operands must have at least one dimension");
    mm_plan p;
    const std::size_t ra = as.size(), rb = bs.size();
    if ((ta && ra < 2) || (tb && rb < 2))
        fail_shapes("a transposed operand must have at least two dimensions");
    // Stored matrices: a is [m,k] ([k,m] when ta), b is [k,n] ([n,k] when tb).
    p.m = ra >= 2 ? as[ra - (ta ? 1 : 2)] : 1;
    p.k = ta ? as[ra - 2] : as[ra - 1];
    const std::size_t kb = rb >= 2 ? bs[rb - (tb ? 1 : 2)] : bs[0];
    p.n = rb >= 2 ? bs[rb - (tb ? 2 : 1)] : 1;
    if (p.k != kb)
        fail_shapes("inner dimensions differ");
    const std::size_t ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
    const std::size_t rank = std::max(ba, bb);
    for (std::size_t d = 0; d < rank; ++d)
    {
        const std::size_t da = d + ba >= rank ? as[d + ba - rank] : 1;
        const std::size_t db = d + bb >= rank ? bs[d + bb - rank] : 1;
        if (da != db && da != 1 && db != 1)
            fail_shapes("batch dimensions cannot be broadcast");
        p.batch.push_back(da == 1 ? db : da);
        // Strides are filled below, once every dim is known.
        p.a_stride[d] = da == 1 ? 0 : 1;
        p.b_stride[d] = db == 1 ? 0 : 1;
    }
    std::size_t sa = 1, sb = 1;
    for (std::size_t d = rank; d-- > 0;)
    {
        const std::size_t da = d + ba >= rank ? as[d + ba - rank] : 1;
        const std::size_t db = d + bb >= rank ? bs[d + bb - rank] : 1;
        p.a_stride[d] *= sa;
        p.b_stride[d] *= sb;
        sa *= da;
        sb *= db;
    }
    p.a_mats = sa;
    p.b_mats = sb;
    p.count = numel(p.batch);
    p.fold = bb == 0 && !ta;
    p.out = p.batch;
    if (ra >= 2)
        p.out.push_back(p.m);
    if (rb >= 2)
        p.out.push_back(p.n);
    // The element count of the output must not wrap (shapes can claim anything).
    std::size_t total = 1;
    for (std::size_t d : p.out)
        if (d != 0 && total > SIZE_MAX / d)
            fail_shapes("the result has more elements than memory can address");
        else
            total *= d;
    return p;
}

Variable matmul_impl(const char* op, const Variable& a, const Variable& b, bool ta, bool tb)
{
    const Tensor& ad = a.data();
    const Tensor& bd = b.data();
    detail::check_same_dtype(op, ad, bd);
    const mm_plan p = plan(op, ad.shape(), bd.shape(), ta, tb);
    Tensor y = Tensor::empty(p.out, ad.dtype());
    const std::size_t am = p.m * p.k, bm = p.k * p.n, ym = p.m * p.n; // matrix sizes
    dispatch(ad.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *pa = ad.data<T>(), *pb = bd.data<T>();
        T* py = y.data<T>();
        if (p.fold)
            blas::gemm(false, tb, p.count * p.m, p.n, p.k, T(1), pa, pb, T(0), py);
        else
            for (std::size_t e = 0; e < p.count; ++e)
            {
                const auto [oa, ob] = p.offsets(e);
                blas::gemm(ta, tb, p.m, p.n, p.k, T(1), pa + oa * am, pb + ob * bm, T(0),
                           py + e * ym);
            }
    });
    return record(op, y, {a, b}, [p, am, bm, ym, ta, tb](grad_context& c) {
        dispatch(c.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>();
            const T *pa = c.input(0).data<T>(), *pb = c.input(1).data<T>();
            // A fresh gradient buffer is written with beta 0. An operand whose matrices serve
            // several batch entries sums their contributions: its buffer starts at zero and
            // every GEMM adds (beta 1).
            bool fresh_a = false, fresh_b = false;
            T* da = nullptr;
            T* db = nullptr;
            if (c.needs(0))
                da = c.slot(0, p.fold || p.a_mats == p.count ? &fresh_a : nullptr)
                         .template data<T>();
            if (c.needs(1))
                db = c.slot(1, p.fold || p.b_mats == p.count ? &fresh_b : nullptr)
                         .template data<T>();
            if (p.fold)
            {
                // a and y are single [count*m, .] matrices
                if (da)
                    grad_a(false, tb, p.count * p.m, p.n, p.k, g, pb, T(!fresh_a), da);
                if (db)
                    grad_b(false, tb, p.count * p.m, p.n, p.k, pa, g, T(!fresh_b), db);
                return;
            }
            for (std::size_t e = 0; e < p.count; ++e)
            {
                const auto [oa, ob] = p.offsets(e);
                if (da)
                    grad_a(ta, tb, p.m, p.n, p.k, g + e * ym, pb + ob * bm, T(!fresh_a),
                           da + oa * am);
                if (db)
                    grad_b(ta, tb, p.m, p.n, p.k, pa + oa * am, g + e * ym, T(!fresh_b),
                           db + ob * bm);
            }
        });
    });
}

} // namespace

Variable matmul(const Variable& a, const Variable& b, bool transpose_a, bool transpose_b)
{
    return matmul_impl("matmul", a, b, transpose_a, transpose_b);
}

Variable bmm(const Variable& a, const Variable& b, bool transpose_a, bool transpose_b)
{
    const shape_t &as = a.shape(), &bs = b.shape();
    if (as.size() != 3 || bs.size() != 3)
        fail<shape_error>("bmm: {} x {}: operands must be 3-D [B,M,K] and [B,K,N]", to_string(as),
                          to_string(bs));
    if (as[0] != bs[0])
        fail<shape_error>("bmm: {} x {}: batch sizes differ", to_string(as), to_string(bs));
    return matmul_impl("bmm", a, b, transpose_a, transpose_b);
}

namespace
{
// linear, with w^T given (w_t: [in, out]) or not (w_t undefined).
Variable linear_impl(const char* op, const Variable& x, const Variable& w, const Tensor* w_t,
                     const Variable& bias)
{
    const Tensor& xd = x.data();
    const Tensor& wd = w.data();
    detail::check_same_dtype(op, xd, wd);
    if (wd.dim() != 2 || xd.dim() < 1 || xd.shape().back() != wd.shape()[1])
        fail<shape_error>("{}: input {} and weight {}: weight must be [out, in] with in = "
                          "the input's last dimension",
                          op, to_string(xd.shape()), to_string(wd.shape()));
    const std::size_t in = wd.shape()[1], out = wd.shape()[0];
    std::size_t rows = 1; // leading positions (not numel / in: that is 0 when in = 0)
    for (std::size_t d = 0; d + 1 < xd.dim(); ++d)
        rows *= xd.shape()[d];
    if (bias.defined())
    {
        detail::check_same_dtype(op, xd, bias.data());
        if (bias.shape() != shape_t{out})
            fail<shape_error>("{}: bias {} for weight {}: bias must be [{}]", op,
                              to_string(bias.shape()), to_string(wd.shape()), out);
    }
    if (w_t)
    {
        detail::check_same_dtype(op, xd, *w_t);
        if (w_t->shape() != shape_t{in, out})
            fail<shape_error>("{}: transposed weight {} for weight {}: it must be [{}, {}]", op,
                              to_string(w_t->shape()), to_string(wd.shape()), in, out);
    }
    shape_t out_shape = xd.shape();
    out_shape[out_shape.size() - 1] = out;
    Tensor y = Tensor::empty(out_shape, xd.dtype());
    dispatch(xd.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* py = y.data<T>();
        T beta = T(0);
        if (bias.defined())
        {
            // Start from the bias in every row, then let the GEMM add x w^T on top.
            const T* pb = bias.data().data<T>();
            for (std::size_t r = 0; r < rows; ++r)
                std::copy(pb, pb + out, py + r * out);
            beta = T(1);
        }
        if (w_t) // x w_t: both operands in row order (no transposed read of w)
            blas::gemm(false, false, rows, out, in, T(1), xd.data<T>(), w_t->data<T>(), beta, py);
        else
            blas::gemm(false, true, rows, out, in, T(1), xd.data<T>(), wd.data<T>(), beta, py);
    });
    auto backward = [rows, in, out](grad_context& c) {
        dispatch(c.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>(); // [rows, out]
            // dL/dx [rows,in] += g w;  dL/dw [out,in] += g^T x;  dL/db [out] += sum over rows of g
            if (c.needs(0))
                gemm_into_grad(c, 0, false, false, rows, in, out, g, c.input(1).data<T>());
            if (c.needs(1))
                gemm_into_grad(c, 1, true, false, out, in, rows, g, c.input(0).data<T>());
            if (c.num_inputs() == 3 && c.needs(2))
                c.accumulate(2, sum_to(c.grad().reshape({rows, out}), shape_t{out}));
        });
    };
    if (bias.defined())
        return record(op, y, {x, w, bias}, backward);
    return record(op, y, {x, w}, backward);
}
} // namespace

Variable linear(const Variable& x, const Variable& w, const Variable& bias)
{
    return linear_impl("linear", x, w, nullptr, bias);
}

Variable linear_pretransposed(const Variable& x, const Variable& w, const Tensor& w_t,
                              const Variable& bias)
{
    return linear_impl("linear_pretransposed", x, w, &w_t, bias);
}

} // namespace xgrad
