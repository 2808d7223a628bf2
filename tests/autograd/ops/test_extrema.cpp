// autograd/ops/extrema.hpp: max/min with indices, argmax/argmin, topk.
#include <cmath>
#include <limits>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("max and min along an axis, with indices and gradients", "[ops][extrema]")
{
    auto x = randn({3, 4, 5}, 121);
    for (int axis : {0, 1, 2})
    {
        extremum m = max(x, axis);
        Tensor idx = argmax(x.data(), axis);
        CHECK(m.indices.dtype() == i64);
        CHECK(m.indices.to_vector() == idx.to_vector());
        check_gradients([axis](auto& v) { return max(v[0], axis).values; }, {x});
        check_gradients([axis](auto& v) { return min(v[0], axis, true).values; }, {x});
    }
    // Values equal the data at the indices, and nothing along the axis is larger.
    extremum m = max(x, 1);
    REQUIRE(m.values.shape() == shape_t{3, 5});
    for (std::size_t o = 0; o < 3; ++o)
        for (std::size_t i = 0; i < 5; ++i)
        {
            const auto k = static_cast<std::size_t>(m.indices.flat(o * 5 + i));
            CHECK(m.values.data().flat(o * 5 + i) == x.data().flat(o * 20 + k * 5 + i));
            for (std::size_t j = 0; j < 4; ++j)
                CHECK(x.data().flat(o * 20 + j * 5 + i) <= m.values.data().flat(o * 5 + i));
        }
    CHECK(min(x, -1, true).values.shape() == shape_t{3, 4, 1});
    CHECK(argmin(x.data(), 0).shape() == shape_t{4, 5});
}

TEST_CASE("extrema: ties, NaN and errors", "[ops][extrema]")
{
    Variable t(Tensor::from_values({1, 3, 3, 2, 0, 0}, {2, 3}, f64), true);
    extremum m = max(t, 1);
    CHECK(m.indices.flat(0) == 1); // the first of the tied 3s
    CHECK(min(t, 1).indices.flat(1) == 1);
    sum(m.values).backward();
    CHECK(t.grad().to_vector() == std::vector<double>{0, 1, 0, 1, 0, 0});
    const double nan = std::numeric_limits<double>::quiet_NaN();
    Tensor n = Tensor::from_values({1.0, nan, 5.0}, {3}, f64);
    CHECK(argmax(n).item() == 1);
    CHECK(argmin(n).item() == 1);
    CHECK_THROWS_WITH(max(Variable(Tensor::zeros({2, 0})), 1),
                      Catch::Contains("max") && Catch::Contains("[2,0]"));
    CHECK_THROWS_AS(argmax(Tensor::zeros({2, 3}), 2), shape_error);
}

TEST_CASE("topk along the last axis", "[ops][extrema]")
{
    auto x = randn({2, 3, 6}, 122);
    extremum top = topk(x, 3);
    REQUIRE(top.values.shape() == shape_t{2, 3, 3});
    REQUIRE(top.indices.shape() == shape_t{2, 3, 3});
    for (std::size_t r = 0; r < 6; ++r)
    {
        // Descending, each value the data at its index, and the max first.
        for (std::size_t j = 0; j < 3; ++j)
            CHECK(top.values.data().flat(r * 3 + j) ==
                  x.data().flat(r * 6 + static_cast<std::size_t>(top.indices.flat(r * 3 + j))));
        CHECK(top.values.data().flat(r * 3) >= top.values.data().flat(r * 3 + 1));
        CHECK(top.values.data().flat(r * 3 + 1) >= top.values.data().flat(r * 3 + 2));
    }
    Tensor first = narrow(Variable(top.indices.to(f64)), 2, 0, 1).data();
    CHECK(first.to_vector() == argmax(x.data(), -1, true).to(f64).to_vector());
    check_gradients([](auto& v) { return topk(v[0], 2).values; }, {x});
    check_gradients([](auto& v) { return topk(v[0], 4, false).values; }, {x});
    extremum low = topk(x, 1, false);
    CHECK(low.indices.to_vector() == argmin(x.data(), -1, true).to_vector());
    // Ties keep index order.
    Variable t(Tensor::from_values({2, 5, 5, 1}, {4}, f64));
    CHECK(topk(t, 3).indices.to_vector() == std::vector<double>{1, 2, 0});
    CHECK_THROWS_WITH(topk(x, 7), Catch::Contains("topk") && Catch::Contains("7"));
}
