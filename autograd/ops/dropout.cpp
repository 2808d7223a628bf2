#include "xgrad/autograd/ops/dropout.hpp"

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{

Variable dropout(const Variable& x, double p, bool training, generator& gen)
{
    if (!(p >= 0.0 && p <= 1.0))
        fail<value_error>("dropout: probability {} is outside [0, 1]", p);
    if (!training || p == 0.0)
        return x;
    // mask_i = 0 with probability p, else 1/(1-p); y = x * mask and dL/dx = dL/dy * mask.
    Tensor mask = Tensor::empty(x.shape(), x.dtype());
    const double keep = p < 1.0 ? 1.0 / (1.0 - p) : 0.0;
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* m = mask.data<T>();
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (std::size_t i = 0; i < mask.numel(); ++i)
            m[i] = u(gen.engine()) < p ? T(0) : static_cast<T>(keep);
    });
    Tensor y =
        detail::map([](auto, const auto& a, const auto& b) { return a * b; }, x.data(), mask);
    return record("dropout", y, {x}, [mask](grad_context& c) {
        c.accumulate(0, detail::map([](auto, const auto& g, const auto& m) { return g * m; },
                                    c.grad(), mask));
    });
}

Variable dropout(const Variable& x, double p, bool training)
{
    return dropout(x, p, training, default_generator());
}

} // namespace xgrad
