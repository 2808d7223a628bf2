// optim/clip.hpp and optim/schedule.hpp.
#include <cmath>
#include <limits>

#include "tests/support.hpp"
#include "xgrad/optim/clip.hpp"
#include "xgrad/optim/schedule.hpp"
#include "xgrad/optim/sgd.hpp"

using namespace xgrad;
using namespace xgrad::optim;

TEST_CASE("clip_grad_norm of huge and tiny float64 gradients does not overflow", "[optim][clip]")
{
    // 1e200 squared overflows a double: the norm must still be sqrt(2) * 1e200, and clipping
    // must bring the gradients to max_norm, not report them as "not finite".
    Variable a(Tensor::zeros({2}, f64), true);
    a.grad() = Tensor::from_values({1e200, -1e200}, {2}, f64);
    double norm = 0;
    REQUIRE_NOTHROW(norm = clip_grad_norm({a}, 1.0));
    CHECK(norm == Approx(std::sqrt(2.0) * 1e200).epsilon(1e-14));
    CHECK(a.grad().flat(0) == Approx(1 / std::sqrt(2.0)).epsilon(1e-12));
    CHECK(a.grad().flat(1) == Approx(-1 / std::sqrt(2.0)).epsilon(1e-12));

    // Split over parameters, with a float32 one beside.
    Variable b(Tensor::zeros({1}, f64), true), c(Tensor::zeros({1}, f32), true);
    a.grad() = Tensor::from_values({3e200, 0}, {2}, f64);
    b.grad() = Tensor::from_values({4e200}, {1}, f64);
    c.grad() = Tensor::from_values({1}, {1}, f32);
    CHECK(clip_grad_norm({a, b, c}, 10.0) == Approx(5e200).epsilon(1e-14));
    CHECK(b.grad().flat(0) == Approx(8.0).epsilon(1e-12));

    // 1e-200 squared underflows to 0: the norm is 5e-200, not 0; nothing is clipped.
    a.grad() = Tensor::from_values({3e-200, 4e-200}, {2}, f64);
    CHECK(clip_grad_norm({a}, 1.0) == Approx(5e-200).epsilon(1e-14));
    CHECK(a.grad().flat(0) == 3e-200);

    // A norm beyond double's range: inf, but the gradients are finite and still clipped.
    Variable d(Tensor::zeros({4}, f64), true);
    d.grad() = Tensor::full({4}, 1e308, f64); // norm 2e308 > DBL_MAX
    CHECK(std::isinf(clip_grad_norm({d}, 3.0)));
    CHECK(d.grad().flat(0) == Approx(1.5).epsilon(1e-12));
    CHECK(d.grad().flat(3) == Approx(1.5).epsilon(1e-12));

    // A real infinity or NaN beside huge finite values is still refused, and names its owner.
    a.grad() = Tensor::from_values({1e200, 1}, {2}, f64);
    b.grad() = Tensor::from_values({std::numeric_limits<double>::infinity()}, {1}, f64);
    CHECK_THROWS_WITH(clip_grad_norm({a, b}, 1.0),
                      Catch::Contains("parameter 1") && Catch::Contains("not finite"));
    CHECK(a.grad().flat(0) == 1e200); // nothing scaled
    CHECK(std::isinf(clip_grad_norm({a, b}, 1.0, false)));
    CHECK(a.grad().flat(0) == 1e200);
    b.grad() = Tensor::from_values({std::nan("")}, {1}, f64);
    CHECK_THROWS_AS(clip_grad_norm({a, b}, 1.0), value_error);
}

TEST_CASE("clip_grad_norm scales to the global norm and reports it", "[optim][clip]")
{
    Variable a(Tensor::zeros({2}, f64), true), b(Tensor::zeros({1}, f64), true),
        none(Tensor::zeros({3}, f64), true);
    a.grad() = Tensor::from_values({3, 0}, {2}, f64);
    b.grad() = Tensor::from_values({4}, {1}, f64);
    Tensor held = a.grad();                                   // someone keeps the old gradient
    CHECK(clip_grad_norm({a, b, none}, 10.0) == Approx(5.0)); // below: unchanged
    CHECK(a.grad().flat(0) == 3.0);
    CHECK(clip_grad_norm({a, b, none}, 1.0) == Approx(5.0));
    CHECK(a.grad().flat(0) == Approx(3.0 / (5.0 + 1e-6)));
    CHECK(b.grad().flat(0) == Approx(4.0 / (5.0 + 1e-6)));
    CHECK(held.flat(0) == 3.0);
    CHECK_FALSE(none.has_grad());
    double after = 0;
    for (const Variable& v : {a, b})
        for (std::size_t i = 0; i < v.numel(); ++i)
            after += v.grad().flat(i) * v.grad().flat(i);
    CHECK(std::sqrt(after) == Approx(1.0).epsilon(1e-5));

    b.grad() = Tensor::from_values({std::numeric_limits<double>::quiet_NaN()}, {1}, f64);
    CHECK_THROWS_WITH(clip_grad_norm({a, b}, 1.0),
                      Catch::Contains("parameter 1") && Catch::Contains("NaN"));
    CHECK(std::isnan(clip_grad_norm({a, b}, 1.0, false)));
    CHECK_THROWS_AS(clip_grad_norm({a}, 0.0), value_error);

    a.grad() = Tensor::from_values({3, -7}, {2}, f64);
    clip_grad_value({a, none}, 2.0);
    CHECK(a.grad().flat(0) == 2.0);
    CHECK(a.grad().flat(1) == -2.0);
}

TEST_CASE("learning-rate schedules", "[optim][schedule]")
{
    Variable p(Tensor::zeros({1}, f64), true);
    {
        SGD opt({p}, sgd_options{1.0});
        StepLR s(opt, 2, 0.5);
        std::vector<double> lrs;
        for (int i = 0; i < 5; ++i)
        {
            s.step();
            lrs.push_back(opt.lr());
        }
        CHECK(lrs == std::vector<double>{1.0, 0.5, 0.5, 0.25, 0.25});
    }
    {
        SGD opt({p}, sgd_options{2.0});
        ExponentialLR s(opt, 0.9);
        s.step();
        s.step();
        CHECK(opt.lr() == Approx(2.0 * 0.81));
    }
    {
        SGD opt({p}, sgd_options{1.0});
        CosineAnnealingLR s(opt, 4, 0.1);
        s.step();
        CHECK(opt.lr() == Approx(0.1 + 0.9 * (1 + std::cos(M_PI / 4)) / 2));
        s.step();
        CHECK(opt.lr() == Approx(0.55));
        s.step();
        s.step();
        s.step();
        CHECK(opt.lr() == Approx(0.1));
    }
    {
        SGD opt({p}, sgd_options{1.0});
        LinearWarmup s(opt, 4, 0.2);
        s.step();
        CHECK(opt.lr() == Approx(0.4));
        for (int i = 0; i < 10; ++i)
            s.step();
        CHECK(opt.lr() == Approx(1.0));
    }
}

TEST_CASE("reduce on plateau and the tutorial's halving rule", "[optim][schedule]")
{
    Variable p(Tensor::zeros({1}, f64), true);
    SGD opt({p}, sgd_options{0.005});
    auto rule = halve_on_rise(opt);
    // Tutorial: halve when the loss is higher than at the previous evaluation.
    const std::vector<double> losses{5.0, 4.0, 4.5, 4.2, 4.2, 4.3, 3.0};
    std::vector<bool> halved;
    for (double l : losses)
        halved.push_back(rule.step(l));
    CHECK(halved == std::vector<bool>{false, false, true, false, false, true, false});
    CHECK(opt.lr() == Approx(0.005 / 4));

    SGD opt2({p}, sgd_options{1.0});
    ReduceLROnPlateau plateau(opt2, 0.1, 1); // PyTorch's: against the best, patience 1
    for (double l : {1.0, 0.5, 0.6, 0.7, 0.4, 0.45})
        plateau.step(l);
    CHECK(opt2.lr() == Approx(0.1)); // 0.6, 0.7: two bad evaluations -> one reduction
}
