// autograd/ops/reduce.hpp: values against direct computations, float64 gradchecks.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

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

TEST_CASE("sum_to: empty leading dims and impossible targets", "[ops][reduce]")
{
    auto x = randn({3}, 171);
    sum(expand(x, {0, 3})).backward();
    CHECK(x.grad().to_vector() == std::vector<double>(3, 0.0));
    CHECK_THROWS_AS(sum_to(Tensor::ones({3}), {1, 3}), shape_error);
}
