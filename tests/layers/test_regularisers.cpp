// layers/regularisers.hpp through Recurrent and LSTM/GRU: variational dropout (one mask per
// sequence), zoneout, weight-drop. Each against a hand-unrolled run with the masks the layer
// drew, the masks' statistics, evaluation mode, replay by reseeding, and float64 gradchecks
// with the masks fixed.
#include "tests/support.hpp"
#include "xgrad/layers/gru_cell.hpp"
#include "xgrad/layers/lstm_cell.hpp"
#include "xgrad/layers/recurrent.hpp"
#include "xgrad/layers/rnn.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;

namespace
{

// Fraction of a mask's entries equal to v (and a check that every entry is 0 or `other`).
double fraction_equal(const Tensor& m, double v, double other)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < m.numel(); ++i)
    {
        const double x = m.flat(i);
        REQUIRE((x == v || x == Approx(other)));
        n += x == v;
    }
    return double(n) / double(m.numel());
}

std::shared_ptr<LSTMCell> lstm_cell(std::size_t in, std::size_t hidden, std::uint64_t seed)
{
    generator g(seed);
    auto c = std::make_shared<LSTMCell>(in, hidden, true, g);
    c->to(f64);
    return c;
}

} // namespace

TEST_CASE("variational dropout: one mask per sequence, reused at every step",
          "[layers][regularisers]")
{
    sequence_regularisers r;
    r.input_dropout = 0.3;
    r.state_dropout = 0.25;
    r.output_dropout = 0.4;
    generator g(1);
    auto cell = lstm_cell(5, 32, 2);
    Recurrent layer(cell, r, g);
    auto x = randn({6, 64, 5}, 10, false);
    const sequence_output out = layer.forward(x);
    const regulariser_masks& m = layer.last_masks();
    REQUIRE(m.input.shape() == shape_t{1, 64, 5});
    REQUIRE(m.state.shape() == shape_t{64, 32});
    REQUIRE(m.output.shape() == shape_t{1, 64, 32});
    CHECK(fraction_equal(m.input, 0, 1 / 0.7) == Approx(0.3).margin(0.06));
    CHECK(fraction_equal(m.state, 0, 1 / 0.75) == Approx(0.25).margin(0.04));
    CHECK(fraction_equal(m.output, 0, 1 / 0.6) == Approx(0.4).margin(0.04));
    CHECK(!m.weight.defined());
    CHECK(m.zoneout.empty());

    // The same run by hand with those masks.
    const Variable projected = cell->project(x * Variable(m.input));
    cell_state s = cell->zero_state(64, f64);
    for (std::size_t t = 0; t < 6; ++t)
    {
        cell_state fed = s;
        fed[0] = s[0] * Variable(m.state);
        s = cell->step(select(projected, 0, t), fed);
        const Variable expected = s[0] * Variable(reshape(Variable(m.output), {64, 32}));
        CHECK(max_diff(select(out.output, 0, t).data(), expected.data()) == 0.0);
    }
    CHECK(max_diff(out.states[0][1].data(), s[1].data()) == 0.0);
    // A dropped output unit is 0 at every step.
    for (std::size_t j = 0; j < 64 * 32; ++j)
        if (m.output.flat(j) == 0)
            for (std::size_t t = 0; t < 6; ++t)
                CHECK(out.output.data().flat(t * 64 * 32 + j) == 0.0);

    SECTION("evaluation mode: no dropout at all")
    {
        layer.eval();
        Recurrent plain(cell);
        CHECK(max_diff(layer.forward(x).output.data(), plain.forward(x).output.data()) == 0.0);
        CHECK(!layer.last_masks().input.defined());
    }
    SECTION("reseeding the generator replays the masks")
    {
        g.seed(77);
        const Tensor a = layer.forward(x).output.data();
        g.seed(77);
        CHECK(max_diff(layer.forward(x).output.data(), a) == 0.0);
        CHECK(max_diff(layer.forward(x).output.data(), a) > 0.0); // a new draw differs
    }
}

TEST_CASE("zoneout keeps units with probability p; evaluation takes the expectation",
          "[layers][regularisers]")
{
    sequence_regularisers r;
    r.zoneout = 0.2;
    generator g(3);
    auto cell = lstm_cell(4, 16, 4);
    Recurrent layer(cell, r, g);
    auto x = randn({5, 32, 4}, 11, false);
    const sequence_output out = layer.forward(x);
    const auto& keep = layer.last_masks().zoneout;
    REQUIRE(keep.size() == 5 * 2); // per step: h, c
    double kept = 0;
    for (const Tensor& k : keep)
        kept += fraction_equal(k, 1, 0) / double(keep.size());
    CHECK(kept == Approx(0.2).margin(0.03));
    const Variable projected = cell->project(x);
    cell_state s = cell->zero_state(32, f64);
    for (std::size_t t = 0; t < 5; ++t)
    {
        cell_state next = cell->step(select(projected, 0, t), s);
        for (std::size_t i = 0; i < 2; ++i)
            next[i] = where(keep[t * 2 + i], s[i], next[i]);
        s = next;
        CHECK(max_diff(select(out.output, 0, t).data(), s[0].data()) == 0.0);
    }
    layer.eval();
    const sequence_output e = layer.forward(x);
    s = cell->zero_state(32, f64);
    for (std::size_t t = 0; t < 5; ++t)
    {
        cell_state next = cell->step(select(projected, 0, t), s);
        for (std::size_t i = 0; i < 2; ++i)
            next[i] = 0.2 * s[i] + 0.8 * next[i];
        s = next;
    }
    CHECK(max_diff(e.states[0][0].data(), s[0].data()) < 1e-15);
    CHECK(max_diff(e.states[0][1].data(), s[1].data()) < 1e-15);
}

TEST_CASE("weight-drop masks weight_hh once per forward, through the cell, gradients to "
          "weight_hh",
          "[layers][regularisers]")
{
    sequence_regularisers r;
    r.weight_drop = 0.5;
    generator g(5);
    auto cell = lstm_cell(3, 8, 6);
    Recurrent layer(cell, r, g);
    auto x = randn({4, 2, 3}, 12, false);
    const sequence_output out = layer.forward(x);
    const Tensor mask = layer.last_masks().weight;
    REQUIRE(mask.shape() == cell->weight_hh.shape());
    CHECK(fraction_equal(mask, 0, 2.0) == Approx(0.5).margin(0.1));
    // The same as a plain layer over a copy of the cell whose weight_hh is masked.
    auto copy = lstm_cell(3, 8, 6);
    Tensor w = copy->weight_hh.data(); // shares the parameter's data
    for (std::size_t i = 0; i < w.numel(); ++i)
        w.data<double>()[i] = cell->weight_hh.data().data<double>()[i] * mask.data<double>()[i];
    Recurrent plain(copy);
    CHECK(max_diff(out.output.data(), plain.forward(x).output.data()) < 1e-15);
    // Dropped weights get no gradient; the weight is the cell's own (nothing copied).
    sum(out.output).backward();
    const Tensor gw = cell->weight_hh.grad();
    std::size_t dropped_with_gradient = 0, kept_with_gradient = 0;
    for (std::size_t i = 0; i < gw.numel(); ++i)
        (mask.flat(i) == 0 ? dropped_with_gradient : kept_with_gradient) += gw.flat(i) != 0;
    CHECK(dropped_with_gradient == 0);
    CHECK(kept_with_gradient > 0);
    // After the forward the cell reads weight_hh again.
    cell_state s = cell->zero_state(2, f64);
    CHECK(max_diff(cell->forward(select(x, 0, 0), s)[0].data(),
                   Recurrent(cell).forward(narrow(x, 0, 0, 1)).output.data().reshape({2, 8})) ==
          0.0);
}

TEST_CASE("regularisers are checked and named", "[layers][regularisers]")
{
    sequence_regularisers r;
    r.zoneout = 1.0;
    CHECK_THROWS_WITH(Recurrent(lstm_cell(3, 4, 1), r, default_generator()),
                      Catch::Contains("zoneout 1") && Catch::Contains("[0, 1)"));
    r = {};
    r.state_dropout = -0.1;
    CHECK_THROWS_WITH(Recurrent(lstm_cell(3, 4, 1), r, default_generator()),
                      Catch::Contains("state_dropout -0.1"));
    rnn_options o;
    o.num_layers = 2;
    o.bidirectional = true;
    o.regularisers.weight_drop = 0.5;
    o.regularisers.zoneout = 0.1;
    LSTM lstm(3, 4, o);
    CHECK(lstm.describe() ==
          "LSTM(3, 4, num_layers=2, bidirectional, zoneout=0.1, weight_drop=0.5)");
}

TEST_CASE("regularised layers pass float64 gradchecks with their masks fixed",
          "[layers][regularisers][gradcheck]")
{
    // Reseeding inside f gives every evaluation the same masks: f is then a function.
    generator g(9);
    const auto check = [&](SequenceLayer& layer, const shape_t& shape,
                           const std::vector<std::size_t>& lengths) {
        layer.to(f64);
        auto x = randn(shape, 13);
        std::vector<Variable> inputs{x};
        gradcheck_options opt;
        opt.names = {"x"};
        for (auto& [name, p] : layer.named_parameters())
        {
            inputs.push_back(p);
            opt.names.push_back(name);
        }
        check_gradients(
            [&](auto& v) {
                g.seed(21);
                sequence_output out = layer.forward(v[0], lengths);
                return concat({reshape(out.output, {out.output.numel()}),
                               reshape(out.states[0][0], {out.states[0][0].numel()})},
                              0);
            },
            inputs, opt);
    };
    sequence_regularisers all;
    all.input_dropout = 0.2;
    all.state_dropout = 0.3;
    all.output_dropout = 0.2;
    all.zoneout = 0.25;
    all.weight_drop = 0.4;
    Recurrent lstm(std::make_shared<LSTMCell>(3, 4, true, g), all, g);
    check(lstm, {4, 2, 3}, {4, 3});
    Recurrent gru(std::make_shared<GRUCell>(3, 4, true, g), all, g);
    check(gru, {3, 2, 3}, {});
    rnn_options o;
    o.bidirectional = true;
    o.regularisers = all;
    LSTM bi(3, 3, o, g);
    check(bi, {3, 2, 3}, {3, 2});
    // Evaluation mode (zoneout's expectation) too.
    lstm.eval();
    check(lstm, {4, 2, 3}, {});
}
