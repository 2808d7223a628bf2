// autograd/ops/indexing.hpp: gather and scatter_add with int64 index tensors.
#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("gather picks along an axis; its backward scatter-adds", "[ops][indexing]")
{
    auto x = randn({3, 4}, 131);
    // Repeated indices in a row: their gradients must add up.
    Tensor idx = Tensor::from_indices({3, 3, 0, 1, 2, 1}, {3, 2});
    Variable y = gather(x, 1, idx);
    REQUIRE(y.shape() == shape_t{3, 2});
    CHECK(y.data().flat(0) == x.data().flat(3));
    CHECK(y.data().flat(3) == x.data().flat(4 + 1));
    CHECK(y.data().flat(5) == x.data().flat(8 + 1));
    check_gradients([idx](auto& v) { return gather(v[0], 1, idx); }, {x});
    sum(gather(x, 1, idx)).backward();
    CHECK(x.grad().flat(3) == 2.0);
    CHECK(x.grad().flat(1) == 0.0);

    // Along axis 0 of a 3-D tensor, index smaller than x in the other axes.
    auto z = randn({4, 3, 2}, 132);
    Tensor i0 = Tensor::from_indices({3, 0, 1, 1, 2, 0, 0, 3}, {2, 2, 2});
    Variable g0 = gather(z, 0, i0);
    REQUIRE(g0.shape() == shape_t{2, 2, 2});
    // out[1][0][1] = z[index[1][0][1] = 0][0][1]
    CHECK(g0.data().flat(4 + 1) == z.data().flat(0 * 6 + 0 * 2 + 1));
    check_gradients([i0](auto& v) { return gather(v[0], 0, i0); }, {z});
}

TEST_CASE("scatter_add accumulates into a copy", "[ops][indexing]")
{
    auto x = randn({3, 5}, 133), src = randn({3, 2}, 134);
    Tensor idx = Tensor::from_indices({4, 4, 0, 2, 1, 3}, {3, 2});
    Variable y = scatter_add(x, 1, idx, src);
    CHECK(y.data().flat(4) == Approx(x.data().flat(4) + src.data().flat(0) + src.data().flat(1)));
    CHECK(y.data().flat(5) == Approx(x.data().flat(5) + src.data().flat(2)));
    CHECK(y.data().flat(3) == x.data().flat(3));
    check_gradients([idx](auto& v) { return scatter_add(v[0], 1, idx, v[1]); }, {x, src});
    // An index smaller than src: uncovered src entries get no gradient.
    auto big = randn({3, 3}, 135);
    Tensor part = Tensor::from_indices({1, 0}, {2, 1});
    check_gradients([part](auto& v) { return scatter_add(v[0], 1, part, v[1]); }, {x, big});
}

TEST_CASE("gather and scatter_add refuse bad indices", "[ops][indexing]")
{
    auto x = randn({3, 4}, 136);
    CHECK_THROWS_WITH(gather(x, 1, Tensor::from_indices({0, 4}, {1, 2})),
                      Catch::Contains("gather") && Catch::Contains("4") &&
                          Catch::Contains("[3,4]"));
    CHECK_THROWS_WITH(gather(x, 1, Tensor::from_indices({-1}, {1, 1})), Catch::Contains("-1"));
    CHECK_THROWS_WITH(gather(x, 1, Tensor::zeros({3, 1})), Catch::Contains("int64"));
    CHECK_THROWS_AS(gather(x, 1, Tensor::from_indices({0, 1, 2})), shape_error);
    CHECK_THROWS_AS(gather(x, 1, Tensor::from_indices({0, 0, 0, 0}, {4, 1})), shape_error);
    CHECK_THROWS_AS(scatter_add(x, 0, Tensor::from_indices({0}, {1, 1}), randn({4}, 1)),
                    shape_error);
}
