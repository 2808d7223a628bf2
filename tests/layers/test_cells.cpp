// layers/cell.hpp, projected_cell.hpp, rnn_cell.hpp, lstm_cell.hpp, gru_cell.hpp: values against
// PyTorch, float64 gradient checks, and a user-defined cell.
#include "tests/layers/fixtures.hpp"
#include "xgrad/layers/gru_cell.hpp"
#include "xgrad/layers/init.hpp"
#include "xgrad/layers/layer_norm_lstm_cell.hpp"
#include "xgrad/layers/lstm_cell.hpp"
#include "xgrad/layers/rnn_cell.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;

TEST_CASE("RNNCell, LSTMCell, GRUCell match PyTorch", "[layers][cells]")
{
    for (const char* act : {"tanh", "relu"})
    {
        auto f = fixture(std::string("rnn_cell_") + act);
        RNNCell cell(3, 4, std::string(act) == "tanh" ? nonlinearity::tanh : nonlinearity::relu);
        load_torch_weights(cell, f);
        cell_state s = cell.forward(Variable(f.tensors.at("x")), {Variable(f.tensors.at("h"))});
        CHECK(max_diff(s[0].data(), f.tensors.at("h_next")) < 1e-5);
    }
    {
        auto f = fixture("lstm_cell");
        LSTMCell cell(3, 4);
        load_torch_weights(cell, f);
        cell_state s = cell.forward(Variable(f.tensors.at("x")),
                                    {Variable(f.tensors.at("h")), Variable(f.tensors.at("c"))});
        CHECK(max_diff(s[0].data(), f.tensors.at("h_next")) < 1e-5);
        CHECK(max_diff(s[1].data(), f.tensors.at("c_next")) < 1e-5);
    }
    {
        auto f = fixture("gru_cell");
        GRUCell cell(3, 4);
        load_torch_weights(cell, f);
        cell_state s = cell.forward(Variable(f.tensors.at("x")), {Variable(f.tensors.at("h"))});
        CHECK(max_diff(s[0].data(), f.tensors.at("h_next")) < 1e-5);
    }
}

namespace
{
// Gradchecks one step of `cell` (in float64) with respect to its input, state and parameters.
void check_cell(Cell& cell, std::size_t batch)
{
    cell.to(f64);
    auto x = randn({batch, cell.input_size()}, 100);
    cell_state s;
    for (std::size_t i = 0; i < cell.state_count(); ++i)
        s.push_back(randn({batch, cell.state_size(i)}, 101 + i));
    std::vector<Variable> inputs{x};
    inputs.insert(inputs.end(), s.begin(), s.end());
    gradcheck_options opt;
    opt.names = {"x"};
    for (std::size_t i = 0; i < s.size(); ++i)
        opt.names.push_back(fmt::format("state[{}]", i));
    for (auto& [name, p] : cell.named_parameters())
    {
        inputs.push_back(p);
        opt.names.push_back(name);
    }
    const std::size_t n_state = s.size();
    check_gradients(
        [&cell, n_state](auto& v) {
            cell_state st(v.begin() + 1, v.begin() + 1 + static_cast<std::ptrdiff_t>(n_state));
            cell_state out = cell.forward(v[0], st);
            return concat(out, 1); // every state tensor the step produces
        },
        inputs, opt);
}
} // namespace

TEST_CASE("cells are gradient-checked in float64", "[layers][cells][gradcheck]")
{
    RNNCell rnn(3, 5);
    check_cell(rnn, 2);
    RNNCell relu_rnn(3, 5, nonlinearity::relu);
    check_cell(relu_rnn, 2);
    LSTMCell lstm(3, 5);
    check_cell(lstm, 2);
    LSTMCell projected(3, 5, true, default_generator(), 2); // h [B, 2], c [B, 5]
    check_cell(projected, 2);
    LayerNormLSTMCell normalised(3, 5);
    check_cell(normalised, 2);
    GRUCell gru(3, 5);
    check_cell(gru, 2);
    GRUCell gru_nobias(3, 4, false);
    check_cell(gru_nobias, 3);
}

TEST_CASE("cells reject bad shapes with the layer and shapes named", "[layers][cells]")
{
    LSTMCell cell(3, 4);
    Variable x(Tensor::zeros({2, 3}));
    CHECK_THROWS_WITH(cell.forward(x, {Variable(Tensor::zeros({2, 4}))}),
                      Catch::Contains("LSTMCell") && Catch::Contains("2"));
    CHECK_THROWS_WITH(cell.forward(x, cell.zero_state(3, f32)),
                      Catch::Contains("LSTMCell") && Catch::Contains("[3,4]"));
    CHECK_THROWS_WITH(cell.forward(Variable(Tensor::zeros({2, 5})), cell.zero_state(2, f32)),
                      Catch::Contains("linear") && Catch::Contains("[2,5]"));
    CHECK_THROWS_AS(RNNCell(0, 4), value_error);
    CHECK_THROWS_WITH(LSTMCell(3, 4, true, default_generator(), 4),
                      Catch::Contains("proj_size 4") && Catch::Contains("smaller"));
    LSTMCell projected(3, 4, true, default_generator(), 2);
    CHECK(projected.state_size(0) == 2);
    CHECK(projected.state_size(1) == 4);
    CHECK(projected.weight_hh.shape() == shape_t{16, 2});
    CHECK(projected.weight_hr.shape() == shape_t{2, 4});
    CHECK_THROWS_WITH(projected.forward(x, cell.zero_state(2, f32)), Catch::Contains("LSTMCell") &&
                                                                         Catch::Contains("[2,4]") &&
                                                                         Catch::Contains("[2,2]"));
    CHECK(cell.parameter_count() == 4 * 4 * 3 + 4 * 4 * 4 + 2 * 16);
}

TEST_CASE("LayerNormLSTMCell computes Ba et al.'s layer-normalised LSTM", "[layers][cells]")
{
    generator g(3);
    LayerNormLSTMCell cell(3, 4, 1e-5, g);
    cell.to(f64);
    std::vector<std::string> names;
    for (auto& [name, p] : cell.named_parameters())
        names.push_back(name);
    CHECK(names == std::vector<std::string>{"weight_ih", "weight_hh", "ln_ih.weight", "ln_ih.bias",
                                            "ln_hh.weight", "ln_hh.bias", "ln_c.weight",
                                            "ln_c.bias"});
    // Non-trivial gains and biases, so each norm's parameters matter.
    for (auto* ln : {cell.ln_ih.get(), cell.ln_hh.get(), cell.ln_c.get()})
    {
        init::uniform(ln->weight, 0.5, 1.5, g);
        init::uniform(ln->bias, -0.5, 0.5, g);
    }
    auto x = randn({2, 3}, 120, false), h = randn({2, 4}, 121, false),
         c = randn({2, 4}, 122, false);
    const cell_state next = cell.forward(x, {h, c});
    auto z = chunk(layer_norm(linear(x, cell.weight_ih), cell.ln_ih->weight, cell.ln_ih->bias) +
                       layer_norm(linear(h, cell.weight_hh), cell.ln_hh->weight, cell.ln_hh->bias),
                   4, 1);
    Variable c2 = sigmoid(z[1]) * c + sigmoid(z[0]) * tanh(z[2]);
    Variable h2 = sigmoid(z[3]) * tanh(layer_norm(c2, cell.ln_c->weight, cell.ln_c->bias));
    CHECK(max_diff(next[0].data(), h2.data()) < 1e-13);
    CHECK(max_diff(next[1].data(), c2.data()) < 1e-14);
    CHECK(cell.describe() == "LayerNormLSTMCell(3, 4)");
    CHECK_THROWS_WITH(cell.step(Variable(Tensor::zeros({2, 15}, f64)), {h, c}),
                      Catch::Contains("LayerNormLSTMCell") && Catch::Contains("[2,15]"));
    CHECK_THROWS_WITH(cell.forward(x, {h}), Catch::Contains("LayerNormLSTMCell"));
    CHECK_THROWS_AS(LayerNormLSTMCell(0, 4), value_error);
}
