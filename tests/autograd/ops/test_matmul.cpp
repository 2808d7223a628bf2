// autograd/ops/matmul.hpp: values against direct computations, float64 gradchecks.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("matmul and linear", "[ops][matmul]")
{
    auto a = randn({3, 4}, 21), b = randn({4, 5}, 22), v = randn({4}, 23), u = randn({3}, 24);
    SECTION("values")
    {
        Variable y = matmul(a, b);
        REQUIRE(y.shape() == shape_t{3, 5});
        double expect = 0;
        for (std::size_t k = 0; k < 4; ++k)
            expect += a.data().flat(1 * 4 + k) * b.data().flat(k * 5 + 2);
        CHECK(y.data().flat(1 * 5 + 2) == Approx(expect));
        CHECK(matmul(v, v).shape() == shape_t{});
        CHECK(matmul(v, v).item() == Approx(sum(v * v).item()));
    }
    SECTION("gradients of every 1-D/2-D form")
    {
        check_gradients([](auto& x) { return matmul(x[0], x[1]); }, {a, b});
        check_gradients([](auto& x) { return matmul(x[0], x[1]); }, {a, v});
        check_gradients([](auto& x) { return matmul(x[0], x[1]); }, {u, a});
        check_gradients([](auto& x) { return matmul(x[0], x[1]); }, {v, randn({4}, 25)});
        // The same value on both sides: both contributions must add up.
        auto sq = randn({4, 4}, 26);
        check_gradients([](auto& x) { return matmul(x[0], x[0]); }, {sq});
    }
    SECTION("linear equals x w^T + b, over any leading dimensions")
    {
        auto x = randn({2, 3, 4}, 27), w = randn({5, 4}, 28), bias = randn({5}, 29);
        Variable y = linear(x, w, bias);
        REQUIRE(y.shape() == shape_t{2, 3, 5});
        Variable ref = matmul(reshape(x, {6, 4}), transpose(w)) + bias;
        CHECK(max_diff(y.data().reshape({6, 5}), ref.data()) < 1e-12);
        check_gradients([](auto& v) { return linear(v[0], v[1], v[2]); }, {x, w, bias});
        check_gradients([](auto& v) { return linear(v[0], v[1]); }, {x, w});
    }
    SECTION("linear_pretransposed equals linear and passes a gradcheck; w_t gets no gradient")
    {
        auto x = randn({2, 3, 4}, 27), w = randn({5, 4}, 28), bias = randn({5}, 29);
        const Tensor w_t = transpose(w).data();
        Variable y = linear_pretransposed(x, w, w_t, bias);
        REQUIRE(y.shape() == shape_t{2, 3, 5});
        CHECK(max_diff(y.data(), linear(x, w, bias).data()) < 1e-12);
        // w_t is a constant the caller keeps equal to w^T: the check perturbs w alone, so the
        // op is checked as the function of (x, w, bias) that linear is, through w_t held fixed
        // at w's transpose for each evaluation.
        check_gradients(
            [](auto& v) { return linear_pretransposed(v[0], v[1], transpose(v[1]).data(), v[2]); },
            {x, w, bias});
        check_gradients(
            [](auto& v) { return linear_pretransposed(v[0], v[1], transpose(v[1]).data()); },
            {x, w});
        CHECK_THROWS_WITH(linear_pretransposed(x, w, w.data(), bias),
                          Catch::Contains("linear_pretransposed") && Catch::Contains("[5,4]") &&
                              Catch::Contains("[4, 5]"));
        CHECK_THROWS_AS(linear_pretransposed(x, w, w_t.to(f32)), value_error);
    }
    SECTION("errors")
    {
        CHECK_THROWS_WITH(matmul(randn({3, 4}, 1), randn({5, 2}, 2)),
                          "matmul: [3,4] x [5,2]: inner dimensions differ");
        CHECK_THROWS_AS(matmul(randn({2, 3, 4}, 1), randn({3, 4, 5}, 2)), shape_error);
        CHECK_THROWS_AS(matmul(Variable(Tensor::scalar(1.0, f64)), b), shape_error);
        CHECK_THROWS_WITH(linear(a, randn({5, 3}, 3)), Catch::Contains("linear") &&
                                                           Catch::Contains("[3,4]") &&
                                                           Catch::Contains("[5,3]"));
        CHECK_THROWS_AS(linear(a, randn({5, 4}, 3), randn({4}, 4)), shape_error);
    }
}

namespace
{
// Reference: out[e] = a[e] x b[e] for every batch entry, one 2-D matmul at a time, after
// materialising the broadcast with expand().
Variable batched_reference(const Variable& a, const Variable& b, const shape_t& batch)
{
    shape_t as = batch, bs = batch;
    as.push_back(a.shape()[a.dim() - 2]);
    as.push_back(a.shape().back());
    bs.push_back(b.shape()[b.dim() - 2]);
    bs.push_back(b.shape().back());
    Variable ae = reshape(expand(a, as), {numel(batch), as[as.size() - 2], as.back()});
    Variable be = reshape(expand(b, bs), {numel(batch), bs[bs.size() - 2], bs.back()});
    std::vector<Variable> outs;
    for (std::size_t e = 0; e < numel(batch); ++e)
        outs.push_back(matmul(select(ae, 0, e), select(be, 0, e)));
    return stack(outs, 0);
}
} // namespace

TEST_CASE("batched matmul broadcasts leading dimensions; bmm", "[ops][matmul]")
{
    SECTION("values equal one 2-D product per batch entry")
    {
        auto a = randn({2, 1, 3, 4}, 201), b = randn({5, 4, 2}, 202);
        Variable y = matmul(a, b);
        REQUIRE(y.shape() == shape_t{2, 5, 3, 2});
        Variable ref = batched_reference(a, b, {2, 5});
        CHECK(max_diff(y.data().reshape({10, 3, 2}), ref.data()) < 1e-12);
        auto p = randn({3, 2, 4}, 203), q = randn({3, 4, 5}, 204);
        Variable z = bmm(p, q);
        REQUIRE(z.shape() == shape_t{3, 2, 5});
        CHECK(max_diff(z.data(), batched_reference(p, q, {3}).data()) < 1e-12);
    }
    SECTION("gradients, including operands shared across the batch")
    {
        auto mm = [](auto& x) {
            return matmul(x[0], x[1]);
        };
        check_gradients(mm, {randn({2, 3, 4}, 205), randn({4, 5}, 206)}); // folded into one GEMM
        check_gradients(mm, {randn({3, 4}, 207), randn({2, 4, 5}, 208)}); // a shared
        check_gradients(mm, {randn({2, 1, 3, 4}, 209), randn({3, 4, 2}, 210)}); // both broadcast
        check_gradients(mm, {randn({4}, 211), randn({2, 4, 3}, 212)});          // 1-D left
        check_gradients(mm, {randn({2, 3, 4}, 213), randn({4}, 214)});          // 1-D right
        check_gradients([](auto& x) { return bmm(x[0], x[1]); },
                        {randn({3, 2, 4}, 215), randn({3, 4, 5}, 216)});
        auto sq = randn({2, 3, 3}, 217);
        check_gradients([](auto& x) { return bmm(x[0], x[0]); }, {sq});
        // Attention scores and context: [B,1,H] x [B,H,S], then [B,1,S] x [B,S,H].
        auto q = randn({4, 1, 3}, 218), enc = randn({4, 5, 3}, 219);
        check_gradients(
            [](auto& x) {
                Variable scores = bmm(x[0], transpose(x[1], 1, 2));
                return bmm(softmax(scores, -1), x[1]);
            },
            {q, enc});
    }
    SECTION("transpose flags equal transposed copies, without the copy")
    {
        // op(a) is [2,3,4] and op(b) [2,4,5] whichever way each is stored.
        for (bool ta : {false, true})
            for (bool tb : {false, true})
            {
                auto a = randn(ta ? shape_t{2, 4, 3} : shape_t{2, 3, 4}, 224);
                auto b = randn(tb ? shape_t{2, 5, 4} : shape_t{2, 4, 5}, 225);
                auto w = randn(tb ? shape_t{5, 4} : shape_t{4, 5}, 226); // shared by the batch
                Variable want = bmm(ta ? transpose(a, 1, 2) : a, tb ? transpose(b, 1, 2) : b);
                CHECK(max_diff(bmm(a, b, ta, tb).data(), want.data()) < 1e-12);
                check_gradients([ta, tb](auto& v) { return bmm(v[0], v[1], ta, tb); }, {a, b});
                check_gradients([ta, tb](auto& v) { return matmul(v[0], v[1], ta, tb); }, {a, w});
            }
        CHECK_THROWS_AS(matmul(randn({4}, 1), randn({4, 2}, 2), true, false), shape_error);
    }
    SECTION("empty dimensions")
    {
        // in = 0: y is the bias alone, and the backward still runs.
        Variable x0 = randn({2, 0}, 227), w0 = randn({3, 0}, 228), b0 = randn({3}, 229);
        Variable y0 = linear(x0, w0, b0);
        REQUIRE(y0.shape() == shape_t{2, 3});
        for (std::size_t i = 0; i < 6; ++i)
            CHECK(y0.data().flat(i) == b0.data().flat(i % 3));
        sum(y0).backward();
        CHECK(b0.grad().flat(0) == 2.0);
        // No rows: the bias gradient is zero.
        Variable xr = randn({0, 4}, 230), wr = randn({3, 4}, 231), br = randn({3}, 232);
        sum(linear(xr, wr, br)).backward();
        CHECK(br.grad().to_vector() == std::vector<double>(3, 0.0));
        Variable y = matmul(randn({2, 3, 0}, 220), randn({0, 4}, 221));
        REQUIRE(y.shape() == shape_t{2, 3, 4});
        CHECK(max_diff(y.data(), Tensor::zeros({2, 3, 4}, f64)) == 0.0);
        CHECK(matmul(randn({0, 3, 4}, 222), randn({1, 4, 2}, 223)).shape() == shape_t{0, 3, 2});
    }
    SECTION("errors")
    {
        CHECK_THROWS_WITH(matmul(randn({2, 3, 4}, 1), randn({3, 4, 5}, 2)),
                          "matmul: [2,3,4] x [3,4,5]: batch dimensions cannot be broadcast");
        CHECK_THROWS_WITH(bmm(randn({2, 3, 4}, 1), randn({3, 4, 5}, 2)),
                          "bmm: [2,3,4] x [3,4,5]: batch sizes differ");
        CHECK_THROWS_WITH(bmm(randn({2, 3, 4}, 1), randn({2, 5, 5}, 2)),
                          "bmm: [2,3,4] x [2,5,5]: inner dimensions differ");
        CHECK_THROWS_AS(bmm(randn({3, 4}, 1), randn({4, 5}, 2)), shape_error);
    }
}
