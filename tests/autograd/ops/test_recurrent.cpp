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

TEST_CASE("fused layer-normalised LSTM update", "[ops][recurrent]")
{
    const std::size_t B = 3, H = 5;
    auto gx = randn({B, 4 * H}, 91), gh = randn({B, 4 * H}, 92), c = randn({B, H}, 93);
    auto gamma = uniform({H}, 0.5, 1.5, 94), beta = randn({H}, 95);
    SECTION("equals the unfused equations")
    {
        auto out = layer_norm_lstm_update(gx, gh, c, gamma, beta, 1e-5);
        auto z = chunk(gx + gh, 4, 1);
        Variable i = sigmoid(z[0]), f = sigmoid(z[1]), g = tanh(z[2]), o = sigmoid(z[3]);
        Variable c2 = f * c + i * g;
        Variable h2 = o * tanh(layer_norm(c2, gamma, beta, 1e-5));
        CHECK(max_diff(out[0].data(), h2.data()) < 1e-13);
        CHECK(max_diff(out[1].data(), c2.data()) < 1e-14);
    }
    SECTION("float64 gradients: both outputs, only h, only c")
    {
        const std::vector<Variable> in{gx, gh, c, gamma, beta};
        check_gradients(
            [](auto& v) { return concat(layer_norm_lstm_update(v[0], v[1], v[2], v[3], v[4]), 1); },
            in);
        check_gradients(
            [](auto& v) { return layer_norm_lstm_update(v[0], v[1], v[2], v[3], v[4])[0]; }, in);
        check_gradients(
            [](auto& v) { return layer_norm_lstm_update(v[0], v[1], v[2], v[3], v[4])[1]; }, in);
    }
    SECTION("shapes and eps are checked")
    {
        CHECK_THROWS_WITH(layer_norm_lstm_update(gx, gh, c, randn({H + 1}, 96), beta),
                          Catch::Contains("layer_norm_lstm_update") && Catch::Contains("[6]"));
        CHECK_THROWS_WITH(layer_norm_lstm_update(gx, gh, c, gamma, beta, -1),
                          Catch::Contains("eps -1"));
        CHECK_THROWS_AS(layer_norm_lstm_update(gx, gx, randn({B, H + 1}, 97), gamma, beta),
                        shape_error);
    }
}
