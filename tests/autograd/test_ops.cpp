// Every op is gradient-checked in float64 on random inputs of non-trivial shapes, and its values
// are compared with a direct computation.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("arithmetic: values and gradients with broadcasting", "[ops][arithmetic]")
{
    auto a = randn({3, 4}, 1), b = randn({3, 4}, 2);
    auto row = randn({4}, 3), col = randn({3, 1}, 4), s = randn({}, 5);
    auto pos = uniform({3, 4}, 0.5, 2.0, 6), pos_row = uniform({4}, 0.5, 2.0, 7);

    SECTION("values")
    {
        Variable y = a + row;
        CHECK(y.shape() == shape_t{3, 4});
        CHECK(y.data().flat(5) == Approx(a.data().flat(5) + row.data().flat(1)));
        Variable z = col * a;
        CHECK(z.data().flat(6) == Approx(col.data().flat(1) * a.data().flat(6)));
        Variable q = a / pos;
        CHECK(q.data().flat(7) == Approx(a.data().flat(7) / pos.data().flat(7)));
    }
    SECTION("same shape")
    {
        check_gradients([](auto& v) { return v[0] + v[1]; }, {a, b});
        check_gradients([](auto& v) { return v[0] - v[1]; }, {a, b});
        check_gradients([](auto& v) { return v[0] * v[1]; }, {a, b});
        check_gradients([](auto& v) { return v[0] / v[1]; }, {a, pos});
        check_gradients([](auto& v) { return -v[0]; }, {a});
    }
    SECTION("broadcast row, column and scalar")
    {
        check_gradients([](auto& v) { return v[0] + v[1]; }, {a, row});
        check_gradients([](auto& v) { return v[1] - v[0]; }, {a, col});
        check_gradients([](auto& v) { return v[0] * v[1]; }, {a, s});
        check_gradients([](auto& v) { return v[0] * v[1]; }, {col, row}); // [3,1]*[4] -> [3,4]
        check_gradients([](auto& v) { return v[0] / v[1]; }, {a, pos_row});
        check_gradients([](auto& v) { return v[1] / v[0]; }, {pos, col});
    }
    SECTION("scalar forms")
    {
        check_gradients([](auto& v) { return v[0] + 2.5; }, {a});
        check_gradients([](auto& v) { return 1.5 - v[0]; }, {a});
        check_gradients([](auto& v) { return v[0] - 1.5; }, {a});
        check_gradients([](auto& v) { return v[0] * -3.0; }, {a});
        check_gradients([](auto& v) { return v[0] / 4.0; }, {a});
        check_gradients([](auto& v) { return 2.0 / v[0]; }, {pos});
    }
    SECTION("errors name the op and both shapes")
    {
        auto bad = randn({5, 2}, 9);
        CHECK_THROWS_WITH(a + bad, Catch::Contains("add") && Catch::Contains("[3,4]") &&
                                       Catch::Contains("[5,2]"));
        CHECK_THROWS_AS(a * bad, shape_error);
        Variable f32v(Tensor::zeros({3, 4}, f32));
        CHECK_THROWS_WITH(a + f32v, Catch::Contains("float32") && Catch::Contains("float64"));
        CHECK_THROWS_AS(a / 0.0, value_error);
    }
}

TEST_CASE("pointwise functions", "[ops][pointwise]")
{
    auto x = randn({4, 5}, 11);
    auto pos = uniform({4, 5}, 0.3, 3.0, 12);
    // Keep relu/clamp inputs away from the kinks, where central differences are not defined.
    auto away = uniform({4, 5}, 0.1, 1.0, 13);
    Tensor signs = randn({4, 5}, 14, false).data();
    for (std::size_t i = 0; i < away.numel(); ++i)
        if (signs.data<double>()[i] < 0)
            away.data().data<double>()[i] *= -1;

    check_gradients([](auto& v) { return tanh(v[0]); }, {x});
    check_gradients([](auto& v) { return sigmoid(v[0]); }, {x});
    check_gradients([](auto& v) { return relu(v[0]); }, {away});
    check_gradients([](auto& v) { return exp(v[0]); }, {x});
    check_gradients([](auto& v) { return log(v[0]); }, {pos});
    check_gradients([](auto& v) { return sqrt(v[0]); }, {pos});
    check_gradients([](auto& v) { return pow(v[0], 3.0); }, {x});
    check_gradients([](auto& v) { return pow(v[0], -1.5); }, {pos});
    check_gradients([](auto& v) { return clamp(v[0], -0.5, 0.5); }, {away});

    CHECK(tanh(x).data().flat(3) == Approx(std::tanh(x.data().flat(3))));
    CHECK(sigmoid(x).data().flat(2) == Approx(1 / (1 + std::exp(-x.data().flat(2)))));
    CHECK(relu(away).data().flat(0) == Approx(std::max(0.0, away.data().flat(0))));
    CHECK(clamp(x, -0.5, 0.5).data().flat(1) ==
          Approx(std::min(0.5, std::max(-0.5, x.data().flat(1)))));
    // Large inputs saturate instead of overflowing.
    Variable big(Tensor::from_values({-1000.0, 1000.0}, {2}, f64));
    CHECK(sigmoid(big).data().flat(0) == 0.0);
    CHECK(sigmoid(big).data().flat(1) == 1.0);
    CHECK_THROWS_AS(clamp(x, 1.0, -1.0), value_error);
}

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
    SECTION("errors")
    {
        CHECK_THROWS_WITH(matmul(randn({3, 4}, 1), randn({5, 2}, 2)),
                          "matmul: [3,4] x [5,2]: inner dimensions differ");
        CHECK_THROWS_AS(matmul(randn({2, 3, 4}, 1), b), shape_error);
        CHECK_THROWS_WITH(linear(a, randn({5, 3}, 3)), Catch::Contains("linear") &&
                                                           Catch::Contains("[3,4]") &&
                                                           Catch::Contains("[5,3]"));
        CHECK_THROWS_AS(linear(a, randn({5, 4}, 3), randn({4}, 4)), shape_error);
    }
}

TEST_CASE("layout ops", "[ops][layout]")
{
    auto x = randn({3, 4, 2}, 31);
    SECTION("reshape and transpose")
    {
        check_gradients([](auto& v) { return reshape(v[0], {6, 4}); }, {x});
        check_gradients([](auto& v) { return transpose(v[0], 0, 2); }, {x});
        auto m = randn({3, 5}, 32);
        Variable t = transpose(m);
        REQUIRE(t.shape() == shape_t{5, 3});
        CHECK(t.data().flat(1 * 3 + 2) == m.data().flat(2 * 5 + 1));
        check_gradients([](auto& v) { return transpose(v[0]); }, {m});
        CHECK_THROWS_AS(reshape(x, {5, 5}), shape_error);
        CHECK_THROWS_AS(transpose(x), shape_error);
    }
    SECTION("narrow, select, split, chunk")
    {
        Variable n = narrow(x, 1, 1, 2);
        REQUIRE(n.shape() == shape_t{3, 2, 2});
        CHECK(n.data().flat(0) == x.data().flat(1 * 2));
        check_gradients([](auto& v) { return narrow(v[0], 1, 1, 2); }, {x});
        check_gradients([](auto& v) { return narrow(v[0], -1, 1, 1); }, {x});
        Variable s = select(x, 0, 2);
        REQUIRE(s.shape() == shape_t{4, 2});
        CHECK(s.data().flat(3) == x.data().flat(2 * 8 + 3));
        check_gradients([](auto& v) { return select(v[0], 1, 3); }, {x});
        // Split pieces used with different weights: each must get its own part of the gradient.
        check_gradients(
            [](auto& v) {
                auto p = split(v[0], {1, 3}, 1);
                return sum(p[0] * 2.0) + sum(tanh(p[1]));
            },
            {x});
        auto c = chunk(x, 2, 1);
        REQUIRE(c.size() == 2);
        CHECK(c[1].shape() == shape_t{3, 2, 2});
        CHECK_THROWS_AS(narrow(x, 1, 3, 2), shape_error);
        CHECK_THROWS_AS(select(x, 0, 3), shape_error);
        CHECK_THROWS_AS(split(x, {1, 1}, 1), shape_error);
        CHECK_THROWS_AS(chunk(x, 3, 1), shape_error);
        CHECK_THROWS_AS(narrow(x, 3, 0, 1), shape_error);
    }
    SECTION("concat and stack")
    {
        auto y = randn({3, 1, 2}, 33), z = randn({3, 4, 2}, 34);
        Variable c = concat({x, y}, 1);
        REQUIRE(c.shape() == shape_t{3, 5, 2});
        CHECK(c.data().flat(4 * 2 + 1) == y.data().flat(1));
        check_gradients([](auto& v) { return concat({v[0], v[1], v[0]}, 1); }, {x, y});
        Variable st = stack({x, z}, 1);
        REQUIRE(st.shape() == shape_t{3, 2, 4, 2});
        CHECK(st.data().flat(8) == z.data().flat(0));
        check_gradients([](auto& v) { return stack({v[0], v[1]}, 0); }, {x, z});
        check_gradients([](auto& v) { return stack({v[0], v[1]}, -1); }, {x, z});
        CHECK_THROWS_WITH(concat({x, randn({2, 4, 2}, 35)}, 1), Catch::Contains("concat") &&
                                                                    Catch::Contains("[3,4,2]") &&
                                                                    Catch::Contains("[2,4,2]"));
        CHECK_THROWS_AS(stack({x, y}), shape_error);
        CHECK_THROWS_AS(concat({}, 0), shape_error);
    }
    SECTION("index_select gathers rows and scatter-adds repeated indices")
    {
        auto table = randn({6, 3}, 36);
        const std::vector<std::int64_t> idx{4, 1, 4, 0, 4};
        Variable e = index_select(table, idx);
        REQUIRE(e.shape() == shape_t{5, 3});
        CHECK(e.data().flat(2 * 3 + 1) == table.data().flat(4 * 3 + 1));
        check_gradients([idx](auto& v) { return index_select(v[0], idx); }, {table});
        sum(e).backward();
        CHECK(table.grad().flat(4 * 3) == 3.0); // row 4 picked three times
        CHECK(table.grad().flat(5 * 3) == 0.0);
        check_gradients([](auto& v) { return index_select(v[0], {2, 0, 2}, 1); }, {x});
        CHECK_THROWS_WITH(index_select(table, {6}), Catch::Contains("index_select") &&
                                                        Catch::Contains("6") &&
                                                        Catch::Contains("[6,3]"));
        CHECK_THROWS_AS(index_select(table, {-1}), value_error);
    }
}

TEST_CASE("reductions", "[ops][reduce]")
{
    auto x = randn({3, 4, 5}, 41);
    CHECK(sum(x, 1).shape() == shape_t{3, 5});
    CHECK(sum(x, 1, true).shape() == shape_t{3, 1, 5});
    CHECK(mean(x, -1).shape() == shape_t{3, 4});
    double total = 0;
    for (std::size_t i = 0; i < x.numel(); ++i)
        total += x.data().flat(i);
    CHECK(sum(x).item() == Approx(total));
    CHECK(mean(x).item() == Approx(total / 60));
    double s01 = 0;
    for (std::size_t j = 0; j < 4; ++j)
        s01 += x.data().flat(0 * 20 + j * 5 + 1);
    CHECK(sum(x, 1).data().flat(1) == Approx(s01));
    check_gradients([](auto& v) { return sum(v[0]); }, {x});
    check_gradients([](auto& v) { return mean(v[0]); }, {x});
    for (int axis : {0, 1, 2, -1})
    {
        check_gradients([axis](auto& v) { return sum(v[0], axis); }, {x});
        check_gradients([axis](auto& v) { return mean(v[0], axis, true); }, {x});
    }
    CHECK_THROWS_WITH(sum(x, 3), Catch::Contains("sum") && Catch::Contains("[3,4,5]"));
}

TEST_CASE("softmax and log_softmax", "[ops][softmax]")
{
    auto x = randn({3, 5}, 51);
    Variable p = softmax(x);
    for (std::size_t r = 0; r < 3; ++r)
    {
        double s = 0;
        for (std::size_t j = 0; j < 5; ++j)
            s += p.data().flat(r * 5 + j);
        CHECK(s == Approx(1.0));
    }
    CHECK(max_diff(log_softmax(x).data(), log(softmax(x)).data()) < 1e-12);
    check_gradients([](auto& v) { return softmax(v[0]); }, {x});
    check_gradients([](auto& v) { return log_softmax(v[0]); }, {x});
    auto y = randn({2, 4, 3}, 52);
    check_gradients([](auto& v) { return softmax(v[0], 1); }, {y});
    check_gradients([](auto& v) { return log_softmax(v[0], 0); }, {y});
    // Stable for huge logits.
    Variable big(Tensor::from_values({1000.0, 0.0, -1000.0}, {3}, f64));
    CHECK(log_softmax(big).data().flat(0) == Approx(0.0));
    CHECK(log_softmax(big).data().flat(1) == Approx(-1000.0));
    CHECK(std::isfinite(softmax(big).data().flat(2)));
}

TEST_CASE("cross_entropy from logits", "[ops][loss]")
{
    auto logits = randn({6, 4}, 61);
    const std::vector<std::int64_t> t{0, 3, 1, 1, 2, 0};
    // Reference: -mean(log_softmax[target]).
    Variable ls = log_softmax(logits);
    double ref = 0;
    for (std::size_t r = 0; r < 6; ++r)
        ref -= ls.data().flat(r * 4 + static_cast<std::size_t>(t[r]));
    CHECK(cross_entropy(logits, t).item() == Approx(ref / 6));
    cross_entropy_options sum_opt;
    sum_opt.reduce = reduction::sum;
    CHECK(cross_entropy(logits, t, sum_opt).item() == Approx(ref));

    check_gradients([t](auto& v) { return cross_entropy(v[0], t); }, {logits});
    check_gradients([t, sum_opt](auto& v) { return cross_entropy(v[0], t, sum_opt); }, {logits});
    cross_entropy_options none;
    none.reduce = reduction::none;
    CHECK(cross_entropy(logits, t, none).shape() == shape_t{6});
    check_gradients([t, none](auto& v) { return cross_entropy(v[0], t, none); }, {logits});

    SECTION("ignore index and mask exclude positions from value, count and gradient")
    {
        std::vector<std::int64_t> ti = t;
        ti[2] = -100;
        ti[5] = -100;
        Variable li = cross_entropy(logits, ti);
        double r2 = 0;
        for (std::size_t r : {0, 1, 3, 4})
            r2 -= ls.data().flat(r * 4 + static_cast<std::size_t>(t[r]));
        CHECK(li.item() == Approx(r2 / 4));
        check_gradients([ti](auto& v) { return cross_entropy(v[0], ti); }, {logits});
        cross_entropy_options m;
        m.mask = {1, 1, 0, 1, 1, 0};
        CHECK(cross_entropy(logits, t, m).item() == Approx(li.item()));
        li.backward();
        for (std::size_t j = 0; j < 4; ++j)
            CHECK(logits.grad().flat(2 * 4 + j) == 0.0);
        // Nothing counted: 0, not NaN.
        CHECK(cross_entropy(logits, std::vector<std::int64_t>(6, -100)).item() == 0.0);
    }
    SECTION("3-D logits [T, B, C]")
    {
        auto l3 = randn({2, 3, 4}, 62);
        check_gradients([t](auto& v) { return cross_entropy(v[0], t); }, {l3});
    }
    SECTION("stable and checked")
    {
        Variable big(Tensor::from_values({1000.0, -1000.0, 0.0}, {1, 3}, f64));
        CHECK(cross_entropy(big, {0}).item() == Approx(0.0).margin(1e-12));
        CHECK(cross_entropy(big, {1}).item() == Approx(2000.0));
        CHECK_THROWS_WITH(cross_entropy(logits, {0, 1}),
                          Catch::Contains("cross_entropy") && Catch::Contains("[6,4]"));
        CHECK_THROWS_WITH(cross_entropy(logits, {0, 1, 2, 3, 4, 0}), Catch::Contains("target 4"));
    }
}

TEST_CASE("dropout", "[ops][dropout]")
{
    auto x = randn({50, 40}, 71);
    generator g1(7), g2(7);
    Variable a = dropout(x, 0.3, true, g1), b = dropout(x, 0.3, true, g2);
    CHECK(max_diff(a.data(), b.data()) == 0.0); // same seed, same mask
    std::size_t zeros = 0;
    for (std::size_t i = 0; i < a.numel(); ++i)
    {
        if (a.data().flat(i) == 0.0)
            ++zeros;
        else
            CHECK(a.data().flat(i) == Approx(x.data().flat(i) / 0.7));
    }
    CHECK(zeros > 500);
    CHECK(zeros < 700); // 2000 * 0.3 = 600 expected
    // Evaluation mode is the identity.
    CHECK(max_diff(dropout(x, 0.3, false).data(), x.data()) == 0.0);
    // Gradcheck with a fixed mask: regenerate it from the same seed at every evaluation.
    auto small = randn({4, 5}, 72);
    check_gradients(
        [](auto& v) {
            generator g(3);
            return dropout(v[0], 0.4, true, g);
        },
        {small});
    CHECK_THROWS_WITH(dropout(x, 1.5), Catch::Contains("dropout") && Catch::Contains("1.5"));
}

TEST_CASE("fused LSTM and GRU updates", "[ops][recurrent]")
{
    const std::size_t B = 3, H = 4;
    auto gx = randn({B, 4 * H}, 81), gh = randn({B, 4 * H}, 82), c = randn({B, H}, 83);
    SECTION("lstm_update equals the unfused equations")
    {
        auto out = lstm_update(gx, gh, c);
        auto z = chunk(gx + gh, 4, 1);
        Variable i = sigmoid(z[0]), f = sigmoid(z[1]), g = tanh(z[2]), o = sigmoid(z[3]);
        Variable c2 = f * c + i * g, h2 = o * tanh(c2);
        CHECK(max_diff(out[0].data(), h2.data()) < 1e-14);
        CHECK(max_diff(out[1].data(), c2.data()) < 1e-14);
    }
    SECTION("lstm_update gradients: both outputs, only h, only c")
    {
        check_gradients([](auto& v) { return concat(lstm_update(v[0], v[1], v[2]), 1); },
                        {gx, gh, c});
        check_gradients([](auto& v) { return lstm_update(v[0], v[1], v[2])[0]; }, {gx, gh, c});
        check_gradients([](auto& v) { return lstm_update(v[0], v[1], v[2])[1]; }, {gx, gh, c});
    }
    SECTION("gru_update equals the unfused equations and gradchecks")
    {
        auto a = randn({B, 3 * H}, 84), b = randn({B, 3 * H}, 85), h = randn({B, H}, 86);
        auto pa = chunk(a, 3, 1), pb = chunk(b, 3, 1);
        Variable r = sigmoid(pa[0] + pb[0]), z = sigmoid(pa[1] + pb[1]);
        Variable n = tanh(pa[2] + r * pb[2]);
        Variable ref = (1.0 - z) * n + z * h;
        CHECK(max_diff(gru_update(a, b, h).data(), ref.data()) < 1e-14);
        check_gradients([](auto& v) { return gru_update(v[0], v[1], v[2]); }, {a, b, h});
    }
    SECTION("shape errors")
    {
        CHECK_THROWS_WITH(lstm_update(gx, gh, randn({B, H + 1}, 87)),
                          Catch::Contains("lstm_update") && Catch::Contains("[3,5]"));
        CHECK_THROWS_AS(gru_update(gx, gh, c), shape_error); // 4H gates for a GRU
    }
}
