// layers/attention.hpp: values and gradients against a PyTorch formulation (fixtures from
// tests/layers/fixtures/make_fixtures.py), float64 gradchecks with ragged lengths, masking.
#include "tests/layers/fixtures.hpp"
#include "xgrad/layers/attention.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/gradcheck.hpp"
#include "xgrad/layers/gru_cell.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/optim/adam.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;

namespace
{

std::shared_ptr<Attention> make_attention(const std::string& kind)
{
    if (kind == "additive")
        return std::make_shared<AdditiveAttention>(4, 6, 5);
    if (kind == "dot")
        return std::make_shared<LuongAttention>(luong_score::dot, 6, 6);
    return std::make_shared<LuongAttention>(parse_luong_score(kind), 4, 6, 5);
}

Variable attention_input(const io::tensor_file& f, const std::string& name)
{
    return Variable(f.tensors.at(name).to(f64), true);
}

// snippet attention-decoder begin (docs/layers.md shows this block; tests/docs/snippets.sh)
// Bahdanau attention with Luong's input feeding: feed is the last step's attentional vector h~.
struct attention_decoder : Module
{
    std::shared_ptr<Embedding> embed;
    std::shared_ptr<GRUCell> cell;
    std::shared_ptr<AdditiveAttention> attention;
    std::shared_ptr<Linear> combine, out;

    attention_decoder(std::size_t vocab, std::size_t E, std::size_t K, std::size_t D)
        : embed(register_module("embed", std::make_shared<Embedding>(vocab, E))),
          cell(register_module("cell", std::make_shared<GRUCell>(E + D, D))),
          attention(register_module("attention", std::make_shared<AdditiveAttention>(D, K, D))),
          combine(register_module("combine", std::make_shared<Linear>(K + D, D, false))),
          out(register_module("out", std::make_shared<Linear>(D, vocab)))
    {}

    // prev: B token ids -> logits [B, vocab]; updates state ({h [B, D]}) and feed [B, D].
    Variable step(const std::vector<std::int64_t>& prev, cell_state& state, Variable& feed,
                  const attention_memory& memory)
    {
        state = cell->forward(concat({embed->forward(prev), feed}, 1), state);
        attention_output a = attention->forward(state[0], memory); // context [B, K]
        feed = tanh(combine->forward(concat({a.context, state[0]}, 1)));
        return out->forward(feed);
    }
};

// Teacher forcing: tgt holds [T, B] ids row-major; enc is the encoder output [S, B, K].
Variable decoder_loss(attention_decoder& dec, const Variable& enc,
                      const std::vector<std::size_t>& lengths, cell_state state,
                      const std::vector<std::int64_t>& tgt, std::int64_t bos)
{
    const std::size_t B = lengths.size(), T = tgt.size() / B;
    attention_memory memory = dec.attention->prepare(enc, enc, lengths); // once per batch
    Variable feed(Tensor::zeros(state[0].shape(), state[0].dtype()));
    std::vector<std::int64_t> prev(B, bos);
    std::vector<Variable> logits;
    for (std::size_t t = 0; t < T; ++t)
    {
        logits.push_back(dec.step(prev, state, feed, memory));
        prev.assign(tgt.begin() + t * B, tgt.begin() + (t + 1) * B); // the gold token
    }
    return cross_entropy(stack(logits, 0), tgt); // logits [T, B, vocab]
}
// snippet attention-decoder end

} // namespace

TEST_CASE("attention matches PyTorch: context, weights and every gradient", "[layers][attention]")
{
    for (const std::string kind : {"additive", "dot", "general", "concat"})
    {
        INFO(kind);
        auto f = xgrad::test::fixture("attention_" + kind);
        auto attn = make_attention(kind);
        load_torch_weights(*attn, f);
        attn->to(f64);
        Variable q = attention_input(f, "query"), k = attention_input(f, "keys"),
                 v = attention_input(f, "values");
        attention_memory mem = attn->prepare(k, v, lengths_of(f));
        attention_output out = attn->forward(q, mem);
        CHECK(max_diff(out.context.data(), f.tensors.at("context").to(f64)) < 1e-6);
        CHECK(max_diff(out.weights.data(), f.tensors.at("weights").to(f64)) < 1e-6);
        Variable loss = sum(out.context * Variable(f.tensors.at("r1").to(f64))) +
                        sum(out.weights * Variable(f.tensors.at("r2").to(f64)));
        loss.backward();
        CHECK(max_diff(q.grad(), f.tensors.at("grad.query").to(f64)) < 1e-5);
        CHECK(max_diff(k.grad(), f.tensors.at("grad.keys").to(f64)) < 1e-5);
        CHECK(max_diff(v.grad(), f.tensors.at("grad.values").to(f64)) < 1e-5);
        for (const auto& [name, p] : attn->named_parameters())
        {
            INFO(name);
            CHECK(max_diff(p.grad(), f.tensors.at("grad." + name).to(f64)) < 1e-5);
        }
    }
}

TEST_CASE("attention gradchecks in float64 with ragged lengths", "[layers][attention]")
{
    for (const std::string kind : {"additive", "dot", "general", "concat"})
    {
        INFO(kind);
        auto attn = make_attention(kind);
        attn->to(f64);
        const std::size_t dq = attn->query_size();
        Variable q = randn({3, dq}, 41), k = randn({5, 3, 6}, 42), v = randn({5, 3, 2}, 43);
        const std::vector<std::size_t> lengths{5, 2, 4};
        // Two decoder steps against one prepared memory: the key projection's gradient sums
        // over both.
        auto loss = [&](const Variable& qq, const Variable& kk, const Variable& vv) {
            attention_memory m = attn->prepare(kk, vv, lengths);
            attention_output a = attn->forward(qq, m), b = attn->forward(tanh(qq), m);
            return sum(a.context * b.context) + sum(a.weights * a.weights) +
                   sum(b.weights * select(vv, 2, 0));
        };
        check_gradients([&](auto& x) { return loss(x[0], x[1], x[2]); }, {q, k, v});
        if (attn->named_parameters().empty())
            continue; // dot has none
        const gradcheck_report r = gradcheck_module(*attn, [&] {
            return loss(Variable(q.data()), Variable(k.data()), Variable(v.data()));
        });
        INFO(r.table());
        CHECK(r.ok());
    }
}

TEST_CASE("attention gives padded positions weight exactly 0", "[layers][attention]")
{
    AdditiveAttention attn(3, 3, 4);
    attn.to(f64);
    Variable k = randn({4, 2, 3}, 5, false), q = randn({2, 3}, 6, false);
    attention_output out = attn.forward(q, attn.prepare(k, k, {1, 3}));
    REQUIRE(out.weights.shape() == shape_t{4, 2});
    const auto w = out.weights.data().to(f64).to_vector(); // [S, B]
    CHECK(w[0 * 2 + 0] == 1.0);                            // a length-1 source: all weight on s=0
    for (std::size_t s = 1; s < 4; ++s)
        CHECK(w[s * 2 + 0] == 0.0);
    CHECK(w[3 * 2 + 1] == 0.0);
    CHECK(std::abs(w[0 * 2 + 1] + w[1 * 2 + 1] + w[2 * 2 + 1] - 1.0) < 1e-6);
    // Changing a padded key or value changes nothing.
    auto values = k.data().to_vector();
    values[(3 * 2 + 0) * 3 + 1] = 100.0; // (s=3, b=0, d=1)
    Variable k2(Tensor::from_values(values, {4, 2, 3}, f64));
    attention_output again = attn.forward(q, attn.prepare(k2, k2, {1, 3}));
    CHECK(max_diff(again.weights.data(), out.weights.data()) == 0.0);
    CHECK(max_diff(again.context.data(), out.context.data()) == 0.0);
}

TEST_CASE("attention refuses inputs that do not fit", "[layers][attention]")
{
    AdditiveAttention attn(3, 4, 5);
    attn.to(f64);
    Variable k = randn({6, 2, 4}, 7, false), v = randn({6, 2, 2}, 8, false);
    CHECK_THROWS_WITH(attn.prepare(randn({6, 2, 3}, 1, false), v),
                      Catch::Contains("[6,2,3]") && Catch::Contains("expected 4"));
    CHECK_THROWS_WITH(attn.prepare(k, randn({5, 2, 2}, 1, false)), Catch::Contains("[5,2,2]"));
    CHECK_THROWS_AS(attn.prepare(randn({6, 4}, 1, false), v), shape_error);
    CHECK_THROWS_WITH(attn.prepare(k, v, {6}), Catch::Contains("1 lengths for a batch of 2"));
    CHECK_THROWS_AS(attn.prepare(k, v, {7, 1}), value_error);
    CHECK_THROWS_AS(attn.prepare(k, v, {0, 1}), value_error);
    attention_memory m = attn.prepare(k, v, {6, 3});
    CHECK_THROWS_WITH(attn.forward(randn({2, 4}, 1, false), m), Catch::Contains("[2,4]"));
    CHECK_THROWS_WITH(attn.forward(randn({3, 3}, 1, false), m), Catch::Contains("must be [2, 3]"));
    CHECK_THROWS_AS(LuongAttention(luong_score::dot, 3, 4), value_error);
    CHECK_THROWS_AS(AdditiveAttention(0, 4, 5), value_error);
    CHECK_THROWS_WITH(parse_luong_score("cosine"), Catch::Contains("dot, general or concat"));
}

TEST_CASE("the attention decoder of docs/layers.md gradchecks and learns", "[layers][attention]")
{
    // Vocabulary 7, embed 3, keys 4, decoder 5; source S = 4, B = 3 (ragged), T = 3.
    const std::vector<std::size_t> lengths{4, 2, 3};
    const std::vector<std::int64_t> tgt{1, 2, 3, 4, 5, 6, 2, 2, 0};
    SECTION("float64 gradcheck of every parameter")
    {
        attention_decoder dec(7, 3, 4, 5);
        dec.to(f64);
        Variable enc = randn({4, 3, 4}, 311, false);
        cell_state h0{randn({3, 5}, 312, false)};
        auto report =
            gradcheck_module(dec, [&] { return decoder_loss(dec, enc, lengths, h0, tgt, 0); });
        INFO(report.table());
        CHECK(report.ok());
    }
    SECTION("Adam fits a fixed target in float32")
    {
        attention_decoder dec(7, 3, 4, 5);
        Variable enc(randn({4, 3, 4}, 313, false).data().to(f32));
        cell_state h0{Variable(Tensor::zeros({3, 5}, f32))};
        optim::Adam opt(dec.parameters(), {0.05});
        const double first = decoder_loss(dec, enc, lengths, h0, tgt, 0).item();
        double last = first;
        for (int i = 0; i < 60; ++i)
        {
            opt.zero_grad();
            Variable loss = decoder_loss(dec, enc, lengths, h0, tgt, 0);
            loss.backward();
            opt.step();
            last = loss.item();
        }
        CHECK(first > 1.5);
        CHECK(last < 0.2 * first);
    }
}
