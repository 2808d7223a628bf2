// xgrad-demo: fits y = sin(3x) with a small tanh network using only the engine (no modules yet),
// printing the loss as it falls, then gradient-checks the same model in float64.
#include <cmath>
#include <string>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "xgrad/autograd/autograd.hpp"

using namespace xgrad;

namespace
{

struct options
{
    std::size_t steps = 2000, hidden = 32;
    double lr = 0.1;
    std::uint64_t seed = 1;
};

options parse(int argc, char** argv)
{
    options o;
    cli::flags f("usage: xgrad-demo [--steps N] [--lr X] [--hidden H] [--seed S]\n"
                 "Fits y = sin(3x) on [-1, 1] with a tanh network (1 -> H -> 1), printing the\n"
                 "mean squared error every tenth of the run, then a float64 gradient check.");
    f.add("steps", o.steps, "SGD steps").in_range(1, 100000000);
    f.add("lr", o.lr, "learning rate").positive().at_most(1e6);
    f.add("hidden", o.hidden, "hidden units").in_range(1, 65536);
    f.add("seed", o.seed, "random seed", 0);
    f.parse(argc, argv);
    return o;
}

Variable uniform_param(const shape_t& shape, double bound, generator& g, dtype dt)
{
    Tensor t = Tensor::empty(shape, f64);
    for (std::size_t i = 0; i < t.numel(); ++i)
        t.data<double>()[i] = g.uniform(-bound, bound);
    return Variable(t.to(dt), true);
}

struct mlp
{
    Variable w1, b1, w2, b2;
    Variable operator()(const Variable& x) const { return linear(tanh(linear(x, w1, b1)), w2, b2); }
    std::vector<Variable> parameters() const { return {w1, b1, w2, b2}; }
};

mlp make_mlp(std::size_t hidden, std::uint64_t seed, dtype dt)
{
    generator g(seed);
    const double b2 = 1.0 / std::sqrt(static_cast<double>(hidden));
    return {uniform_param({hidden, 1}, 1.0, g, dt), uniform_param({hidden}, 1.0, g, dt),
            uniform_param({1, hidden}, b2, g, dt), uniform_param({1}, b2, g, dt)};
}

} // namespace

int main(int argc, char** argv)
{
    const options opt = parse(argc, argv);
    const std::size_t n = 64;
    Tensor xs = Tensor::empty({n, 1}), ys = Tensor::empty({n, 1});
    for (std::size_t i = 0; i < n; ++i)
    {
        const double x = -1.0 + 2.0 * static_cast<double>(i) / (n - 1);
        xs.data<float>()[i] = static_cast<float>(x);
        ys.data<float>()[i] = static_cast<float>(std::sin(3 * x));
    }
    const Variable x(xs), y(ys);

    mlp model = make_mlp(opt.hidden, opt.seed, f32);
    fmt::print("xgrad demo: fit sin(3x) with 1 -> {} -> 1 tanh network, SGD lr {}, {} steps\n",
               opt.hidden, opt.lr, opt.steps);
    double first = 0, last = 0;
    for (std::size_t step = 1; step <= opt.steps; ++step)
    {
        Variable diff = model(x) - y;
        Variable loss = mean(diff * diff);
        loss.backward();
        {
            no_grad guard;
            for (const Variable& p : model.parameters())
            {
                float* w = p.data().data<float>();
                const float* g = p.grad().data<float>();
                for (std::size_t i = 0; i < p.numel(); ++i)
                    w[i] -= static_cast<float>(opt.lr) * g[i];
                p.zero_grad();
            }
        }
        last = loss.item();
        if (step == 1)
            first = last;
        if (step == 1 || step % std::max<std::size_t>(1, opt.steps / 10) == 0)
            fmt::print("step {:>6}  loss {:.6f}\n", step, last);
    }
    fmt::print("loss fell from {:.6f} to {:.6f} ({:.1f}x)\n\n", first, last, first / last);

    // The same architecture in float64, checked against central differences.
    mlp check = make_mlp(8, opt.seed, f64);
    const Variable xd(xs.to(f64)), yd(ys.to(f64));
    gradcheck_options gopt;
    gopt.names = {"w1", "b1", "w2", "b2"};
    const auto report = gradcheck(
        [&](const std::vector<Variable>&) {
            Variable diff = check(xd) - yd;
            return mean(diff * diff);
        },
        check.parameters(), gopt);
    fmt::print("gradient check (float64, central differences, 1 -> 8 -> 1):\n{}", report.table());
    fmt::print("gradcheck: {}\n", report.ok() ? "all gradients match" : "MISMATCH");
    const bool learned = last < 0.5 * first;
    if (!learned)
        fmt::print(stderr, "xgrad-demo: the loss did not halve\n");
    return report.ok() && learned ? 0 : 1;
}
