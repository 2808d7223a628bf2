// autograd/ops/layout.hpp: values against direct computations, float64 gradchecks.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

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
        // Shapes whose element count wraps around 2^64 to the right count (issue 18: 2 elements
        // reshaped to [2^63+1, 2] were accepted and later read out of bounds).
        const std::size_t wraps = (std::size_t{1} << 63) + 1;
        CHECK_THROWS_AS(reshape(randn({2}, 1), {wraps, 2}), shape_error);
        CHECK_THROWS_AS(Tensor::zeros({2}).reshape({wraps, 2}), shape_error);
        CHECK_THROWS_AS(Tensor::empty({std::size_t{1} << 62}), error); // 2^64 bytes as f32
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
        CHECK_THROWS_AS(select(x, 0, 3), value_error);
        CHECK_THROWS_AS(index_select(x, {3}, 0), value_error);
        CHECK_THROWS_AS(narrow(x, 0, SIZE_MAX, 2), shape_error); // start + length wraps
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
        // More inputs than the lengths kept inline (eight), alternating widths 1 and 4.
        check_gradients(
            [](auto& v) {
                std::vector<Variable> many;
                for (int i = 0; i < 11; ++i)
                    many.push_back(v[i % 2]);
                return concat(many, 1);
            },
            {y, z});
        std::vector<Variable> many;
        for (int i = 0; i < 11; ++i)
            many.push_back(i % 2 ? z : y);
        Variable m = concat(many, 1);
        REQUIRE(m.shape() == shape_t{3, 6 * 1 + 5 * 4, 2});
        CHECK(m.data().flat(2 * (26 - 1) + 1) == y.data().flat(1)); // row 0, last slab is y
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

TEST_CASE("unsqueeze, squeeze, expand, flip", "[ops][layout]")
{
    auto x = randn({3, 1, 4}, 231);
    SECTION("unsqueeze and squeeze")
    {
        CHECK(unsqueeze(x, 0).shape() == shape_t{1, 3, 1, 4});
        CHECK(unsqueeze(x, -1).shape() == shape_t{3, 1, 4, 1});
        CHECK(squeeze(x, 1).shape() == shape_t{3, 4});
        CHECK(squeeze(unsqueeze(x, 0)).shape() == shape_t{3, 4});
        check_gradients([](auto& v) { return unsqueeze(v[0], 2) * 2.0; }, {x});
        check_gradients([](auto& v) { return squeeze(v[0], -2); }, {x});
        CHECK_THROWS_WITH(squeeze(x, 0), "squeeze: axis 0 of [3,1,4] has size 3, not 1");
        CHECK_THROWS_AS(unsqueeze(x, 5), shape_error);
    }
    SECTION("expand sums its gradient over the copies")
    {
        Variable e = expand(x, {2, 3, 5, 4});
        REQUIRE(e.shape() == shape_t{2, 3, 5, 4});
        CHECK(e.data().flat(60 + 4 * 7 + 2) == x.data().flat(4 + 2));
        check_gradients([](auto& v) { return expand(v[0], {2, 3, 5, 4}); }, {x});
        CHECK_THROWS_WITH(expand(x, {3, 2, 5}),
                          Catch::Contains("[3,1,4]") && Catch::Contains("[3,2,5]"));
    }
    SECTION("flip, whole axis and within lengths")
    {
        auto s = randn({4, 3, 2}, 232); // [T, B, F]
        Variable f = flip(s, 0);
        CHECK(f.data().flat(0) == s.data().flat(3 * 6));
        check_gradients([](auto& v) { return flip(v[0], 1); }, {s});
        const std::vector<std::size_t> lengths{4, 2, 0};
        Variable r = flip(s, 0, lengths, 1);
        // Sequence 1 has 2 steps: t=0 reads t=1, t=1 reads t=0, padding stays put.
        CHECK(r.data().flat(0 * 6 + 1 * 2) == s.data().flat(1 * 6 + 1 * 2));
        CHECK(r.data().flat(1 * 6 + 1 * 2) == s.data().flat(0 * 6 + 1 * 2));
        CHECK(r.data().flat(3 * 6 + 1 * 2 + 1) == s.data().flat(3 * 6 + 1 * 2 + 1));
        CHECK(r.data().flat(0 * 6 + 2 * 2) == s.data().flat(0 * 6 + 2 * 2));
        CHECK(r.data().flat(0 * 6 + 0 * 2) == s.data().flat(3 * 6 + 0 * 2));
        check_gradients([lengths](auto& v) { return flip(v[0], 0, lengths, 1); }, {s});
        // Batch-first [B, T, F]: the batch axis comes before the flipped one.
        auto bf = randn({3, 4, 2}, 233);
        Variable rb = flip(bf, 1, lengths, 0);
        CHECK(rb.data().flat(1 * 8 + 0 * 2) == bf.data().flat(1 * 8 + 1 * 2));
        CHECK(rb.data().flat(0 * 8 + 0 * 2 + 1) == bf.data().flat(0 * 8 + 3 * 2 + 1));
        check_gradients([lengths](auto& v) { return flip(v[0], 1, lengths, 0); }, {bf});
        // Every (axis, batch axis) pair of a 4-d tensor against index arithmetic.
        auto q = randn({3, 4, 2, 3}, 234);
        const shape_t qs = q.shape();
        for (int ax = 0; ax < 4; ++ax)
            for (int bx = 0; bx < 4; ++bx)
            {
                if (ax == bx)
                    continue;
                std::vector<std::size_t> len(qs[bx]);
                for (std::size_t b = 0; b < len.size(); ++b)
                    len[b] = (b * 2 + 1) % (qs[ax] + 1);
                const Tensor out = flip(q, ax, len, bx).data();
                std::size_t mismatches = 0;
                for (std::size_t f = 0; f < out.numel(); ++f)
                {
                    std::size_t idx[4], rest = f;
                    for (int d = 3; d >= 0; --d)
                        idx[d] = rest % qs[d], rest /= qs[d];
                    const std::size_t L = len[idx[bx]], j = idx[ax];
                    idx[ax] = j < L ? L - 1 - j : j;
                    const std::size_t src =
                        ((idx[0] * qs[1] + idx[1]) * qs[2] + idx[2]) * qs[3] + idx[3];
                    mismatches += out.flat(f) != q.data().flat(src);
                }
                INFO("axis " << ax << ", batch axis " << bx);
                CHECK(mismatches == 0);
            }
        CHECK(flip(Variable(Tensor::zeros({0, 3}, f32)), 0, {0, 0, 0}, 1).shape() == shape_t{0, 3});
        CHECK_THROWS_AS(flip(s, 0, {4, 2}, 1), shape_error);
        CHECK_THROWS_AS(flip(s, 0, {5, 2, 0}, 1), shape_error);
        CHECK_THROWS_AS(flip(s, 1, lengths, 1), shape_error);
    }
}
