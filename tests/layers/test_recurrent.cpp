// Checkpointed BPTT (Recurrent::set_checkpoint_every, rnn_options::checkpoint_every): the
// same outputs and bit-identical gradients as recording every step, for RNN/LSTM/GRU, stacked,
// bidirectional, projected, with lengths and every regulariser; a tape of segments instead of
// steps; a float64 gradcheck; the option shown by describe().
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

// Loss, output and the gradients of x, the initial state and every parameter after one
// forward/backward of `make(every)`'s layer; the generator is reseeded so the masks match.
struct bptt_run
{
    Tensor output, x_grad, h0_grad;
    std::vector<Tensor> grads;
};

template <class Make>
bptt_run run_bptt(Make make, std::size_t every, dtype dt, const shape_t& shape,
                  const std::vector<std::size_t>& lengths, bool with_initial)
{
    generator g(31);
    auto layer = make(g);
    layer->to(dt);
    for (auto& r : layer->named_parameters())
        (void)r;
    if (auto* rec = dynamic_cast<Recurrent*>(layer.get()))
        rec->set_checkpoint_every(every);
    Variable x = Variable(randn(shape, 5, false).data().to(dt), true);
    state_list initial;
    Variable h0;
    if (with_initial)
    {
        h0 = Variable(randn({shape[1], layer->output_size()}, 6, false).data().to(dt), true);
        initial.push_back(cell_state{h0});
        if (dynamic_cast<LSTMCell*>(&static_cast<Recurrent&>(*layer).cell()))
            initial[0].push_back(Variable(Tensor::zeros(h0.shape(), dt)));
    }
    g.seed(77); // the masks' draws
    sequence_output out = layer->forward(x, lengths, initial);
    Variable w = Variable(randn(out.output.shape(), 8, false).data().to(dt));
    Variable loss = sum(out.output * w);
    for (const Variable& s : out.states[0])
        loss = loss + sum(s * s);
    loss.backward();
    bptt_run r{out.output.data(), x.grad(), with_initial ? h0.grad() : Tensor(), {}};
    for (const Variable& p : layer->parameters())
        r.grads.push_back(p.grad());
    return r;
}

void require_identical(const bptt_run& a, const bptt_run& b)
{
    CHECK(identical(a.output, b.output));
    CHECK(identical(a.x_grad, b.x_grad));
    if (a.h0_grad.defined())
        CHECK(identical(a.h0_grad, b.h0_grad));
    REQUIRE(a.grads.size() == b.grads.size());
    for (std::size_t i = 0; i < a.grads.size(); ++i)
    {
        INFO("parameter " << i);
        CHECK(identical(a.grads[i], b.grads[i]));
    }
}

// snippet checkpoint begin (docs/layers.md shows this block; tests/docs/snippets.sh)
// One training step over a long sequence with checkpointed BPTT.
std::vector<Variable> train_long(const Variable& x, const Variable& w, generator& g)
{
    rnn_options o;
    o.checkpoint_every = checkpoint_sqrt; // or a step count; 0 (the default) records every step
    LSTM lstm(64, 256, o, g);
    auto out = lstm.forward(x);     // x [T, B, 64]: segments of ceil(sqrt(T)) steps
    sum(out.output * w).backward(); // each segment is recomputed when the sweep reaches it
    return lstm.parameters();       // their gradients
}
// snippet checkpoint end

} // namespace

TEST_CASE("checkpointed BPTT: bit-identical gradients for every cell, with lengths and "
          "regularisers",
          "[layers][recurrent][checkpoint]")
{
    sequence_regularisers all;
    all.input_dropout = 0.2;
    all.state_dropout = 0.3;
    all.output_dropout = 0.1;
    all.zoneout = 0.25;
    all.weight_drop = 0.4;
    const std::vector<std::size_t> lengths{11, 7, 3};
    for (const dtype dt : {f32, f64})
        for (const bool regularised : {false, true})
            for (const int kind : {0, 1})
            {
                const auto make = [&](generator& g) -> std::shared_ptr<Recurrent> {
                    std::shared_ptr<Cell> cell;
                    if (kind == 0)
                        cell = std::make_shared<LSTMCell>(4, 5, true, g);
                    else
                        cell = std::make_shared<GRUCell>(4, 5, true, g);
                    return regularised ? std::make_shared<Recurrent>(cell, all, g)
                                       : std::make_shared<Recurrent>(cell);
                };
                INFO("cell " << kind << ", regularised " << regularised << ", " << dtype_name(dt));
                const bptt_run plain = run_bptt(make, 0, dt, {11, 3, 4}, lengths, true);
                for (const std::size_t every : {std::size_t(1), std::size_t(3), checkpoint_sqrt})
                {
                    INFO("every " << every);
                    require_identical(plain, run_bptt(make, every, dt, {11, 3, 4}, lengths, true));
                }
                // every >= T: one segment would save nothing; the layer records as usual.
                require_identical(plain, run_bptt(make, 11, dt, {11, 3, 4}, lengths, true));
            }
}

TEST_CASE("checkpointed BPTT through LSTM/GRU modules: stacked, bidirectional, projected",
          "[layers][recurrent][checkpoint]")
{
    for (const int kind : {0, 1, 2})
    {
        const auto train = [&](std::size_t every) {
            generator g(3);
            rnn_options o;
            o.num_layers = 2;
            o.bidirectional = true;
            o.proj_size = kind == 2 ? 3 : 0;
            o.checkpoint_every = every;
            std::unique_ptr<RNNBase> m;
            if (kind == 1)
                m = std::make_unique<GRU>(4, 5, o, g);
            else
                m = std::make_unique<LSTM>(4, 5, o, g);
            Variable x = randn({9, 2, 4}, 4);
            m->to(f64);
            sequence_output out = m->forward(x, {9, 5});
            sum(out.output * out.output).backward();
            std::vector<Tensor> grads{x.grad()};
            for (const Variable& p : m->parameters())
                grads.push_back(p.grad());
            return std::make_pair(m->describe(), grads);
        };
        const auto plain = train(0);
        const auto checkpointed = train(2);
        REQUIRE(plain.second.size() == checkpointed.second.size());
        for (std::size_t i = 0; i < plain.second.size(); ++i)
            CHECK(identical(plain.second[i], checkpointed.second[i]));
    }
}

TEST_CASE("float32 recurrent layers transpose W_hh once per sequence: same values as the "
          "cell stepped by hand, the same bits checkpointed",
          "[layers][recurrent][skinny]")
{
    // H = 80, batch 8: the step's product ([8, 80] x [80, 320] for the LSTM, x [80, 240] for
    // the GRU) goes to the skinny GEMMs (where the build has them), through
    // linear_pretransposed.
    for (const bool gru : {false, true})
    {
        INFO((gru ? "GRU" : "LSTM"));
        const auto train = [&](std::size_t every, bool by_hand) {
            generator g(5);
            rnn_options o;
            o.checkpoint_every = every;
            std::unique_ptr<RNNBase> m;
            if (gru)
                m = std::make_unique<GRU>(16, 80, o, g);
            else
                m = std::make_unique<LSTM>(16, 80, o, g);
            Variable x(randn({7, 8, 16}, 6).data().to(f32), true);
            Variable out;
            if (by_hand)
            {
                ProjectedCell& cell = m->cell(0, 0);
                CHECK(!cell.transposed_recurrent_weight().defined());
#if defined(__AVX512F__)
                CHECK(cell.gains_from_transposed_weight(8, f32));
#endif
                CHECK_FALSE(cell.gains_from_transposed_weight(8, f64));
                cell_state s = cell.zero_state(8, f32);
                std::vector<Variable> ys;
                for (std::size_t t = 0; t < 7; ++t)
                {
                    s = cell.forward(select(x, 0, t), s);
                    ys.push_back(s[0]);
                }
                out = stack(ys, 0);
            }
            else
                out = m->forward(x).output;
            sum(out * out).backward();
            std::vector<Tensor> r{out.data(), x.grad()};
            for (const Variable& p : m->parameters())
                r.push_back(p.grad());
            CHECK(!m->cell(0, 0).transposed_recurrent_weight().defined()); // cleared after the run
            return r;
        };
        const auto layer = train(0, false), by_hand = train(0, true),
                   checkpointed = train(3, false);
        for (std::size_t i = 0; i < layer.size(); ++i)
        {
            CHECK(max_diff(layer[i], by_hand[i]) < 1e-4);
            CHECK(identical(layer[i], checkpointed[i]));
        }
    }
}

TEST_CASE("checkpointed BPTT records segments, not steps, and passes a gradcheck",
          "[layers][recurrent][checkpoint][gradcheck]")
{
    generator g(8);
    Recurrent layer(std::make_shared<LSTMCell>(3, 4, true, g));
    layer.to(f64);
    Variable x = randn({40, 2, 3}, 9);
    tape::current().clear();
    std::size_t plain_nodes = 0;
    {
        sequence_output out = layer.forward(x);
        plain_nodes = tape::current().size();
        tape::current().clear();
    }
    layer.set_checkpoint_every(8);
    {
        sequence_output out = layer.forward(x);
        // the projection, per segment (5) itself and its last h, the concatenation
        CHECK(tape::current().size() <= 2 + 2 * 5 + 1);
        CHECK(plain_nodes > 40 * 2);
        tape::current().clear();
    }
    CHECK_THAT(layer.describe(), Catch::Contains("checkpoint_every=8"));
    layer.set_checkpoint_every(checkpoint_sqrt);
    CHECK_THAT(layer.describe(), Catch::Contains("checkpoint_every=sqrt(T)"));

    // Evaluation without grad mode runs the plain loop: the same numbers.
    Variable plain_out, eval_out;
    {
        no_grad off;
        layer.set_checkpoint_every(0);
        plain_out = layer.forward(x).output;
        layer.set_checkpoint_every(8);
        eval_out = layer.forward(x).output;
    }
    CHECK(identical(plain_out.data(), eval_out.data()));

    Recurrent small(std::make_shared<GRUCell>(2, 3, true, g));
    small.to(f64);
    small.set_checkpoint_every(2);
    std::vector<Variable> inputs{randn({5, 2, 2}, 10)};
    for (const Variable& p : small.parameters())
        inputs.push_back(p);
    check_gradients(
        [&](const std::vector<Variable>& v) {
            sequence_output out = small.forward(v[0], {5, 3});
            return concat({reshape(out.output, {out.output.numel()}),
                           reshape(out.states[0][0], {out.states[0][0].numel()})},
                          0);
        },
        inputs);
}

TEST_CASE("docs: checkpointed BPTT", "[layers][recurrent][checkpoint][docs]")
{
    generator g(12), g2(12);
    const Variable x(randn({50, 2, 64}, 13, false).data().to(f32));
    const Variable w(randn({50, 2, 256}, 14, false).data().to(f32));
    const std::vector<Variable> a = train_long(x, w, g);
    LSTM plain(64, 256, {}, g2);
    sum(plain.forward(x).output * w).backward();
    const std::vector<Variable> b = plain.parameters();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        CHECK(identical(a[i].grad(), b[i].grad()));
}
