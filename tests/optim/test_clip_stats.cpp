// optim/clip_stats.hpp: counts, clipped steps and norms across steps, through clip_grad_norm.
#include <cmath>
#include <limits>

#include "tests/support.hpp"
#include "xgrad/optim/clip.hpp"
#include "xgrad/optim/clip_stats.hpp"

using namespace xgrad;
using namespace xgrad::optim;

TEST_CASE("clip_stats accumulates what clip_grad_norm did", "[optim][clip]")
{
    Variable p(Tensor::zeros({2}, f64), true);
    clip_stats stats;
    CHECK(stats.mean() == 0);
    CHECK(stats.clipped_fraction() == 0);
    // Norms 5 (clipped to 1), 0.5 (left alone), 13 (clipped).
    const double grads[3][2] = {{3, 4}, {0.3, 0.4}, {5, -12}};
    for (const auto& g : grads)
    {
        p.grad() = Tensor::from_values({g[0], g[1]}, {2}, f64);
        clip_grad_norm({p}, 1.0, stats);
    }
    CHECK(p.grad().flat(0) == Approx(5.0 / 13.0 * (1 / (1 + 1e-6 / 13))).epsilon(1e-12));
    CHECK(stats.count == 3);
    CHECK(stats.clipped == 2);
    CHECK(stats.nonfinite == 0);
    CHECK(stats.last == Approx(13.0));
    CHECK(stats.max == Approx(13.0));
    CHECK(stats.mean() == Approx((5.0 + 0.5 + 13.0) / 3));
    CHECK(stats.clipped_fraction() == Approx(2.0 / 3));

    SECTION("clipped by clip_grad_norm's rule, max_norm / (norm + 1e-6) < 1")
    {
        stats.record(1.0 - 2e-6, 1.0);
        CHECK(stats.clipped == 2);
        stats.record(1.0, 1.0); // at the limit it scales by 1 / (1 + 1e-6)
        CHECK(stats.clipped == 3);
    }
    SECTION("non-finite norms are counted apart; a throwing clip records nothing")
    {
        p.grad() = Tensor::from_values({std::nan(""), 1.0}, {2}, f64);
        CHECK_THROWS_AS(clip_grad_norm({p}, 1.0, stats), value_error);
        CHECK(stats.count == 3);
        CHECK(stats.nonfinite == 0);
        clip_grad_norm({p}, 1.0, stats, /*error_if_nonfinite=*/false);
        CHECK(stats.nonfinite == 1);
        CHECK(stats.count == 3);
        CHECK(stats.last == Approx(13.0));
    }
    SECTION("reset and bad values")
    {
        stats.reset();
        CHECK(stats.count == 0);
        CHECK(stats.max == 0);
        CHECK_THROWS_WITH(stats.record(1.0, 0.0), Catch::Contains("clip_stats.record: max_norm 0"));
        CHECK_THROWS_WITH(stats.record(-1.0, 1.0), Catch::Contains("norm -1 is negative"));
        CHECK(stats.count == 0);
    }
}
