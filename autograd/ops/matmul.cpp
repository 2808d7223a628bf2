#include "xgrad/autograd/ops/matmul.hpp"

#include "xgrad/autograd/blas.hpp"
#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{

Variable matmul(const Variable& a, const Variable& b)
{
    const Tensor& ad = a.data();
    const Tensor& bd = b.data();
    detail::check_same_dtype("matmul", ad, bd);
    if (ad.dim() < 1 || ad.dim() > 2 || bd.dim() < 1 || bd.dim() > 2)
        fail<shape_error>("matmul: {} x {}: operands must be 1-D or 2-D", to_string(ad.shape()),
                          to_string(bd.shape()));
    // View 1-D operands as a row (left) or a column (right).
    const std::size_t m = ad.dim() == 2 ? ad.shape()[0] : 1;
    const std::size_t k = ad.shape().back();
    const std::size_t kb = bd.shape()[0];
    const std::size_t n = bd.dim() == 2 ? bd.shape()[1] : 1;
    if (k != kb)
        fail<shape_error>("matmul: {} x {}: inner dimensions differ", to_string(ad.shape()),
                          to_string(bd.shape()));
    shape_t out_shape;
    if (ad.dim() == 2)
        out_shape.push_back(m);
    if (bd.dim() == 2)
        out_shape.push_back(n);
    Tensor y = Tensor::empty(out_shape, ad.dtype());
    dispatch(ad.dtype(), [&](auto tag) {
        using T = decltype(tag);
        blas::gemm(false, false, m, n, k, T(1), ad.data<T>(), bd.data<T>(), T(0), y.data<T>());
    });
    return record("matmul", y, {a, b}, [m, n, k](grad_context& c) {
        dispatch(c.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>();
            // dL/da [m,k] += g [m,n] b^T;  dL/db [k,n] += a^T g
            bool fresh = false;
            if (c.needs(0))
            {
                T* da = c.slot(0, &fresh).template data<T>(); // fresh: beta 0, no zero-fill
                blas::gemm(false, true, m, k, n, T(1), g, c.input(1).data<T>(), T(!fresh), da);
            }
            if (c.needs(1))
            {
                T* db = c.slot(1, &fresh).template data<T>();
                blas::gemm(true, false, k, n, m, T(1), c.input(0).data<T>(), g, T(!fresh), db);
            }
        });
    });
}

Variable linear(const Variable& x, const Variable& w, const Variable& bias)
{
    const Tensor& xd = x.data();
    const Tensor& wd = w.data();
    detail::check_same_dtype("linear", xd, wd);
    if (wd.dim() != 2 || xd.dim() < 1 || xd.shape().back() != wd.shape()[1])
        fail<shape_error>("linear: input {} and weight {}: weight must be [out, in] with in = "
                          "the input's last dimension",
                          to_string(xd.shape()), to_string(wd.shape()));
    const std::size_t in = wd.shape()[1], out = wd.shape()[0];
    const std::size_t rows = xd.numel() / (in ? in : 1);
    if (bias.defined())
    {
        detail::check_same_dtype("linear", xd, bias.data());
        if (bias.shape() != shape_t{out})
            fail<shape_error>("linear: bias {} for weight {}: bias must be [{}]",
                              to_string(bias.shape()), to_string(wd.shape()), out);
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
        blas::gemm(false, true, rows, out, in, T(1), xd.data<T>(), wd.data<T>(), beta, py);
    });
    auto backward = [rows, in, out](grad_context& c) {
        dispatch(c.grad().dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>(); // [rows, out]
            // dL/dx [rows,in] += g w;  dL/dw [out,in] += g^T x;  dL/db [out] += sum over
            // rows of g
            bool fresh = false;
            if (c.needs(0))
            {
                T* dx = c.slot(0, &fresh).template data<T>(); // fresh: beta 0, no zero-fill
                blas::gemm(false, false, rows, in, out, T(1), g, c.input(1).data<T>(), T(!fresh),
                           dx);
            }
            if (c.needs(1))
            {
                T* dw = c.slot(1, &fresh).template data<T>();
                blas::gemm(true, false, out, in, rows, T(1), g, c.input(0).data<T>(), T(!fresh),
                           dw);
            }
            if (c.num_inputs() == 3 && c.needs(2))
                c.accumulate(2, sum_to(c.grad().reshape({rows, out}), shape_t{out}));
        });
    };
    if (bias.defined())
        return record("linear", y, {x, w, bias}, backward);
    return record("linear", y, {x, w}, backward);
}

} // namespace xgrad
