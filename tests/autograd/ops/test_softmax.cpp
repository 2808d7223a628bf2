// autograd/ops/softmax.hpp: masked softmax / log_softmax, logsumexp along any axis.
#include <cmath>
#include <limits>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{
// Row b of the [3,5] test mask has 5, 2 and 0 valid positions.
Tensor row_mask()
{
    return sequence_mask({5, 2, 0}, 5, true);
}
} // namespace

TEST_CASE("logsumexp along any axis", "[ops][softmax]")
{
    auto x = randn({3, 4, 5}, 111);
    for (int axis : {0, 1, 2, -1})
    {
        Variable l = logsumexp(x, axis);
        Variable ref = log(sum(exp(x), axis));
        CHECK(max_diff(l.data(), ref.data()) < 1e-12);
        check_gradients([axis](auto& v) { return logsumexp(v[0], axis); }, {x});
    }
    CHECK(logsumexp(x, 1, true).shape() == shape_t{3, 1, 5});
    // Large logits do not overflow.
    Variable big(Tensor::from_values({1000.0, 1000.0}, {2}, f64));
    CHECK(logsumexp(big, 0).item() == Approx(1000.0 + std::log(2.0)));
    CHECK_THROWS_AS(logsumexp(x, 3), shape_error);
}

TEST_CASE("masked softmax gives masked positions exactly 0 and empty rows 0", "[ops][softmax]")
{
    auto x = randn({3, 5}, 112);
    const Tensor mask = row_mask();
    Variable p = softmax(x, mask);
    // Row 0: the plain softmax; row 1: softmax of the first two entries; row 2: all zeros.
    Variable plain = softmax(x);
    for (std::size_t j = 0; j < 5; ++j)
        CHECK(p.data().flat(j) == Approx(plain.data().flat(j)).epsilon(1e-12));
    const double a = std::exp(x.data().flat(5)), b = std::exp(x.data().flat(6));
    CHECK(p.data().flat(5) == Approx(a / (a + b)).epsilon(1e-12));
    for (std::size_t j = 7; j < 15; ++j)
        CHECK(p.data().flat(j) == 0.0);
    check_gradients([mask](auto& v) { return softmax(v[0], mask); }, {x});

    // Along axis 0 with a broadcast [3,1] mask: rows 0 and 2 take part.
    Tensor rows = Tensor::from_values({1, 0, 1}, {3, 1}, i64);
    Variable q = softmax(x, rows, 0);
    CHECK(q.data().flat(5 + 3) == 0.0);
    CHECK(q.data().flat(3) + q.data().flat(13) == Approx(1.0));
    check_gradients([rows](auto& v) { return softmax(v[0], rows, 0); }, {x});
}

TEST_CASE("masked log_softmax and logsumexp", "[ops][softmax]")
{
    auto x = randn({3, 5}, 113);
    const Tensor mask = row_mask();
    const double ninf = -std::numeric_limits<double>::infinity();
    Variable lp = log_softmax(x, mask);
    CHECK(lp.data().flat(7) == ninf);
    CHECK(lp.data().flat(12) == ninf);
    CHECK(std::exp(lp.data().flat(5)) + std::exp(lp.data().flat(6)) == Approx(1.0));
    // -inf outputs cannot enter a finite-difference check: zero them with where().
    Variable zero(Tensor::zeros({}, f64));
    check_gradients([mask, zero](auto& v) { return where(mask, log_softmax(v[0], mask), zero); },
                    {x});

    Variable l = logsumexp(x, mask, 1);
    REQUIRE(l.shape() == shape_t{3});
    CHECK(l.data().flat(1) ==
          Approx(std::log(std::exp(x.data().flat(5)) + std::exp(x.data().flat(6)))));
    CHECK(l.data().flat(2) == ninf);
    // The empty row's -inf is replaced before the check; its gradient must be 0.
    Tensor keep = Tensor::from_values({1, 1, 0}, {3}, i64);
    check_gradients(
        [mask, keep, zero](auto& v) { return where(keep, logsumexp(v[0], mask, 1), zero); }, {x});
    Variable s = sum(where(keep, logsumexp(x, mask, 1), zero));
    s.backward();
    for (std::size_t j = 10; j < 15; ++j)
        CHECK(x.grad().flat(j) == 0.0);
    CHECK_THROWS_WITH(softmax(x, Tensor::ones({5, 3})),
                      Catch::Contains("softmax") && Catch::Contains("[5,3]"));
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

TEST_CASE("softmax, logsumexp and exponentials of non-finite entries", "[ops][softmax]")
{
    // Under UBSan (tests/sanitize.sh) this is the check that the vectorised exp never converts
    // an infinity or NaN to an integer; here, that the IEEE results come out. Rows of every
    // length up to 19 cover both the SIMD body and the scalar tail.
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (dtype dt : {f32, f64})
        for (std::size_t n = 1; n < 20; ++n)
            for (double special : {-inf, inf, nan})
            {
                std::vector<double> v(n, 0.5);
                v[n / 2] = special;
                const Variable x(Tensor::from_values(v, {1, n}).to(dt));
                const Tensor s = softmax(x).data();
                const double lse = logsumexp(x).data().item();
                if (special == -inf && n > 1)
                {
                    CHECK(s.flat(n / 2) == 0.0);
                    CHECK(lse == Approx(0.5 + std::log(double(n - 1))).epsilon(1e-5));
                }
                else if (special == -inf) // a row of only -inf: 0/0, as in PyTorch
                    CHECK((std::isnan(s.flat(0)) && lse == -inf));
                else if (special == inf)
                    CHECK(lse == inf);
                else
                    CHECK(std::isnan(lse));
                const Tensor e = exp(x).data();
                const Tensor g = sigmoid(x).data();
                const Tensor t = tanh(x).data();
                if (special == -inf)
                    CHECK((e.flat(n / 2) == 0.0 && g.flat(n / 2) == 0.0 && t.flat(n / 2) == -1.0));
                else if (special == inf)
                    CHECK((e.flat(n / 2) == inf && g.flat(n / 2) == 1.0 && t.flat(n / 2) == 1.0));
                else
                    CHECK((std::isnan(e.flat(n / 2)) && std::isnan(g.flat(n / 2))));
                log_softmax(x);
            }
    // The recurrent cells' fused gates take the same care: pre-activations of every kind at once.
    for (dtype dt : {f32, f64})
    {
        std::vector<double> g(4 * 9, 0.25);
        g[1] = -inf;
        g[11] = inf;
        g[20] = nan;
        const Variable gx(Tensor::from_values(g, {1, 36}).to(dt));
        const Variable gh(Tensor::zeros({1, 36}, dt));
        const Variable c(Tensor::zeros({1, 9}, dt));
        const auto out = lstm_update(gx, gh, c);
        CHECK(out.size() >= 2);
    }
}
