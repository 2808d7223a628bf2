#include "xgrad/layers/gradient_probe.hpp"

#include <algorithm>
#include <cmath>

#include "xgrad/autograd/tape.hpp"
#include "xgrad/layers/recurrent.hpp"

namespace xgrad::nn
{

namespace
{
thread_local gradient_probe* current_probe = nullptr;

void check_index(const gradient_trace& tr, std::size_t k, std::size_t t, std::size_t b)
{
    if (k >= tr.state_count || t >= tr.steps || b >= tr.batch)
        fail<value_error>("gradient_trace: state {}, step {}, row {} is outside a trace of {} "
                          "state tensors, {} steps, {} rows",
                          k, t, b, tr.state_count, tr.steps, tr.batch);
}
} // namespace

struct gradient_probe::storage
{
    std::vector<gradient_trace> traces;
};

double gradient_trace::row_norm(std::size_t k, std::size_t t, std::size_t b) const
{
    check_index(*this, k, t, b);
    return norms[k][t * batch + b];
}

double gradient_trace::mean_norm(std::size_t k, std::size_t t) const
{
    check_index(*this, k, t, 0);
    double sum = 0;
    std::size_t rows = 0;
    for (std::size_t b = 0; b < batch; ++b)
        if (t < lengths[b])
        {
            sum += norms[k][t * batch + b];
            ++rows;
        }
    // steps is the longest length, so some row runs at every t < steps.
    return sum / static_cast<double>(rows);
}

std::vector<double> gradient_trace::mean_norms(std::size_t k) const
{
    std::vector<double> out(steps);
    for (std::size_t t = 0; t < steps; ++t)
        out[t] = mean_norm(k, t);
    return out;
}

gradient_probe::gradient_probe() : store_(std::make_shared<storage>()), prev_(current_probe)
{
    current_probe = this;
}

gradient_probe::~gradient_probe()
{
    current_probe = prev_;
}

gradient_probe* gradient_probe::active() noexcept
{
    return current_probe;
}

const std::vector<gradient_trace>& gradient_probe::traces() const
{
    return store_->traces;
}

const gradient_trace& gradient_probe::trace(std::size_t layer, std::size_t direction) const
{
    const auto& all = store_->traces;
    for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (it->layer == layer && it->direction == direction)
            return *it;
    std::string seen;
    for (const gradient_trace& t : all)
        seen += fmt::format("{}(layer {}, direction {})", seen.empty() ? "" : ", ", t.layer,
                            t.direction);
    fail<value_error>("gradient_probe.trace: no run of layer {} direction {} was recorded ({})",
                      layer, direction, seen.empty() ? "nothing was" : seen);
}

void gradient_probe::clear()
{
    store_ = std::make_shared<storage>();
}

std::size_t gradient_probe::begin_run(const Recurrent& module, const Cell& cell, std::size_t steps,
                                      std::size_t batch, const std::vector<std::size_t>& lengths)
{
    gradient_trace tr;
    tr.module = &module;
    tr.cell = cell.describe();
    tr.layer = layer_;
    tr.direction = direction_;
    tr.steps = steps;
    tr.batch = batch;
    tr.state_count = cell.state_count();
    tr.lengths = lengths.empty() ? std::vector<std::size_t>(batch, steps) : lengths;
    tr.norms.assign(tr.state_count, std::vector<double>(steps * batch, 0.0));
    store_->traces.push_back(std::move(tr));
    return store_->traces.size() - 1;
}

void gradient_probe::watch(std::size_t run, std::size_t t, const cell_state& next)
{
    if (run >= store_->traces.size() || t >= store_->traces[run].steps)
        fail<value_error>("gradient_probe.watch: run {} step {} was not begun ({} runs)", run, t,
                          store_->traces.size());
    const std::size_t count = std::min(next.size(), store_->traces[run].state_count);
    for (std::size_t k = 0; k < count; ++k)
    {
        if (!next[k].requires_grad())
            continue;
        // The hook sees the complete dL/ds_{k,t} (every later use has contributed) and returns
        // nothing, so the gradient goes on unchanged. It holds the storage, not the probe.
        register_hook(
            next[k],
            [store = store_, run, t, k](const Tensor& g) -> std::optional<Tensor> {
                gradient_trace& tr = store->traces[run];
                const std::size_t width = g.dim() == 2 ? g.shape()[1] : 0;
                if (g.dim() != 2 || g.shape()[0] != tr.batch)
                    return std::nullopt; // not a [B, H] state: nothing to measure
                double* out = tr.norms[k].data() + t * tr.batch;
                dispatch(g.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    const T* d = g.data<T>();
                    for (std::size_t b = 0; b < tr.batch; ++b)
                    {
                        double sq = 0;
                        for (std::size_t j = 0; j < width; ++j)
                        {
                            const double v = static_cast<double>(d[b * width + j]);
                            sq += v * v;
                        }
                        out[b] = std::sqrt(sq);
                    }
                });
                return std::nullopt;
            },
            "gradient_probe");
    }
}

gradient_probe::label_scope::label_scope(std::size_t gradient_probe::*label, std::size_t value)
    : slot_(current_probe ? &(current_probe->*label) : nullptr)
{
    if (slot_)
    {
        prev_ = *slot_;
        *slot_ = value;
    }
}

gradient_probe::label_scope::~label_scope()
{
    if (slot_)
        *slot_ = prev_;
}

} // namespace xgrad::nn
