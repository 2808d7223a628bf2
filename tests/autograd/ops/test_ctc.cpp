// autograd/ops/ctc.hpp: the loss against a brute-force sum over every alignment, float64
// gradchecks of both paths, PyTorch 1.13's values and gradients (fixtures/ctc.safetensors, see
// make_ctc_fixtures.py), posteriors, the edge cases and the errors.
#include <cmath>
#include <functional>
#include <map>

#include "tests/support.hpp"
#include "xgrad/autograd/io/safetensors.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{

using label_list = std::vector<std::int64_t>;

// Collapse an alignment: merge repeats, drop blanks.
label_list collapse(const label_list& path, std::int64_t blank)
{
    label_list out;
    std::int64_t previous = -1;
    for (const std::int64_t k : path)
    {
        if (k != blank && k != previous)
            out.push_back(k);
        previous = k;
    }
    return out;
}

// -log of the summed probability of every alignment of sample b's first Tb frames that
// collapses to target: all C^Tb of them, enumerated.
double brute_force_nll(const Tensor& lp, std::size_t b, std::size_t Tb, const label_list& target,
                       std::int64_t blank = 0)
{
    const std::size_t B = lp.shape()[1], C = lp.shape()[2];
    label_list path(Tb, 0);
    double total = 0;
    while (true)
    {
        if (collapse(path, blank) == target)
        {
            double logp = 0;
            for (std::size_t t = 0; t < Tb; ++t)
                logp += lp.flat((t * B + b) * C + static_cast<std::size_t>(path[t]));
            total += std::exp(logp);
        }
        std::size_t t = 0; // next path, as a base-C counter
        while (t < Tb && ++path[t] == static_cast<std::int64_t>(C))
            path[t++] = 0;
        if (t == Tb)
            break;
    }
    return -std::log(total);
}

Variable log_probs_of(const shape_t& shape, std::uint64_t seed)
{
    return Variable(log_softmax(randn(shape, seed, false)).data(), true);
}

const std::map<std::string, Tensor>& ctc_fixture()
{
    static const auto file = io::load_tensors(XGRAD_AUTOGRAD_FIXTURES "/ctc.safetensors");
    return file.tensors;
}

Tensor ctc_entry(const std::string& name)
{
    const auto& all = ctc_fixture();
    const auto it = all.find(name);
    if (it == all.end())
        FAIL("fixture entry missing: " << name);
    return it->second;
}

// |a - b| <= 1e-9 (1 + |b|) everywhere; equal infinities and both-NaN count as equal.
void check_ctc_close(const std::string& what, const Tensor& a, const Tensor& b)
{
    INFO(what << ": xgrad " << to_string(a.shape()) << " vs PyTorch " << to_string(b.shape()));
    REQUIRE(a.numel() == b.numel());
    double worst = 0;
    for (std::size_t i = 0; i < a.numel(); ++i)
    {
        const double x = a.flat(i), y = b.flat(i);
        if ((std::isinf(y) && x == y) || (std::isnan(x) && std::isnan(y)))
            continue;
        worst = std::max(worst, std::isnan(x - y) ? 1.0 : std::abs(x - y) / (1 + std::abs(y)));
    }
    INFO("worst scaled difference " << worst);
    CHECK(worst <= 1e-9);
}

} // namespace

TEST_CASE("ctc_loss equals a brute-force sum over every alignment", "[ops][ctc]")
{
    // T = 5, C = 3: 243 alignments per sample; sample 3 uses only its first 4 frames.
    Variable lp = log_probs_of({5, 5, 3}, 301);
    const std::vector<label_list> targets{{1}, {1, 2}, {1, 1}, {2, 1, 2}, {}};
    const label_list lengths{5, 5, 5, 4, 5};
    ctc_options none;
    none.reduce = reduction::none;
    const Variable loss = ctc_loss(lp, targets, lengths, none);
    REQUIRE(loss.shape() == shape_t{5});
    for (std::size_t b = 0; b < 5; ++b)
    {
        INFO("sample " << b);
        CHECK(
            loss.data().flat(b) ==
            Approx(brute_force_nll(lp.data(), b, static_cast<std::size_t>(lengths[b]), targets[b]))
                .epsilon(1e-12));
    }
    SECTION("another blank")
    {
        ctc_options o = none;
        o.blank = 2;
        const std::vector<label_list> t2{{0}, {1, 0}, {1, 1}, {0, 1, 0}, {}};
        const Variable l2 = ctc_loss(lp, t2, lengths, o);
        for (std::size_t b = 0; b < 5; ++b)
            CHECK(l2.data().flat(b) ==
                  Approx(
                      brute_force_nll(lp.data(), b, static_cast<std::size_t>(lengths[b]), t2[b], 2))
                      .epsilon(1e-12));
    }
}

TEST_CASE("ctc_loss and ctc_loss_from_logits pass float64 gradchecks", "[ops][ctc][gradcheck]")
{
    const std::vector<label_list> targets{{1, 2, 2}, {3}, {}, {2, 3, 1, 1}};
    const label_list lengths{7, 5, 3, 7};
    // Any values, not only log-probabilities: the gradient is the true one with respect to the
    // input (PyTorch's kernel fails this check).
    auto x = randn({7, 4, 4}, 302);
    for (const reduction r : {reduction::mean, reduction::sum, reduction::none})
    {
        ctc_options o;
        o.reduce = r;
        check_gradients([&](auto& v) { return ctc_loss(v[0], targets, lengths, o); }, {x});
        check_gradients([&](auto& v) { return ctc_loss_from_logits(v[0], targets, lengths, o); },
                        {x});
    }
    SECTION("zero_infinity: infeasible samples add nothing, feasible ones keep their gradient")
    {
        ctc_options o;
        o.zero_infinity = true;
        const std::vector<label_list> t2{{1, 1, 1, 1}, {2, 3}}; // 4 repeats need 7 frames
        check_gradients(
            [&](auto& v) {
                return ctc_loss(v[0], t2, {5, 5}, o);
            },
            {randn({5, 2, 4}, 303)});
    }
}

TEST_CASE("ctc_loss_from_logits equals ctc_loss of a log_softmax", "[ops][ctc]")
{
    const std::vector<label_list> targets{{1, 2}, {2, 2, 1}};
    auto x = randn({6, 2, 3}, 304);
    auto y = Variable(x.data().clone(), true);
    Variable fused = ctc_loss_from_logits(x, targets, {6, 6});
    Variable composed = ctc_loss(log_softmax(y), targets, {6, 6});
    CHECK(fused.item() == Approx(composed.item()).epsilon(1e-13));
    fused.backward();
    composed.backward();
    CHECK(max_diff(x.grad(), y.grad()) < 1e-13);
    // One op on the tape.
    tape::current().clear();
    Variable again = ctc_loss_from_logits(x, targets, {6, 6});
    CHECK(tape::current().size() == 1);
}

TEST_CASE("ctc posteriors sum to 1 over the classes of every frame", "[ops][ctc]")
{
    // With reduction sum, d loss / d lp_t(k) = -gamma_t(k), the posterior of emitting k.
    Variable lp = log_probs_of({9, 3, 5}, 305);
    const label_list lengths{9, 6, 9};
    ctc_options sum;
    sum.reduce = reduction::sum;
    ctc_loss(lp, std::vector<label_list>{{1, 2, 3}, {4, 4}, {}}, lengths, sum).backward();
    for (std::size_t b = 0; b < 3; ++b)
        for (std::size_t t = 0; t < 9; ++t)
        {
            double total = 0, smallest = 0;
            for (std::size_t k = 0; k < 5; ++k)
            {
                total -= lp.grad().flat((t * 3 + b) * 5 + k);
                smallest = std::min(smallest, -lp.grad().flat((t * 3 + b) * 5 + k));
            }
            INFO("sample " << b << " frame " << t);
            CHECK(smallest >= 0.0);
            CHECK(total ==
                  Approx(t < static_cast<std::size_t>(lengths[b]) ? 1.0 : 0.0).margin(1e-12));
        }
    // The empty target's only alignment is all blanks: its posterior is 1 on the blank.
    CHECK(-lp.grad().flat((4 * 3 + 2) * 5 + 0) == Approx(1.0));
}

TEST_CASE("ctc: repeated label_list need a blank between them", "[ops][ctc]")
{
    Variable lp = log_probs_of({3, 1, 3}, 306);
    ctc_options none;
    none.reduce = reduction::none;
    const auto at = [&](std::size_t t, std::size_t k) {
        return lp.data().flat(t * 3 + k);
    };
    // [1, 1] in 3 frames has exactly one alignment: 1, blank, 1.
    CHECK(ctc_loss(lp, std::vector<label_list>{{1, 1}}, {3}, none).item() ==
          Approx(-(at(0, 1) + at(1, 0) + at(2, 1))));
    // In 2 frames it has none: +inf, and 0 with zero_infinity.
    Variable lp2(lp.data().clone(), true);
    const Variable inf = ctc_loss(lp2, std::vector<label_list>{{1, 1}}, {2}, none);
    CHECK(std::isinf(inf.item()));
    CHECK(inf.item() > 0);
    inf.backward();
    CHECK(std::isnan(lp2.grad().flat(0)));
    CHECK(lp2.grad().flat(2 * 3) == 0.0); // past the input length: 0 even so
    ctc_options zi = none;
    zi.zero_infinity = true;
    Variable lp3(lp.data().clone(), true);
    const Variable zero = ctc_loss(lp3, std::vector<label_list>{{1, 1}}, {2}, zi);
    CHECK(zero.item() == 0.0);
    zero.backward();
    for (std::size_t i = 0; i < lp3.grad().numel(); ++i)
        CHECK(lp3.grad().flat(i) == 0.0);
    // [1, 2] in 2 frames: one alignment, no blank needed.
    CHECK(ctc_loss(lp, std::vector<label_list>{{1, 2}}, {2}, none).item() ==
          Approx(-(at(0, 1) + at(1, 2))));
    // No frames: an empty target has probability 1, any other 0.
    CHECK(ctc_loss(lp, std::vector<label_list>{{}}, {0}, none).item() == 0.0);
    CHECK(std::isinf(ctc_loss(lp, std::vector<label_list>{{2}}, {0}, none).item()));
}

TEST_CASE("ctc_loss equals PyTorch's F.ctc_loss on committed fixtures", "[ops][ctc][pytorch]")
{
    for (const std::string name : {"mixed", "blank_last", "infeasible", "long"})
    {
        const std::string p = name + ".";
        const Tensor logits = ctc_entry(p + "logits");
        const Tensor targets = ctc_entry(p + "targets");
        const label_list in = ctc_entry(p + "input_lengths").to_indices();
        const label_list tl = ctc_entry(p + "target_lengths").to_indices();
        for (const bool zi : {false, true})
        {
            const std::string s = zi ? "_zi" : "";
            ctc_options o;
            o.blank = ctc_entry(p + "blank").to_indices()[0];
            o.zero_infinity = zi;
            const Variable lp(log_softmax(Variable(logits)).data());
            o.reduce = reduction::none;
            check_ctc_close(p + "loss_none" + s, ctc_loss(lp, targets, in, tl, o).data(),
                            ctc_entry(p + "loss_none" + s));
            o.reduce = reduction::sum;
            check_ctc_close(p + "loss_sum" + s, ctc_loss(lp, targets, in, tl, o).data(),
                            ctc_entry(p + "loss_sum" + s));
            o.reduce = reduction::mean;
            // The fused path's gradient is the logits gradient PyTorch computes through its
            // log_softmax; so is the composed one.
            Variable x(logits.clone(), true), y(logits.clone(), true);
            Variable fused = ctc_loss_from_logits(x, targets, in, tl, o);
            check_ctc_close(p + "loss_mean" + s, fused.data(), ctc_entry(p + "loss_mean" + s));
            fused.backward();
            check_ctc_close(p + "grad_mean" + s + " (fused)", x.grad(),
                            ctc_entry(p + "grad_mean" + s));
            ctc_loss(log_softmax(y), targets, in, tl, o).backward();
            check_ctc_close(p + "grad_mean" + s + " (composed)", y.grad(),
                            ctc_entry(p + "grad_mean" + s));
        }
    }
}

TEST_CASE("ctc_loss takes padded, concatenated and int32 targets and float32 scores", "[ops][ctc]")
{
    Variable lp = log_probs_of({6, 2, 4}, 307);
    const label_list in{6, 5}, tl{3, 2};
    const double ref = ctc_loss(lp, std::vector<label_list>{{1, 2, 2}, {3, 1}}, in).item();
    const Tensor padded = Tensor::from_indices({1, 2, 2, 3, 1, 0}, {2, 3});
    CHECK(ctc_loss(lp, padded, in, tl).item() == Approx(ref).epsilon(1e-14));
    CHECK(ctc_loss(lp, Tensor::from_indices({1, 2, 2, 3, 1}), in, tl).item() ==
          Approx(ref).epsilon(1e-14));
    Tensor narrow = Tensor::empty({5}, i32);
    for (std::size_t i = 0; i < 5; ++i)
        narrow.data<std::int32_t>()[i] = std::int32_t(label_list{1, 2, 2, 3, 1}[i]);
    CHECK(ctc_loss(lp, narrow, in, tl).item() == Approx(ref).epsilon(1e-14));
    const Variable lp32(lp.data().to(f32), true);
    const Variable l32 = ctc_loss(lp32, padded, in, tl);
    CHECK(l32.dtype() == f32);
    CHECK(l32.item() == Approx(ref).epsilon(1e-6));
    l32.backward();
    CHECK(lp32.grad().dtype() == f32);
}

TEST_CASE("ctc_loss rejects bad input naming the op, the shapes and the values", "[ops][ctc]")
{
    Variable lp = log_probs_of({6, 2, 4}, 308);
    const std::vector<label_list> t{{1}, {2}};
    CHECK_THROWS_WITH(ctc_loss(Variable(Tensor::zeros({6, 4})), t, {6, 6}),
                      Catch::Contains("ctc_loss") && Catch::Contains("[6,4]"));
    CHECK_THROWS_WITH(ctc_loss(lp, t, {6}),
                      Catch::Contains("[6,2,4]") && Catch::Contains("1 input lengths"));
    CHECK_THROWS_WITH(ctc_loss(lp, t, {6, 7}), Catch::Contains("input length 7 of sample 1"));
    CHECK_THROWS_WITH(ctc_loss(lp, std::vector<label_list>{{1}, {0}}, {6, 6}),
                      Catch::Contains("sample 1") && Catch::Contains("blank"));
    CHECK_THROWS_WITH(ctc_loss(lp, std::vector<label_list>{{4}, {1}}, {6, 6}),
                      Catch::Contains("target 4") && Catch::Contains("[0, 4)"));
    ctc_options o;
    o.blank = 4;
    CHECK_THROWS_WITH(ctc_loss(lp, t, {6, 6}, o), Catch::Contains("blank 4"));
    CHECK_THROWS_WITH(ctc_loss(lp, Tensor::from_indices({1, 2, 3}), {6, 6}, {1, 1}),
                      Catch::Contains("sum to 2"));
    CHECK_THROWS_WITH(ctc_loss(lp, Tensor::from_indices({1, 2}, {2, 1}), {6, 6}, {2, 1}),
                      Catch::Contains("[2,1]") && Catch::Contains("longest"));
    CHECK_THROWS_WITH(ctc_loss(lp, Tensor::zeros({2}), {6, 6}, {1, 1}),
                      Catch::Contains("int64 or int32"));
    CHECK_THROWS_WITH(ctc_loss(lp, Tensor::from_indices({1, 2}), {6, 6}, {-1, 3}),
                      Catch::Contains("target length -1"));
    CHECK_THROWS_WITH(ctc_loss_from_logits(lp, t, {6, -2}),
                      Catch::Contains("ctc_loss_from_logits") && Catch::Contains("-2"));
}
