// autograd/recompute.hpp: a segment run without recording and again during backward gives the
// gradients of the unsegmented graph bit for bit (captured parameters, inputs used again
// outside the segment, several outputs), keeps one node on the tape, nests, passes a float64
// gradcheck, runs leaf hooks once per pass, and names what it refuses.
#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{

// tanh(x w) * x + x, then the segment's second output x w: a parameter used inside, the input
// used by the segment twice and again outside it.
std::vector<Variable> segment_body(const std::vector<Variable>& in, const Variable& w)
{
    const Variable xw = matmul(in[0], w);
    return {tanh(xw) * in[0] + in[0], xw};
}

Variable segment_loss(const Variable& x, const Variable& w, bool segmented)
{
    const auto body = [w](const std::vector<Variable>& in) {
        return segment_body(in, w);
    };
    const std::vector<Variable> out =
        segmented ? recompute("segment", body, {x}) : body(std::vector<Variable>{x});
    // x used after the segment as well: its gradient has contributions on both sides.
    return sum(out[0] * out[0]) + sum(out[1]) + sum(x * x * x);
}

} // namespace

TEST_CASE("recompute gives the unsegmented gradients bit for bit", "[recompute]")
{
    for (const dtype dt : {f64, f32})
    {
        const std::size_t before = tape::current().size(); // what other tests left
        Variable x = Variable(randn({3, 4}, 1).data().to(dt), true);
        Variable w = Variable(randn({4, 4}, 2).data().to(dt), true);
        segment_loss(x, w, false).backward();
        const Tensor gx = x.grad().clone(), gw = w.grad().clone();
        x.zero_grad();
        w.zero_grad();
        const Variable loss = segment_loss(x, w, true);
        const Variable plain = segment_loss(x.detach(), w.detach(), false);
        CHECK(loss.item() == plain.item());
        loss.backward();
        CHECK(identical(x.grad(), gx));
        CHECK(identical(w.grad(), gw));
        CHECK(tape::current().size() == before); // the segment's recording was released
    }
}

TEST_CASE("recompute keeps one node and passes a gradcheck", "[recompute][gradcheck]")
{
    Variable x = randn({3, 4}, 3), w = randn({4, 4}, 4);
    {
        const std::size_t before = tape::current().size();
        const std::vector<Variable> out = recompute(
            "segment", [w](const std::vector<Variable>& in) { return segment_body(in, w); }, {x});
        CHECK(tape::current().size() == before + 1);
        CHECK(std::string(out[0].op_name()) == "segment");
        tape::current().clear();
    }
    check_gradients(
        [](const std::vector<Variable>& in) { return segment_loss(in[0], in[1], true); }, {x, w});
}

TEST_CASE("recompute: unused outputs, an input returned as is, a value passed twice", "[recompute]")
{
    Variable a = randn({2, 3}, 5), b = randn({2, 3}, 6);
    const auto body = [](const std::vector<Variable>& in) {
        return std::vector<Variable>{in[0] * in[1], in[0], exp(in[1])};
    };
    const auto run = [&](bool segmented, const Variable& x, const Variable& y) {
        const std::vector<Variable> out =
            segmented ? recompute("pass", body, {x, y, x}) : body(std::vector<Variable>{x, y, x});
        return sum(out[0] * out[1]) + sum(out[1]); // out[2] unused
    };
    run(false, a, b).backward();
    const Tensor ga = a.grad().clone(), gb = b.grad().clone();
    a.zero_grad();
    b.zero_grad();
    run(true, a, b).backward();
    CHECK(max_diff(a.grad(), ga) == 0);
    CHECK(max_diff(b.grad(), gb) == 0);
    check_gradients([&](const std::vector<Variable>& in) { return run(true, in[0], in[1]); },
                    {a, b});
}

TEST_CASE("recompute nests, and runs directly without gradients", "[recompute]")
{
    Variable x = randn({5}, 7), w = randn({5}, 8);
    const auto inner = [w](const std::vector<Variable>& in) {
        return std::vector<Variable>{tanh(in[0] * w)};
    };
    const auto outer = [&](const std::vector<Variable>& in) {
        const Variable y = recompute("inner", inner, {in[0] + 1.0})[0];
        return std::vector<Variable>{y * in[0]};
    };
    const auto loss = [&](bool segmented, const Variable& v) {
        return sum(segmented ? recompute("outer", outer, {v})[0] : outer({v})[0]);
    };
    loss(false, x).backward();
    const Tensor gx = x.grad().clone(), gw = w.grad().clone();
    x.zero_grad();
    w.zero_grad();
    loss(true, x).backward();
    CHECK(identical(x.grad(), gx));
    CHECK(identical(w.grad(), gw));
    check_gradients([&](const std::vector<Variable>& in) { return loss(true, in[0]); }, {x, w});

    // No input requires grad: fn records as usual and the captured parameter still learns.
    w.zero_grad();
    const Variable c = x.detach();
    sum(recompute("inner", inner, {c})[0]).backward();
    REQUIRE(w.has_grad());
    const Variable t = tanh(c * w.detach());
    CHECK(max_diff(w.grad(), (c * (1.0 - t * t)).data()) < 1e-15);
    {
        no_grad off;
        const std::size_t before = tape::current().size();
        recompute("inner", inner, {x});
        CHECK(tape::current().size() == before);
    }
}

TEST_CASE("recompute: a leaf's hooks run once per pass with the whole gradient",
          "[recompute][hooks]")
{
    Variable x = randn({4}, 9), w = randn({4}, 10);
    int calls = 0;
    Tensor seen;
    register_hook(w, [&](const Tensor& g) -> std::optional<Tensor> {
        ++calls;
        seen = g.clone();
        return std::nullopt;
    });
    const auto body = [w](const std::vector<Variable>& in) {
        return std::vector<Variable>{in[0] * w};
    };
    Variable h = x;
    for (int s = 0; s < 3; ++s) // three segments and one use outside them
        h = recompute("segment", body, {h})[0];
    sum(h * w).backward();
    CHECK(calls == 1);
    // d/dw sum(x w^3 * w) = 4 x w^3
    const Tensor expect = (4.0 * x * w * w * w).detach().data();
    CHECK(max_diff(seen, expect) < 1e-12);
    CHECK(max_diff(w.grad(), expect) < 1e-12);
}

TEST_CASE("recompute names what it refuses", "[recompute][errors]")
{
    Variable x = randn({2, 2}, 11);
    const auto message = [](const auto& f) {
        try
        {
            f();
        }
        catch (const error& e)
        {
            return std::string(e.what());
        }
        return std::string("no exception");
    };
    CHECK_THROWS_AS(recompute("seg", recompute_fn(), {x}), value_error);
    CHECK_THROWS_AS(recompute("seg", [](const auto&) { return std::vector<Variable>{}; }, {x}),
                    value_error);
    CHECK_THROWS_AS(recompute("seg", [](const auto& in) { return std::vector<Variable>{in[0]}; },
                              {x, Variable()}),
                    value_error);
    CHECK_THAT(message([&] {
                   recompute("seg",
                             [](const auto&) {
                                 return std::vector<Variable>{Variable(Tensor::zeros({2}, i64))};
                             },
                             {x});
               }),
               Catch::Contains("seg: output 0 is int64"));
    // A function that is not deterministic is caught when it runs again.
    int calls = 0;
    const auto flaky = [&](const std::vector<Variable>& in) {
        return std::vector<Variable>{++calls == 1 ? in[0] * 2.0 : sum(in[0])};
    };
    Variable y = recompute("flaky", flaky, {x})[0];
    CHECK_THAT(message([&] { sum(y).backward(); }),
               Catch::Contains("flaky backward: the recomputed function returned [[]], but [[2,"
                               "2]] in the forward pass"));
    // A value computed outside the segment and captured cannot take gradients.
    const Variable outside = x * 3.0;
    Variable z = recompute(
        "captures", [outside](const auto& in) { return std::vector<Variable>{in[0] * outside}; },
        {x})[0];
    CHECK_THAT(message([&] { sum(z).backward(); }),
               Catch::Contains("was computed outside the recompute() segment being recomputed"));
    x.zero_grad();
    // After a failed backward nothing is left half-done for the next one.
    sum(recompute("ok", [](const auto& in) { return std::vector<Variable>{in[0] * in[0]}; },
                  {x})[0])
        .backward();
    CHECK(max_diff(x.grad(), (2.0 * x.detach()).data()) == 0);
}
