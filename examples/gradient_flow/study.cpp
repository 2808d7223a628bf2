#include "examples/gradient_flow/study.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/core.h>

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/gradient_probe.hpp"
#include "xgrad/layers/spectral.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/clip.hpp"

namespace flow
{

using namespace xgrad;

namespace
{

// The probe's batch-mean norms of the latest run of layer 0, one row per step and state.
void norm_rows(const nn::gradient_probe& probe, const variant& v, std::uint64_t seed,
               std::size_t step, double clip, std::vector<std::string>& rows)
{
    const nn::gradient_trace& tr = probe.trace(0);
    const char* names[] = {"h", "c"};
    for (std::size_t k = 0; k < tr.state_count && k < 2; ++k)
    {
        const std::vector<double> m = tr.mean_norms(k);
        for (std::size_t t = 0; t < tr.steps; ++t)
            rows.push_back(fmt::format("{},{},{},{},{},{:.6e},{},{:g}", v.cell, v.init, seed, step,
                                       tr.steps - 1 - t, m[t], names[k], clip));
    }
}

} // namespace

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string f; std::getline(ss, f, sep);)
        out.push_back(f);
    return out;
}

void measure_at_init(const variant& v, const task& t, const study_options& o, std::uint64_t seed,
                     std::size_t seeds, std::vector<std::string>& norms,
                     std::vector<std::string>& spectrum)
{
    for (std::uint64_t s = seed; s < seed + seeds; ++s)
    {
        generator g(s), data(s + 1000003);
        flow_model m(v, t, o.hidden, g);
        m.to(f64); // float64: far steps' gradients can be far below float32's range
        const task_batch b = t.sample(o.batch, data, f64);
        nn::gradient_probe probe;
        m.loss(m.forward(b.x), b).backward();
        norm_rows(probe, v, s, 0, 0.0, norms);
        const Tensor w = m.recurrent_block();
        spectrum.push_back(fmt::format("{},{},{},{:.6f},{:.6f}", v.cell, v.init, s,
                                       nn::largest_singular_value(w).value,
                                       nn::spectral_radius(w).value));
    }
}

void train_run(const variant& v, const task& t, const study_options& o, double clip,
               std::uint64_t seed, std::vector<std::string>& training,
               std::vector<std::string>& norms,
               const std::function<void(std::size_t, double)>& report)
{
    generator g(seed), data(seed + 1000003), held(seed + 2000003);
    flow_model m(v, t, o.hidden, g);
    const task_batch eval_batch = t.sample(o.eval_batch, held, f32);
    const std::vector<Variable> params = m.parameters();
    optim::Adam opt(params, optim::adam_options{o.lr});
    // No clipping still measures the norm: an infinite threshold never scales.
    const double limit = clip > 0 ? clip : std::numeric_limits<double>::infinity();
    optim::clip_stats stats;
    double loss_sum = 0, norm_sum = 0;
    std::size_t in_interval = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t step = 1; step <= o.steps; ++step)
    {
        const task_batch b = t.sample(o.batch, data, f32);
        opt.zero_grad();
        const bool probe_now = o.probe_every > 0 && (step % o.probe_every == 0 || step == o.steps);
        Variable loss;
        if (probe_now)
        {
            nn::gradient_probe probe; // active for this step's forward and backward only
            loss = m.loss(m.forward(b.x), b);
            loss.backward();
            norm_rows(probe, v, seed, step, clip, norms);
        }
        else
        {
            loss = m.loss(m.forward(b.x), b);
            loss.backward();
        }
        const double norm = optim::clip_grad_norm(params, limit, stats, false);
        opt.step();
        loss_sum += loss.item();
        norm_sum += norm;
        ++in_interval;
        report(step, loss.item());
        if (step % o.eval_every == 0 || step == o.steps)
        {
            double eval_loss, eval_acc;
            {
                no_grad guard;
                const Variable out = m.forward(eval_batch.x);
                eval_loss = m.loss(out, eval_batch).item();
                eval_acc = m.accuracy(out, eval_batch);
            }
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            training.push_back(
                fmt::format("{},{},{:g},{},{},{:.6g},{:.6g},{:.4f},{:.6g},{:.4f},{:.1f}", v.cell,
                            v.init, clip, seed, step, loss_sum / in_interval, eval_loss, eval_acc,
                            norm_sum / in_interval, stats.clipped_fraction(), seconds));
            loss_sum = norm_sum = 0;
            in_interval = 0;
            stats.reset();
        }
    }
}

double log10_slope(const std::vector<std::string>& norm_rows, const variant& v, std::uint64_t seed)
{
    const std::string seed_text = std::to_string(seed);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    std::size_t n = 0;
    for (const std::string& r : norm_rows)
    {
        const std::vector<std::string> f = split(r);
        if (f.size() != 8 || f[0] != v.cell || f[1] != v.init || f[2] != seed_text || f[3] != "0" ||
            f[6] != "h")
            continue;
        const double x = std::stod(f[4]), norm = std::stod(f[5]);
        if (x == 0 || !(norm > 0))
            continue;
        const double y = std::log10(norm);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        ++n;
    }
    if (n < 2)
        return std::numeric_limits<double>::quiet_NaN();
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

} // namespace flow
