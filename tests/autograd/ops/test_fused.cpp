// autograd/ops/fused.hpp: fused pointwise ops from generic lambdas, their values against the same
// formulas written with separate ops, float64 gradchecks (derivatives from dual numbers), row
// inputs, the SIMD and scalar paths, tails, and errors.
#include <cmath>
#include <limits>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{

// A peephole LSTM update from gate pre-activations and per-unit peephole weights.
auto peephole = [](auto zi, auto zf, auto zg, auto zo, auto c, auto pi, auto pf, auto po) {
    using namespace xgrad::fn;
    auto i = sigmoid(zi + pi * c); // one declaration each: i and f have different types
    auto f = sigmoid(zf + pf * c);
    auto c2 = f * c + i * tanh(zg);
    auto o = sigmoid(zo + po * c2);
    return std::tuple{o * tanh(c2), c2};
};

} // namespace

TEST_CASE("fused: one output, values and float64 gradients", "[ops][fused]")
{
    auto x = randn({3, 7}, 1), y = randn({3, 7}, 2);
    auto f = [](auto a, auto b) {
        using namespace xgrad::fn;
        return a * sigmoid(b) + tanh(a) / (1.0 + b * b) - 0.5 * exp(-square(a)) +
               log(1.5 + sigmoid(a)) * sqrt(2.0 + tanh(b)) + relu(a - b);
    };
    const Variable y1 = fused("f", f, x, y)[0];
    const Variable ref = x * sigmoid(y) + tanh(x) / (1.0 + y * y) - 0.5 * exp(-(x * x)) +
                         log(1.5 + sigmoid(x)) * sqrt(2.0 + tanh(y)) + relu(x - y);
    CHECK(max_diff(y1.data(), ref.data()) < 1e-14);
    check_gradients([&](auto& v) { return fused("f", f, v[0], v[1])[0]; }, {x, y});
    tape::current().clear();
    const Variable again = fused("f", f, x, y)[0];
    CHECK(tape::current().size() == 1); // one node
}

TEST_CASE("fused: several outputs and row inputs (a peephole LSTM)", "[ops][fused]")
{
    const std::size_t B = 3, H = 8; // H a multiple of the SIMD width: the vector path
    std::vector<Variable> in;
    for (std::uint64_t s = 0; s < 5; ++s)
        in.push_back(randn({B, H}, 10 + s));
    for (std::uint64_t s = 0; s < 3; ++s)
        in.push_back(randn({H}, 20 + s));
    const auto out =
        fused<2>("peephole", peephole, in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]);
    REQUIRE(out.size() == 2);
    Variable i = sigmoid(in[0] + in[5] * in[4]), f = sigmoid(in[1] + in[6] * in[4]);
    Variable c2 = f * in[4] + i * tanh(in[2]);
    Variable h2 = sigmoid(in[3] + in[7] * c2) * tanh(c2);
    CHECK(max_diff(out[0].data(), h2.data()) < 1e-14);
    CHECK(max_diff(out[1].data(), c2.data()) < 1e-14);
    const auto both = [](auto& v) {
        return concat(
            fused<2>("peephole", peephole, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]), 1);
    };
    check_gradients(both, in);
    // Only one output used: the other receives no gradient.
    check_gradients(
        [](auto& v) {
            return fused<2>("peephole", peephole, v[0], v[1], v[2], v[3], v[4], v[5], v[6],
                            v[7])[1];
        },
        in);
    SECTION("the gates as blocks of one [B, 4H] tensor, read in place")
    {
        auto z = randn({B, 4 * H}, 50);
        const auto via_blocks =
            fused<2>("peephole", peephole, blocks<4>(z), in[4], in[5], in[6], in[7]);
        const auto parts = chunk(z, 4, 1);
        const auto via_chunks = fused<2>("peephole", peephole, parts[0], parts[1], parts[2],
                                         parts[3], in[4], in[5], in[6], in[7]);
        CHECK(max_diff(via_blocks[0].data(), via_chunks[0].data()) == 0.0);
        CHECK(max_diff(via_blocks[1].data(), via_chunks[1].data()) == 0.0);
        check_gradients(
            [](auto& v) {
                return concat(
                    fused<2>("peephole", peephole, blocks<4>(v[0]), v[1], v[2], v[3], v[4]), 1);
            },
            {z, in[4], in[5], in[6], in[7]});
        CHECK_THROWS_WITH(fused<2>("peephole", peephole, blocks<4>(randn({B, 4 * H + 1}, 51)),
                                   in[4], in[5], in[6], in[7]),
                          Catch::Contains("peephole") && Catch::Contains("4 blocks"));
    }
    SECTION("rows whose width is not a multiple of the SIMD width take the scalar path")
    {
        std::vector<Variable> odd;
        for (std::uint64_t s = 0; s < 5; ++s)
            odd.push_back(randn({2, 5}, 30 + s));
        for (std::uint64_t s = 0; s < 3; ++s)
            odd.push_back(randn({5}, 40 + s));
        check_gradients(both, odd);
    }
}

TEST_CASE("fused: float32 lanes, tails, non-finite inputs", "[ops][fused]")
{
    auto f = [](auto a, auto b) {
        using namespace xgrad::fn;
        return tanh(a) * sigmoid(b) + a;
    };
    // 37 elements: full SIMD chunks and a padded tail.
    auto x = randn({37}, 3), y = randn({37}, 4);
    Variable x32(x.data().to(f32), true), y32(y.data().to(f32), true);
    const Variable r64 = fused("f", f, x, y)[0], r32 = fused("f", f, x32, y32)[0];
    CHECK(r32.dtype() == f32);
    CHECK(max_diff(r32.data().to(f64), r64.data()) < 1e-6);
    sum(r32).backward();
    sum(r64).backward();
    CHECK(max_diff(x32.grad().to(f64), x.grad()) < 1e-6);
    CHECK(max_diff(y32.grad().to(f64), y.grad()) < 1e-6);
    // An infinity anywhere: the scalar path, IEEE results (sigmoid(inf) = 1, tanh(-inf) = -1).
    Variable a(Tensor::from_values({std::numeric_limits<double>::infinity(), 0.5, -1.0}, {3}, f64));
    Variable b(Tensor::from_values({0.0, std::numeric_limits<double>::infinity(), 2.0}, {3}, f64));
    const Variable r = fused("f", f, b, a)[0]; // tanh(b) sigmoid(a) + b
    CHECK(r.data().flat(0) == Approx(0.0));
    CHECK(std::isinf(r.data().flat(1)));
    CHECK(r.data().flat(2) == Approx(std::tanh(2.0) / (1 + std::exp(1.0)) + 2.0));
}

TEST_CASE("fused: bad inputs are named", "[ops][fused]")
{
    auto f = [](auto a, auto b) {
        return a * b;
    };
    auto x = randn({3, 4}, 5);
    CHECK_THROWS_WITH(fused("mul", f, x, randn({3}, 6)),
                      Catch::Contains("mul") && Catch::Contains("input 1 [3]") &&
                          Catch::Contains("[3,4]") && Catch::Contains("row [4]"));
    auto f3 = [](auto a, auto b, auto c) {
        return a * b + c;
    };
    CHECK_THROWS_WITH(fused("mul", f3, blocks<2>(x), randn({3, 3}, 7)),
                      Catch::Contains("input 1 [3,3]") && Catch::Contains("[3,2]"));
    CHECK_THROWS_WITH(fused("mul", f, x, Variable(Tensor::zeros({3, 4}, f32))),
                      Catch::Contains("mul") && Catch::Contains("float32"));
    CHECK_THROWS_AS(
        fused("mul", f, Variable(Tensor::zeros({2}, i64)), Variable(Tensor::zeros({2}, i64))),
        value_error);
}
