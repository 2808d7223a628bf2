// autograd/ops/recurrent.hpp: values against direct computations, float64 gradchecks.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("fused LSTM and GRU updates", "[ops][recurrent]")
{
    const std::size_t B = 3, H = 4;
    auto gx = randn({B, 4 * H}, 81), gh = randn({B, 4 * H}, 82), c = randn({B, H}, 83);
    SECTION("lstm_update equals the unfused equations")
    {
        auto out = lstm_update(gx, gh, c);
        auto z = chunk(gx + gh, 4, 1);
        Variable i = sigmoid(z[0]), f = sigmoid(z[1]), g = tanh(z[2]), o = sigmoid(z[3]);
        Variable c2 = f * c + i * g, h2 = o * tanh(c2);
        CHECK(max_diff(out[0].data(), h2.data()) < 1e-14);
        CHECK(max_diff(out[1].data(), c2.data()) < 1e-14);
    }
    SECTION("lstm_update gradients: both outputs, only h, only c")
    {
        check_gradients([](auto& v) { return concat(lstm_update(v[0], v[1], v[2]), 1); },
                        {gx, gh, c});
        check_gradients([](auto& v) { return lstm_update(v[0], v[1], v[2])[0]; }, {gx, gh, c});
        check_gradients([](auto& v) { return lstm_update(v[0], v[1], v[2])[1]; }, {gx, gh, c});
    }
    SECTION("gru_update equals the unfused equations and gradchecks")
    {
        auto a = randn({B, 3 * H}, 84), b = randn({B, 3 * H}, 85), h = randn({B, H}, 86);
        auto pa = chunk(a, 3, 1), pb = chunk(b, 3, 1);
        Variable r = sigmoid(pa[0] + pb[0]), z = sigmoid(pa[1] + pb[1]);
        Variable n = tanh(pa[2] + r * pb[2]);
        Variable ref = (1.0 - z) * n + z * h;
        CHECK(max_diff(gru_update(a, b, h).data(), ref.data()) < 1e-14);
        check_gradients([](auto& v) { return gru_update(v[0], v[1], v[2]); }, {a, b, h});
    }
    SECTION("shape errors")
    {
        CHECK_THROWS_WITH(lstm_update(gx, gh, randn({B, H + 1}, 87)),
                          Catch::Contains("lstm_update") && Catch::Contains("[3,5]"));
        CHECK_THROWS_AS(gru_update(gx, gh, c), shape_error); // 4H gates for a GRU
    }
}
