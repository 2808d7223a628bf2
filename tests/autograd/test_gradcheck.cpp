// gradcheck itself: it must catch wrong gradients, not only pass right ones.
#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{
// x^3 with a backward that forgets the factor 3 when `wrong`.
Variable cube(const Variable& x, bool wrong)
{
    Tensor y = Tensor::empty(x.shape(), x.dtype());
    for (std::size_t i = 0; i < y.numel(); ++i)
        y.data<double>()[i] = std::pow(x.data().data<double>()[i], 3);
    return record("cube", y, {x}, [wrong](grad_context& c) {
        Tensor d = Tensor::empty(c.input(0).shape(), f64);
        for (std::size_t i = 0; i < d.numel(); ++i)
        {
            const double v = c.input(0).data<double>()[i];
            d.data<double>()[i] = c.grad().data<double>()[i] * (wrong ? 1.0 : 3.0) * v * v;
        }
        c.accumulate(0, d);
    });
}

// Reverses a vector; the wrong backward passes the gradient through unreversed. With an all-ones
// output gradient both are identical, so only the random projection can tell them apart.
Variable reverse(const Variable& x, bool wrong)
{
    const std::size_t n = x.numel();
    Tensor y = Tensor::empty(x.shape(), f64);
    for (std::size_t i = 0; i < n; ++i)
        y.data<double>()[i] = x.data().data<double>()[n - 1 - i];
    return record("reverse", y, {x}, [wrong, n](grad_context& c) {
        Tensor d = Tensor::empty({n}, f64);
        for (std::size_t i = 0; i < n; ++i)
            d.data<double>()[i] = c.grad().data<double>()[wrong ? i : n - 1 - i];
        c.accumulate(0, d);
    });
}
} // namespace

TEST_CASE("gradcheck passes a correct op and fails a wrong one", "[gradcheck]")
{
    auto x = randn({3, 2}, 1);
    auto good = gradcheck([](auto& v) { return sum(cube(v[0], false)); }, {x});
    CHECK(good.ok());
    auto bad = gradcheck([](auto& v) { return sum(cube(v[0], true)); }, {x});
    CHECK_FALSE(bad.ok());
    REQUIRE(bad.entries.size() == 1);
    CHECK(bad.entries[0].max_rel_error > 0.5);
    CHECK_THAT(bad.table(), Catch::Contains("FAIL"));
    // The report's worst element really disagrees by the missing factor 3.
    CHECK(bad.entries[0].numeric == Approx(3 * bad.entries[0].analytic).epsilon(1e-4));
}

TEST_CASE("gradcheck projects non-scalar outputs onto a random direction", "[gradcheck]")
{
    auto x = randn({5}, 2);
    CHECK(gradcheck([](auto& v) { return reverse(v[0], false); }, {x}).ok());
    CHECK_FALSE(gradcheck([](auto& v) { return reverse(v[0], true); }, {x}).ok());
}

TEST_CASE("gradcheck report: names, zero gradients, skipped inputs, errors", "[gradcheck]")
{
    auto a = randn({2, 2}, 3), b = randn({2}, 4), frozen = randn({2}, 5, false);
    gradcheck_options opt;
    opt.names = {"weight", "unused", "frozen"};
    // b does not affect the output: both gradients are zero, a 0/0 that counts as a match.
    auto r = gradcheck([](auto& v) { return sum(tanh(v[0]) * v[2]); }, {a, b, frozen}, opt);
    REQUIRE(r.entries.size() == 2); // frozen does not require grad: not checked
    CHECK(r.ok());
    CHECK(r.entries[1].name == "unused");
    CHECK(r.entries[1].max_rel_error == 0.0);
    CHECK_THAT(r.table(), Catch::Contains("weight") && Catch::Contains("[2,2]"));
    // Inputs are restored, including gradients they already had.
    sum(a).backward();
    const Tensor before = a.grad().clone();
    const double value = a.data().flat(0);
    gradcheck([](auto& v) { return sum(v[0] * v[0]); }, {a});
    CHECK(max_diff(a.grad(), before) == 0.0);
    CHECK(a.data().flat(0) == value);

    Variable f(Tensor::ones({2}, f32), true);
    CHECK_THROWS_WITH(gradcheck([](auto& v) { return sum(v[0]); }, {f}),
                      Catch::Contains("float64"));
}
