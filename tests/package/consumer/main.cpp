// A downstream program: builds a small graph with engine ops, a layer and an optimizer from the
// umbrella header, and checks the results against values computed by hand. Exits non-zero on
// any mismatch, so the package tests fail if the installed or embedded xgrad is broken.
#include <xgrad/xgrad.hpp>

// The include path must hold only the xgrad/ prefix, never the bare source folders.
#if __has_include(<autograd/tensor.hpp>) || __has_include(<layers/module.hpp>) ||              \
    __has_include(<optim/sgd.hpp>)
#error "a bare autograd/, layers/ or optim/ folder is on the include path"
#endif

// xgrad's flags that change xtensor's types reach the consumer (CMake targets or pkg-config).
#ifndef XTENSOR_USE_XSIMD
#error "XTENSOR_USE_XSIMD is not defined: the consumer's xtensor types differ from xgrad's"
#endif

#include <cmath>
#include <cstdio>

using namespace xgrad;

namespace
{

int failures = 0;

void expect_near(const char* what, double got, double want)
{
    if (!(std::abs(got - want) <= 1e-6 * (1 + std::abs(want))))
    {
        std::printf("consumer: %s = %.9g, expected %.9g\n", what, got, want);
        ++failures;
    }
}

} // namespace

int main()
{
    // loss = mean(tanh(x W^T)), x = [1, 2], W = [[0.5, -0.2], [0.1, 0.3]]:
    // y = [0.1, 0.7], dloss/dW[i][j] = (1 - tanh(y_i)^2) x_j / 2.
    nn::Linear layer(2, 2, /*bias=*/false);
    layer.load_state_dict({{"weight", Tensor::from_values({0.5, -0.2, 0.1, 0.3}, {2, 2})}});
    Variable x(Tensor::from_values({1, 2}, {1, 2}));
    Variable loss = mean(tanh(layer(x)));
    loss.backward();

    const double y[2] = {0.1, 0.7};
    const double xs[2] = {1, 2};
    expect_near("loss", loss.data().item(), (std::tanh(y[0]) + std::tanh(y[1])) / 2);
    const Tensor g = layer.weight.grad();
    double want[4];
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
        {
            const double t = std::tanh(y[i]);
            want[i * 2 + j] = (1 - t * t) * xs[j] / 2;
            expect_near("dloss/dW", g.flat(i * 2 + j), want[i * 2 + j]);
        }

    // One SGD step: W <- W - lr dloss/dW.
    optim::sgd_options o;
    o.lr = 0.5;
    optim::SGD sgd(layer.parameters(), o);
    sgd.step();
    const double w0[4] = {0.5, -0.2, 0.1, 0.3};
    for (int k = 0; k < 4; ++k)
        expect_near("W after SGD", layer.weight.data().flat(k), w0[k] - 0.5 * want[k]);

    if (failures == 0)
        std::printf("consumer: xgrad graph, gradient and SGD step as computed by hand\n");
    return failures == 0 ? 0 : 1;
}
