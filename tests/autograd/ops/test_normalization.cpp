// autograd/ops/normalization.hpp: the fused layer_norm op.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("layer_norm normalises the last axis", "[ops][normalization]")
{
    auto x = randn({2, 3, 6}, 141), w = randn({6}, 142), b = randn({6}, 143);
    Variable y = layer_norm(x);
    REQUIRE(y.shape() == x.shape());
    for (std::size_t r = 0; r < 6; ++r)
    {
        double m = 0, v = 0;
        for (std::size_t j = 0; j < 6; ++j)
            m += y.data().flat(r * 6 + j) / 6;
        for (std::size_t j = 0; j < 6; ++j)
            v += (y.data().flat(r * 6 + j) - m) * (y.data().flat(r * 6 + j) - m) / 6;
        CHECK(std::abs(m) < 1e-12);
        double xm = 0, xv = 0; // the input row's variance: y's is xv / (xv + eps)
        for (std::size_t j = 0; j < 6; ++j)
            xm += x.data().flat(r * 6 + j) / 6;
        for (std::size_t j = 0; j < 6; ++j)
            xv += (x.data().flat(r * 6 + j) - xm) * (x.data().flat(r * 6 + j) - xm) / 6;
        CHECK(v == Approx(xv / (xv + 1e-5)).epsilon(1e-12));
    }
    // The same as the unfused formula.
    Variable mu = mean(x, -1, true);
    Variable var = mean((x - mu) * (x - mu), -1, true);
    Variable ref = (x - mu) / sqrt(var + 1e-5) * w + b;
    CHECK(max_diff(layer_norm(x, w, b).data(), ref.data()) < 1e-12);

    check_gradients([](auto& v) { return layer_norm(v[0]); }, {x});
    check_gradients([](auto& v) { return layer_norm(v[0], v[1], v[2]); }, {x, w, b});
    check_gradients([](auto& v) { return layer_norm(v[0], v[1], Variable(), 0.1); }, {x, w});
    check_gradients([](auto& v) { return layer_norm(v[0], Variable(), v[1]); }, {x, b});
    // Used twice, the contributions add up.
    check_gradients([](auto& v) { return layer_norm(v[0] * 2.0, v[1]) + v[0]; }, {x, w});
}

TEST_CASE("layer_norm edge cases and errors", "[ops][normalization]")
{
    // A constant row: xhat = 0, y = bias.
    Variable c(Tensor::full({1, 4}, 3.0, f64), true);
    auto b = randn({4}, 144);
    Variable y = layer_norm(c, Variable(), b);
    CHECK(max_diff(y.data().reshape({4}), b.data()) == 0.0);
    auto x = randn({3, 4}, 145);
    CHECK_THROWS_WITH(layer_norm(x, randn({3}, 1)), Catch::Contains("layer_norm") &&
                                                        Catch::Contains("[3]") &&
                                                        Catch::Contains("[3,4]"));
    CHECK_THROWS_AS(layer_norm(x, Variable(), Variable(), -1.0), value_error);
    CHECK_THROWS_AS(layer_norm(Variable(Tensor::scalar(1.0, f64))), shape_error);
}
