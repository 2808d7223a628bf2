// layers/bridge.hpp: float64 gradchecks of the bridge alone (GRU and LSTM states), its shape
// errors, and of a whole attention encoder-decoder: bi-GRU encoder -> bridge -> GRU decoder with
// Luong attention and input feeding, 3 steps, ragged source lengths.
#include "tests/support.hpp"
#include "xgrad/layers/attention.hpp"
#include "xgrad/layers/bridge.hpp"
#include "xgrad/layers/gradcheck.hpp"
#include "xgrad/layers/gru_cell.hpp"
#include "xgrad/layers/rnn.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace
{

// The tiny translator of the end-to-end check, as one module so gradcheck_module sees every
// parameter under a name.
struct bridge_test_seq2seq : Module
{
    std::shared_ptr<GRU> encoder;
    std::shared_ptr<Bridge> bridge;
    std::shared_ptr<LuongAttention> attention;
    std::shared_ptr<GRUCell> decoder;
    std::shared_ptr<Linear> combine;

    bridge_test_seq2seq()
    {
        rnn_options o;
        o.bidirectional = true;
        encoder = register_module("encoder", std::make_shared<GRU>(3, 4, o));
        bridge = register_module("bridge", std::make_shared<Bridge>(4, 2, 5, 1));
        attention = register_module("attention",
                                    std::make_shared<LuongAttention>(luong_score::general, 5, 8));
        decoder = register_module("decoder", std::make_shared<GRUCell>(2 + 5, 5));
        combine = register_module("combine", std::make_shared<Linear>(8 + 5, 5, false));
    }

    // src [S, B, 3], tgt [T, B, 2] (embedded tokens); sum_t <attentional vector_t, r_t>.
    Variable loss(const Variable& src, const std::vector<std::size_t>& lengths, const Variable& tgt,
                  const Variable& r)
    {
        sequence_output enc = encoder->forward(src, lengths);
        cell_state state = bridge->forward(enc.states);
        attention_memory mem = attention->prepare(enc.output, enc.output, lengths);
        const std::size_t B = src.shape()[1];
        Variable feed(Tensor::zeros({B, 5}, f64));
        Variable total;
        for (std::size_t t = 0; t < tgt.shape()[0]; ++t)
        {
            state = decoder->forward(concat({select(tgt, 0, t), feed}, 1), state);
            attention_output a = attention->forward(state[0], mem);
            feed = tanh(combine->forward(concat({a.context, state[0]}, 1)));
            Variable term = sum(feed * select(r, 0, t)) + sum(a.weights * a.weights);
            total = total.defined() ? total + term : term;
        }
        return total;
    }
};

} // namespace

TEST_CASE("bridge gradchecks in float64 for GRU and LSTM states", "[layers][bridge]")
{
    for (std::size_t states : {1, 2})
    {
        INFO("state_count " << states);
        Bridge bridge(4, 2, 3, states);
        bridge.to(f64);
        Variable hf = test::randn({2, 4}, 1), hb = test::randn({2, 4}, 2),
                 cf = test::randn({2, 4}, 3), cb = test::randn({2, 4}, 4);
        auto f = [&](const std::vector<Variable>& x) {
            state_list finals{{x[0], x[2]}, {x[1], x[3]}};
            cell_state s = bridge.forward(finals);
            REQUIRE(s.size() == states);
            Variable out = sum(s[0] * s[0]);
            return states == 2 ? out + sum(s[1] * s[0]) : out;
        };
        test::check_gradients(f, {hf, hb, cf, cb});
        const gradcheck_report r = gradcheck_module(bridge, [&] { return f({hf, hb, cf, cb}); });
        INFO(r.table());
        CHECK(r.ok());
        CHECK(r.entries.size() == 2 * states);
    }
}

TEST_CASE("bridge computes tanh(W [h_f; h_b] + b) and a linear c", "[layers][bridge]")
{
    Bridge bridge(2, 2, 3, 2);
    bridge.to(f64);
    Variable hf = test::randn({1, 2}, 5, false), hb = test::randn({1, 2}, 6, false);
    cell_state s = bridge.forward({{hf, hf}, {hb, hb}});
    Variable x = concat({hf, hb}, 1);
    CHECK(test::max_diff(s[0].data(), tanh(linear(x, bridge.h->weight, bridge.h->bias)).data()) <
          1e-12);
    CHECK(test::max_diff(s[1].data(), linear(x, bridge.c->weight, bridge.c->bias).data()) < 1e-12);
    // Names as the checkpoint and a PyTorch port expect.
    std::vector<std::string> names;
    for (const auto& [name, p] : bridge.named_parameters())
        names.push_back(name);
    CHECK(names == std::vector<std::string>{"h.weight", "h.bias", "c.weight", "c.bias"});
}

TEST_CASE("bridge refuses wrong sizes and states", "[layers][bridge]")
{
    CHECK_THROWS_AS(Bridge(0, 2, 3, 1), value_error);
    CHECK_THROWS_AS(Bridge(4, 3, 3, 1), value_error);
    CHECK_THROWS_AS(Bridge(4, 2, 3, 3), value_error);
    Bridge gru(4, 2, 3, 1), lstm(4, 2, 3, 2);
    Variable h(Tensor::zeros({2, 4})), wide(Tensor::zeros({2, 5})), other(Tensor::zeros({3, 4}));
    CHECK_THROWS_AS(gru.forward({{h}}), shape_error);
    CHECK_THROWS_AS(gru.forward({{h}, {wide}}), shape_error);
    CHECK_THROWS_AS(gru.forward({{h}, {other}}), shape_error);
    CHECK_THROWS_AS(lstm.forward({{h}, {h}}), shape_error); // GRU states into an LSTM decoder
    CHECK(gru.forward({{h}, {h}, {h}}).size() == 1);        // a 2-layer encoder: top layer read
}

TEST_CASE("bi-GRU encoder, bridge and Luong input-feeding decoder gradcheck end to end",
          "[layers][bridge][attention]")
{
    bridge_test_seq2seq model;
    model.to(f64);
    Variable src = test::randn({4, 3, 3}, 11), tgt = test::randn({3, 3, 2}, 12),
             r = test::randn({3, 3, 5}, 13, false);
    const std::vector<std::size_t> lengths{4, 2, 3};
    const gradcheck_report rep =
        gradcheck_module(model, [&] { return model.loss(src, lengths, tgt, r); });
    INFO(rep.table());
    CHECK(rep.ok());
    CHECK(rep.entries.size() == model.named_parameters().size());
    // And through the inputs: the source's padding gets exactly zero gradient.
    test::check_gradients([&](const auto& x) { return model.loss(x[0], lengths, x[1], r); },
                          {src, tgt});
    Variable src2 = test::randn({4, 3, 3}, 11);
    model.zero_grad();
    model.loss(src2, lengths, tgt, r).backward();
    for (std::size_t s = 2; s < 4; ++s)
        for (std::size_t i = 0; i < 3; ++i)
            CHECK(src2.grad().flat(s * 9 + 3 + i) == 0.0); // [s, 1, i]
}
