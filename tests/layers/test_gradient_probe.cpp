// layers/gradient_probe.hpp: the probe's per-step norms equal the gradients of an explicit
// unrolled graph (each sequence alone, the cell called step by step, every h_t and c_t kept with
// retain_grad), for RNN, LSTM and GRU with ragged lengths, stacked and bidirectional; and the
// parameters' gradients are bit-identical with and without the probe.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tests/support.hpp"
#include "xgrad/layers/gradient_probe.hpp"
#include "xgrad/layers/recurrent.hpp"
#include "xgrad/layers/rnn.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;

namespace
{

// The loss both graphs compute: sum(output * r) + sum(h_n * rh) [+ sum(c_n * rc)], with fixed
// random weights so every step's gradient differs.
struct probe_weights
{
    Variable r, rh, rc;
};

Variable probe_loss(const sequence_output& out, const probe_weights& w, bool lstm)
{
    Variable loss = sum(out.output * w.r) + sum(RNNBase::final_state(out, 0) * w.rh);
    if (lstm)
        loss = loss + sum(RNNBase::final_state(out, 1) * w.rc);
    return loss;
}

// ||row b of g||_2 in double.
double probe_row_norm(const Tensor& g, std::size_t b)
{
    double sq = 0;
    for (std::size_t j = 0; j < g.shape()[1]; ++j)
    {
        const double v = g.flat(b * g.shape()[1] + j);
        sq += v * v;
    }
    return std::sqrt(sq);
}

// kept[layer][direction][k][t]: state tensor k after step t of one sequence, run alone.
using unrolled_states = std::vector<std::vector<std::vector<std::vector<Variable>>>>;

// The same loss as probe_loss, built by hand: every sequence b alone (batch 1, its own length),
// every layer and direction unrolled by calling the cell once per step; the reverse direction
// reads positions len-1 .. 0. Returns the loss; fills kept[b] with every state, retained.
Variable unrolled_loss(RNNBase& m, std::size_t layers, std::size_t dirs, std::size_t states,
                       const Variable& x, const std::vector<std::size_t>& lengths,
                       const probe_weights& w, std::vector<unrolled_states>& kept)
{
    const std::size_t batch = x.shape()[1];
    Variable loss;
    const auto add = [&loss](const Variable& term) {
        loss = loss.defined() ? loss + term : term;
    };
    kept.assign(batch, {});
    for (std::size_t b = 0; b < batch; ++b)
    {
        const std::size_t len = lengths[b];
        kept[b].assign(layers, std::vector<std::vector<std::vector<Variable>>>(
                                   dirs, std::vector<std::vector<Variable>>(states)));
        std::vector<Variable> in(len);
        for (std::size_t p = 0; p < len; ++p)
            in[p] = narrow(select(x, 0, p), 0, b, 1); // [1, I]
        state_list finals;
        for (std::size_t l = 0; l < layers; ++l)
        {
            std::vector<std::vector<Variable>> outs(dirs, std::vector<Variable>(len));
            for (std::size_t d = 0; d < dirs; ++d)
            {
                ProjectedCell& cell = m.cell(l, d);
                cell_state s = cell.zero_state(1, x.dtype());
                for (std::size_t t = 0; t < len; ++t)
                {
                    const std::size_t pos = d == 0 ? t : len - 1 - t;
                    s = cell.forward(in[pos], s);
                    for (std::size_t k = 0; k < states; ++k)
                    {
                        s[k].retain_grad();
                        kept[b][l][d][k].push_back(s[k]);
                    }
                    outs[d][pos] = s[0];
                }
                finals.push_back(s);
            }
            for (std::size_t p = 0; p < len; ++p)
                in[p] = dirs == 1 ? outs[0][p] : concat({outs[0][p], outs[1][p]}, 1);
        }
        for (std::size_t p = 0; p < len; ++p)
            add(sum(in[p] * narrow(select(w.r, 0, p), 0, b, 1)));
        for (std::size_t g = 0; g < finals.size(); ++g)
        {
            add(sum(finals[g][0] * narrow(select(w.rh, 0, g), 0, b, 1)));
            if (states == 2)
                add(sum(finals[g][1] * narrow(select(w.rc, 0, g), 0, b, 1)));
        }
    }
    return loss;
}

void check_probe_exact(cell_type type, std::size_t layers, bool bidirectional,
                       const std::vector<std::size_t>& lengths)
{
    const std::size_t T = 6, I = 3, H = 4, B = lengths.size(), dirs = bidirectional ? 2 : 1;
    const std::size_t states = type == cell_type::lstm ? 2 : 1;
    rnn_options o;
    o.num_layers = layers;
    o.bidirectional = bidirectional;
    generator gen(11);
    RNNBase m(type, I, H, o, gen);
    m.to(f64);
    const Variable x = randn({T, B, I}, 31, false);
    const probe_weights w{randn({T, B, dirs * H}, 32, false),
                          randn({layers * dirs, B, H}, 33, false),
                          randn({layers * dirs, B, H}, 34, false)};

    gradient_probe probe;
    probe_loss(m.forward(x, lengths), w, states == 2).backward();
    REQUIRE(probe.traces().size() == layers * dirs);

    std::vector<unrolled_states> kept;
    unrolled_loss(m, layers, dirs, states, x, lengths, w, kept).backward();
    REQUIRE(probe.traces().size() == layers * dirs); // the unrolled cells ran outside Recurrent

    const std::size_t steps = *std::max_element(lengths.begin(), lengths.end());
    for (std::size_t l = 0; l < layers; ++l)
        for (std::size_t d = 0; d < dirs; ++d)
        {
            const gradient_trace& tr = probe.trace(l, d);
            CHECK(tr.steps == steps);
            CHECK(tr.batch == B);
            CHECK(tr.state_count == states);
            for (std::size_t k = 0; k < states; ++k)
                for (std::size_t t = 0; t < steps; ++t)
                {
                    double sum_active = 0;
                    std::size_t active = 0;
                    for (std::size_t b = 0; b < B; ++b)
                    {
                        INFO("layer " << l << " direction " << d << " state " << k << " step " << t
                                      << " row " << b);
                        if (t >= lengths[b])
                        {
                            CHECK(tr.row_norm(k, t, b) == 0.0);
                            continue;
                        }
                        const Variable& s = kept[b][l][d][k][t];
                        REQUIRE(s.has_grad());
                        const double want = probe_row_norm(s.grad(), 0);
                        CHECK(want > 0);
                        CHECK(tr.row_norm(k, t, b) == Approx(want).epsilon(1e-11));
                        sum_active += want;
                        ++active;
                    }
                    CHECK(tr.mean_norm(k, t) ==
                          Approx(sum_active / static_cast<double>(active)).epsilon(1e-11));
                }
        }
}

// Every parameter's gradient and the input's, after one backward of probe_loss.
std::vector<Tensor> probe_gradients(RNNBase& m, const Variable& x,
                                    const std::vector<std::size_t>& lengths, const probe_weights& w)
{
    m.zero_grad();
    x.zero_grad();
    probe_loss(m.forward(x, lengths), w, true).backward();
    std::vector<Tensor> g;
    for (const Variable& p : m.parameters())
        g.push_back(p.grad().clone());
    g.push_back(x.grad().clone());
    return g;
}

} // namespace

TEST_CASE("gradient_probe equals the gradients of an unrolled graph with retained states",
          "[layers][gradient_probe]")
{
    SECTION("RNN, one layer, ragged")
    {
        check_probe_exact(cell_type::rnn, 1, false, {6, 2, 4});
    }
    SECTION("RNN, full lengths, bidirectional")
    {
        check_probe_exact(cell_type::rnn, 1, true, {6, 6});
    }
    SECTION("LSTM (h and c), two bidirectional layers, ragged")
    {
        check_probe_exact(cell_type::lstm, 2, true, {5, 1, 6, 3});
    }
    SECTION("GRU, bidirectional, ragged")
    {
        check_probe_exact(cell_type::gru, 1, true, {3, 6});
    }
    SECTION("GRU, two layers, ragged")
    {
        check_probe_exact(cell_type::gru, 2, false, {4, 6, 2});
    }
}

TEST_CASE("gradient_probe leaves every gradient bit-identical", "[layers][gradient_probe]")
{
    rnn_options o;
    o.num_layers = 2;
    o.bidirectional = true;
    generator gen(5);
    LSTM m(3, 8, o, gen);
    const Variable x(randn({7, 4, 3}, 40).data().to(f32), true);
    const std::vector<std::size_t> lengths{7, 3, 5, 6};
    const probe_weights w{Variable(randn({7, 4, 16}, 41).data().to(f32)),
                          Variable(randn({4, 4, 8}, 42).data().to(f32)),
                          Variable(randn({4, 4, 8}, 43).data().to(f32))};
    const std::vector<Tensor> without = probe_gradients(m, x, lengths, w);
    std::vector<Tensor> with;
    {
        gradient_probe probe;
        with = probe_gradients(m, x, lengths, w);
        CHECK(probe.traces().size() == 4);
        CHECK(probe.trace(1, 1).mean_norm(1, 0) > 0);
    }
    REQUIRE(with.size() == without.size());
    for (std::size_t i = 0; i < with.size(); ++i)
    {
        INFO("gradient " << i);
        REQUIRE(with[i].shape() == without[i].shape());
        CHECK(std::memcmp(with[i].data<float>(), without[i].data<float>(),
                          with[i].numel() * sizeof(float)) == 0);
    }
}

TEST_CASE("gradient_probe: scope, labels, errors", "[layers][gradient_probe]")
{
    generator gen(3);
    RNN m(2, 3, {}, gen);
    m.to(f64);
    const Variable x = randn({4, 2, 2}, 50, false);
    SECTION("no probe, no traces; the innermost probe records")
    {
        gradient_probe outer;
        {
            gradient_probe inner;
            CHECK(gradient_probe::active() == &inner);
            sum(m.forward(x).output).backward();
            CHECK(inner.traces().size() == 1);
        }
        CHECK(gradient_probe::active() == &outer);
        CHECK(outer.traces().empty());
        sum(m.forward(x).output).backward();
        REQUIRE(outer.traces().size() == 1);
        const gradient_trace& tr = outer.traces()[0];
        CHECK(tr.cell == m.cell(0).describe());
        CHECK(tr.lengths == std::vector<std::size_t>{4, 4});
        // The last step's gradient is the loss's own (all ones, norm sqrt(H)).
        CHECK(tr.mean_norm(0, 3) == Approx(std::sqrt(3.0)));
        outer.clear();
        CHECK(outer.traces().empty());
    }
    SECTION("under no_grad a run is recorded but nothing is hooked")
    {
        gradient_probe probe;
        {
            no_grad ng;
            m.forward(x);
        }
        REQUIRE(probe.traces().size() == 1);
        CHECK(probe.traces()[0].mean_norms(0) == std::vector<double>(4, 0.0));
    }
    SECTION("bad indices throw value_error naming them")
    {
        gradient_probe probe;
        m.forward(x);
        CHECK_THROWS_AS(probe.trace(1), value_error);
        CHECK_THROWS_WITH(probe.trace(0, 1), Catch::Contains("layer 0 direction 1"));
        CHECK_THROWS_WITH(probe.traces()[0].row_norm(1, 0, 0), Catch::Contains("state 1"));
        CHECK_THROWS_AS(probe.traces()[0].mean_norm(0, 4), value_error);
        CHECK_THROWS_AS(probe.traces()[0].row_norm(0, 0, 2), value_error);
    }
    CHECK(gradient_probe::active() == nullptr);
}
