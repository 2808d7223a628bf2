#include "xgrad/autograd/ops/normalization.hpp"

#include <cmath>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{

Variable layer_norm(const Variable& x, const Variable& weight, const Variable& bias, double eps)
{
    const Tensor& xd = x.data();
    if (xd.dim() == 0)
        fail<shape_error>("layer_norm: needs at least one dimension, got a scalar");
    if (!(eps >= 0))
        fail<value_error>("layer_norm: eps must be >= 0, got {}", eps);
    const std::size_t D = xd.shape().back();
    const std::size_t rows = D ? xd.numel() / D : 0;
    for (const Variable* p : {&weight, &bias})
        if (p->defined())
        {
            detail::check_same_dtype("layer_norm", xd, p->data());
            if (p->shape() != shape_t{D})
                fail<shape_error>("layer_norm: {} {} for input {}: must be [{}]",
                                  p == &weight ? "weight" : "bias", to_string(p->shape()),
                                  to_string(xd.shape()), D);
        }
    Tensor y = Tensor::empty(xd.shape(), xd.dtype());
    Tensor xhat = Tensor::empty(xd.shape(), xd.dtype());
    Tensor rstd = Tensor::empty({rows}, f64);
    dispatch(xd.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = xd.data<T>();
        const T* w = weight.defined() ? weight.data().data<T>() : nullptr;
        const T* b = bias.defined() ? bias.data().data<T>() : nullptr;
        T* py = y.data<T>();
        T* ph = xhat.data<T>();
        double* pr = rstd.data<double>();
        for (std::size_t r = 0; r < rows; ++r)
        {
            const T* row = px + r * D;
            // Two passes in double: the one-pass formula loses digits on rows with a large mean.
            double mu = 0, var = 0;
            for (std::size_t j = 0; j < D; ++j)
                mu += row[j];
            mu /= static_cast<double>(D);
            for (std::size_t j = 0; j < D; ++j)
                var += (row[j] - mu) * (row[j] - mu);
            var /= static_cast<double>(D);
            const double rs = 1.0 / std::sqrt(var + eps);
            pr[r] = rs;
            for (std::size_t j = 0; j < D; ++j)
            {
                const T h = static_cast<T>((row[j] - mu) * rs);
                ph[r * D + j] = h;
                py[r * D + j] = (w ? h * w[j] : h) + (b ? b[j] : T(0));
            }
        }
    });
    std::vector<Variable> inputs{x};
    const int wi = weight.defined() ? static_cast<int>(inputs.size()) : -1;
    if (weight.defined())
        inputs.push_back(weight);
    const int bi = bias.defined() ? static_cast<int>(inputs.size()) : -1;
    if (bias.defined())
        inputs.push_back(bias);
    return record("layer_norm", y, inputs, [xhat, rstd, rows, D, wi, bi](grad_context& c) {
        dispatch(xhat.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* g = c.grad().data<T>();
            const T* h = xhat.data<T>();
            const T* w = wi >= 0 ? c.input(static_cast<std::size_t>(wi)).data<T>() : nullptr;
            const double* pr = rstd.data<double>();
            if (c.needs(0))
            {
                Tensor& dx = c.slot(0);
                T* d = dx.data<T>();
                for (std::size_t r = 0; r < rows; ++r)
                {
                    // dxhat = g w; dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat))
                    const T* gr = g + r * D;
                    const T* hr = h + r * D;
                    double m1 = 0, m2 = 0;
                    for (std::size_t j = 0; j < D; ++j)
                    {
                        const double dh = w ? gr[j] * w[j] : gr[j];
                        m1 += dh;
                        m2 += dh * hr[j];
                    }
                    m1 /= static_cast<double>(D);
                    m2 /= static_cast<double>(D);
                    for (std::size_t j = 0; j < D; ++j)
                    {
                        const double dh = w ? gr[j] * w[j] : gr[j];
                        d[r * D + j] += static_cast<T>(pr[r] * (dh - m1 - hr[j] * m2));
                    }
                }
            }
            if (wi >= 0 && c.needs(static_cast<std::size_t>(wi)))
            {
                T* dw = c.slot(static_cast<std::size_t>(wi)).template data<T>();
                for (std::size_t r = 0; r < rows; ++r)
                    for (std::size_t j = 0; j < D; ++j)
                        dw[j] += g[r * D + j] * h[r * D + j];
            }
            if (bi >= 0 && c.needs(static_cast<std::size_t>(bi)))
            {
                T* db = c.slot(static_cast<std::size_t>(bi)).template data<T>();
                for (std::size_t r = 0; r < rows; ++r)
                    for (std::size_t j = 0; j < D; ++j)
                        db[j] += g[r * D + j];
            }
        });
    });
}

} // namespace xgrad
