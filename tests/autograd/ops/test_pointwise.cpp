// autograd/ops/pointwise.hpp: values against direct computations, float64 gradchecks.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("pointwise functions", "[ops][pointwise]")
{
    auto x = randn({4, 5}, 11);
    auto pos = uniform({4, 5}, 0.3, 3.0, 12);
    // Keep relu/clamp inputs away from the kinks, where central differences are not defined.
    auto away = uniform({4, 5}, 0.1, 1.0, 13);
    Tensor signs = randn({4, 5}, 14, false).data();
    for (std::size_t i = 0; i < away.numel(); ++i)
        if (signs.data<double>()[i] < 0)
            away.data().data<double>()[i] *= -1;

    check_gradients([](auto& v) { return tanh(v[0]); }, {x});
    check_gradients([](auto& v) { return sigmoid(v[0]); }, {x});
    check_gradients([](auto& v) { return relu(v[0]); }, {away});
    check_gradients([](auto& v) { return exp(v[0]); }, {x});
    check_gradients([](auto& v) { return log(v[0]); }, {pos});
    check_gradients([](auto& v) { return sqrt(v[0]); }, {pos});
    check_gradients([](auto& v) { return pow(v[0], 3.0); }, {x});
    check_gradients([](auto& v) { return pow(v[0], -1.5); }, {pos});
    check_gradients([](auto& v) { return clamp(v[0], -0.5, 0.5); }, {away});

    CHECK(tanh(x).data().flat(3) == Approx(std::tanh(x.data().flat(3))));
    CHECK(sigmoid(x).data().flat(2) == Approx(1 / (1 + std::exp(-x.data().flat(2)))));
    CHECK(relu(away).data().flat(0) == Approx(std::max(0.0, away.data().flat(0))));
    CHECK(clamp(x, -0.5, 0.5).data().flat(1) ==
          Approx(std::min(0.5, std::max(-0.5, x.data().flat(1)))));
    // Large inputs saturate instead of overflowing.
    Variable big(Tensor::from_values({-1000.0, 1000.0}, {2}, f64));
    CHECK(sigmoid(big).data().flat(0) == 0.0);
    CHECK(sigmoid(big).data().flat(1) == 1.0);
    CHECK_THROWS_AS(clamp(x, 1.0, -1.0), value_error);
}
