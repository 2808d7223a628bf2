// autograd/ops/loss.hpp: values against direct computations, float64 gradchecks.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

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

TEST_CASE("cross_entropy takes int64 target tensors of the leading shape", "[ops][loss]")
{
    auto logits = randn({3, 2, 5}, 161);
    const std::vector<std::int64_t> t{4, 0, 2, 2, 1, 3};
    Variable a = cross_entropy(logits, t);
    Variable b = cross_entropy(logits, Tensor::from_indices(t, {3, 2}));
    CHECK(a.item() == b.item());
    check_gradients(
        [t](auto& v) {
            return cross_entropy(v[0], Tensor::from_indices(t, {3, 2}));
        },
        {logits});
    CHECK_THROWS_WITH(cross_entropy(logits, Tensor::from_indices(t, {6})),
                      Catch::Contains("[6]") && Catch::Contains("[3,2]"));
    CHECK_THROWS_AS(cross_entropy(logits, Tensor::zeros({3, 2})), value_error);
}
