#include "xgrad/autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>

#include "xgrad/autograd/ops/arithmetic.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// The scalar whose gradient is checked: f's output itself, or its projection onto R.
double project(const Tensor& y, const Tensor& r)
{
    if (!r.defined())
        return y.item();
    double s = 0;
    const double* py = y.data<double>();
    const double* pr = r.data<double>();
    for (std::size_t i = 0; i < y.numel(); ++i)
        s += py[i] * pr[i];
    return s;
}

Variable evaluate(const std::function<Variable(const std::vector<Variable>&)>& f,
                  const std::vector<Variable>& inputs)
{
    Variable y = f(inputs);
    if (!y.defined() || y.dtype() != f64)
        fail<value_error>("gradcheck: f must return a defined float64 value");
    return y;
}

} // namespace

bool gradcheck_report::ok() const
{
    for (const auto& e : entries)
        if (!e.ok)
            return false;
    return true;
}

std::string gradcheck_report::table() const
{
    // Columns as wide as their longest entry ("encoder.rnn.weight_hh_l0_reverse"), at least
    // the default widths.
    std::size_t name_w = 24, shape_w = 14;
    for (const auto& e : entries)
    {
        name_w = std::max(name_w, e.name.size());
        shape_w = std::max(shape_w, to_string(e.shape).size());
    }
    std::string out = fmt::format("{:<{}} {:<{}} {:>11} {:>11} {:>8} {:>13} {:>13}  {}\n", "input",
                                  name_w, "shape", shape_w, "max abs err", "max rel err", "worst",
                                  "analytic", "numeric", "result");
    for (const auto& e : entries)
        out +=
            fmt::format("{:<{}} {:<{}} {:>11.3e} {:>11.3e} {:>8} {:>13.6e} {:>13.6e}  {}\n", e.name,
                        name_w, to_string(e.shape), shape_w, e.max_abs_error, e.max_rel_error,
                        e.worst_index, e.analytic, e.numeric, e.ok ? "ok" : "FAIL");
    return out;
}

gradcheck_report gradcheck(const std::function<Variable(const std::vector<Variable>&)>& f,
                           const std::vector<Variable>& inputs, const gradcheck_options& opt)
{
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i].defined() || inputs[i].dtype() != f64)
            fail<value_error>("gradcheck: input {} must be a defined float64 value (convert with "
                              ".to(xgrad::f64))",
                              i);

    // Analytic gradients, leaving the inputs' own accumulated gradients as they were.
    std::vector<Tensor> saved(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
    {
        saved[i] = inputs[i].grad();
        inputs[i].zero_grad();
    }
    Tensor projection;
    {
        Variable y = evaluate(f, inputs);
        if (y.numel() != 1)
        {
            generator gen(opt.seed);
            projection = Tensor::empty(y.shape(), f64);
            for (std::size_t i = 0; i < projection.numel(); ++i)
                projection.data<double>()[i] = gen.normal();
        }
        if (y.requires_grad())
            // In y's dtype: backward() refuses a seed of another one (f may end in a cast).
            y.backward(projection.defined() ? projection.to(y.dtype())
                                            : Tensor::ones(y.shape(), y.dtype()));
    }
    std::vector<Tensor> analytic(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
    {
        analytic[i] = inputs[i].grad();
        inputs[i].grad() = saved[i];
    }

    gradcheck_report report;
    no_grad guard;
    for (std::size_t i = 0; i < inputs.size(); ++i)
    {
        if (!inputs[i].requires_grad())
            continue;
        gradcheck_entry e;
        e.name = i < opt.names.size() ? opt.names[i] : fmt::format("input {}", i);
        e.shape = inputs[i].shape();
        double* x = inputs[i].data().data<double>();
        double worst_excess = -1;
        for (std::size_t k = 0; k < inputs[i].numel(); ++k)
        {
            const double x0 = x[k];
            x[k] = x0 + opt.eps;
            const double up = project(evaluate(f, inputs).data(), projection);
            x[k] = x0 - opt.eps;
            const double down = project(evaluate(f, inputs).data(), projection);
            x[k] = x0;
            const double n = (up - down) / (2 * opt.eps);
            // An input the output does not depend on has no gradient at all: that is zero.
            const double a = analytic[i].defined() ? analytic[i].data<double>()[k] : 0.0;
            const double abs_err = std::abs(a - n);
            const double scale = std::max(std::abs(a), std::abs(n));
            const double rel_err = scale == 0.0 ? 0.0 : abs_err / scale; // 0/0 is a match
            const double excess = abs_err - (opt.atol + opt.rtol * std::abs(n));
            e.max_abs_error = std::max(e.max_abs_error, abs_err);
            e.max_rel_error = std::max(e.max_rel_error, rel_err);
            if (excess > worst_excess || std::isnan(abs_err))
            {
                worst_excess = std::isnan(abs_err) ? INFINITY : excess;
                e.worst_index = k;
                e.analytic = a;
                e.numeric = n;
            }
            if (!(excess <= 0))
                e.ok = false;
        }
        report.entries.push_back(std::move(e));
    }
    return report;
}

} // namespace xgrad
