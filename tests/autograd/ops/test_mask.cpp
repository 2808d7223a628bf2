// autograd/ops/mask.hpp: where, where_rows, masked_fill, sequence_mask.
#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("where selects elementwise with broadcasting", "[ops][mask]")
{
    auto a = randn({3, 4}, 101), b = randn({4}, 102);
    Tensor mask = Tensor::from_values({1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0}, {3, 4}, i64);
    Variable y = where(mask, a, b);
    REQUIRE(y.shape() == shape_t{3, 4});
    for (std::size_t i = 0; i < 12; ++i)
        CHECK(y.data().flat(i) == (mask.flat(i) ? a.data().flat(i) : b.data().flat(i % 4)));
    check_gradients([mask](auto& v) { return where(mask, v[0], v[1]); }, {a, b});
    // A [3,1] float mask broadcast over columns, and both sides the same value.
    Tensor col = Tensor::from_values({0.0, 2.5, 0.0}, {3, 1}, f32);
    check_gradients([col](auto& v) { return where(col, v[0], v[0] * 3.0); }, {a});
    CHECK(where(col, a, b).data().flat(4) == a.data().flat(4));
    CHECK(where(col, a, b).data().flat(0) == b.data().flat(0));

    CHECK_THROWS_WITH(where(Tensor::ones({2, 4}), a, b), Catch::Contains("where") &&
                                                             Catch::Contains("[2,4]") &&
                                                             Catch::Contains("[3,4]"));
    CHECK_THROWS_AS(where(mask, a, Variable(Tensor::zeros({4}, f32))), value_error);
}

TEST_CASE("where_rows picks whole rows and routes each row's gradient to one side", "[ops][mask]")
{
    auto a = randn({4, 2, 3}, 111), b = randn({4, 2, 3}, 112);
    const std::vector<std::uint8_t> keep{1, 0, 0, 1};
    Variable y = where_rows(keep, a, b);
    REQUIRE(y.shape() == shape_t{4, 2, 3});
    for (std::size_t i = 0; i < 24; ++i)
        CHECK(y.data().flat(i) == (keep[i / 6] ? a.data().flat(i) : b.data().flat(i)));
    check_gradients([keep](auto& v) { return where_rows(keep, v[0], v[1]); }, {a, b});
    // The same variable on both sides gets the whole gradient.
    check_gradients([keep](auto& v) { return where_rows(keep, v[0] * 2.0, v[0]); }, {a});
    Variable loss = sum(where_rows(keep, a, b) * 3.0);
    loss.backward();
    CHECK(a.grad().flat(0) == 3.0);
    CHECK(a.grad().flat(6) == 0.0);
    CHECK(b.grad().flat(6) == 3.0);
    CHECK(b.grad().flat(23) == 0.0);

    CHECK_THROWS_WITH(where_rows({1, 0}, a, b), Catch::Contains("where_rows") &&
                                                    Catch::Contains("[4,2,3]") &&
                                                    Catch::Contains("2 rows"));
    CHECK_THROWS_WITH(where_rows(keep, a, randn({4, 3, 2}, 1)),
                      Catch::Contains("[4,2,3]") && Catch::Contains("[4,3,2]"));
    CHECK_THROWS_AS(where_rows(keep, a, Variable(Tensor::zeros({4, 2, 3}, f32))), value_error);
}

TEST_CASE("masked_fill replaces and blocks the gradient where the mask is true", "[ops][mask]")
{
    auto x = randn({2, 3, 4}, 103);
    Tensor m = Tensor::from_values({1, 0, 0, 1}, {4}, i64);
    Variable y = masked_fill(x, m, -7.5);
    CHECK(y.data().flat(0) == -7.5);
    CHECK(y.data().flat(1) == x.data().flat(1));
    CHECK(y.data().flat(23) == -7.5);
    check_gradients([m](auto& v) { return masked_fill(v[0], m, 0.25); }, {x});
    Variable loss = sum(masked_fill(x, m, 1.0));
    loss.backward();
    CHECK(x.grad().flat(0) == 0.0);
    CHECK(x.grad().flat(2) == 1.0);
    // The mask may not enlarge x.
    CHECK_THROWS_WITH(masked_fill(randn({4}, 1), Tensor::ones({3, 4}), 0.0),
                      Catch::Contains("masked_fill") && Catch::Contains("[3,4]") &&
                          Catch::Contains("[4]"));
}

TEST_CASE("sequence_mask is the mask lengths imply", "[ops][mask]")
{
    Tensor m = sequence_mask({3, 1, 0}, 4);
    REQUIRE(m.shape() == shape_t{4, 3});
    const std::vector<double> want{1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0};
    CHECK(m.to_vector() == want);
    Tensor bf = sequence_mask({3, 1, 0}, 4, true, i64);
    REQUIRE(bf.shape() == shape_t{3, 4});
    CHECK(bf.dtype() == i64);
    CHECK(bf.flat(2) == 1);
    CHECK(bf.flat(3) == 0);
    CHECK(bf.flat(4) == 1);
    CHECK(bf.flat(5) == 0);
    CHECK_THROWS_WITH(sequence_mask({5}, 4), Catch::Contains("sequence_mask") &&
                                                 Catch::Contains("5") && Catch::Contains("4"));
}
