#include "xgrad/layers/recurrent.hpp"

#include <algorithm>

#include "xgrad/autograd/ops/arithmetic.hpp"
#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/autograd/ops/mask.hpp"
#include "xgrad/autograd/scratch.hpp"
#include "xgrad/layers/gradient_probe.hpp"
#include "xgrad/layers/projected_cell.hpp"

namespace xgrad::nn
{
namespace
{

// Inverted dropout's mask: 0 with probability p, else 1/(1-p).
Tensor dropout_mask(const shape_t& shape, double p, dtype dt, generator& g)
{
    Tensor m = Tensor::empty(shape, dt);
    const double scale = 1.0 / (1.0 - p);
    dispatch(dt, [&](auto tag) {
        using T = decltype(tag);
        T* d = m.data<T>();
        for (std::size_t i = 0; i < m.numel(); ++i)
            d[i] = g.uniform() < p ? T(0) : static_cast<T>(scale);
    });
    return m;
}

// Zoneout's mask: 1 (keep the previous value) with probability p.
Tensor keep_mask(const shape_t& shape, double p, generator& g)
{
    Tensor m = Tensor::empty(shape, f32);
    float* d = m.data<float>();
    for (std::size_t i = 0; i < m.numel(); ++i)
        d[i] = g.uniform() < p ? 1.0f : 0.0f;
    return m;
}

// Ends weight-drop when a run ends, normally or by an exception.
struct recurrent_weight_guard
{
    ProjectedCell* cell = nullptr;
    ~recurrent_weight_guard()
    {
        if (cell)
            cell->use_recurrent_weight(Variable());
    }
};

} // namespace

Recurrent::Recurrent(std::shared_ptr<Cell> cell, bool batch_first)
    : cell_(std::move(cell)), batch_first_(batch_first)
{
    register_module("cell", cell_);
}

Recurrent::Recurrent(std::shared_ptr<Cell> cell, const sequence_regularisers& r, generator& g,
                     bool batch_first)
    : Recurrent(std::move(cell), batch_first)
{
    const std::pair<const char*, double> probabilities[] = {{"input_dropout", r.input_dropout},
                                                            {"state_dropout", r.state_dropout},
                                                            {"output_dropout", r.output_dropout},
                                                            {"zoneout", r.zoneout},
                                                            {"weight_drop", r.weight_drop}};
    for (const auto& [name, p] : probabilities)
        if (!(p >= 0.0 && p < 1.0))
            fail<value_error>("Recurrent: {} {} is outside [0, 1)", name, p);
    if (r.weight_drop > 0 && !dynamic_cast<ProjectedCell*>(cell_.get()))
        fail<value_error>("Recurrent: weight_drop needs a cell with a weight_hh (RNNCell, "
                          "LSTMCell, GRUCell), not {}",
                          cell_->describe());
    reg_ = r;
    gen_ = &g;
}

sequence_output Recurrent::forward(const Variable& x, const std::vector<std::size_t>& lengths,
                                   const std::vector<cell_state>& initial)
{
    return forward_in_layout("Recurrent", x, cell_->input_size(), lengths, batch_first_,
                             [&](const Variable& tx) { return run(tx, lengths, initial); });
}

sequence_output Recurrent::run(const Variable& x, const std::vector<std::size_t>& lengths,
                               const std::vector<cell_state>& initial)
{
    const std::size_t steps = x.shape()[0], batch = x.shape()[1], hidden = cell_->state_size(0);
    if (initial.size() > 1)
        fail<shape_error>("Recurrent: {} initial states given, expected 1", initial.size());
    cell_state state = initial.empty() ? cell_->zero_state(batch, x.dtype()) : initial[0];
    cell_->check_state("Recurrent", state, batch);

    // Regularisers (layers/regularisers.hpp): masks drawn in a fixed order, kept for reading.
    const bool training = is_training() && reg_.any();
    masks_ = regulariser_masks{};
    Variable input = x;
    recurrent_weight_guard weight_guard;
    if (training)
    {
        if (reg_.input_dropout > 0)
        {
            masks_.input =
                dropout_mask({1, batch, cell_->input_size()}, reg_.input_dropout, x.dtype(), *gen_);
            input = x * Variable(masks_.input);
        }
        if (reg_.state_dropout > 0)
            masks_.state =
                dropout_mask({batch, cell_->state_size(0)}, reg_.state_dropout, x.dtype(), *gen_);
        if (reg_.output_dropout > 0)
            masks_.output = dropout_mask({1, batch, cell_->state_size(0)}, reg_.output_dropout,
                                         x.dtype(), *gen_);
        if (reg_.weight_drop > 0)
        {
            auto* cell = static_cast<ProjectedCell*>(cell_.get());
            masks_.weight = dropout_mask(cell->weight_hh.shape(), reg_.weight_drop,
                                         cell->weight_hh.dtype(), *gen_);
            cell->use_recurrent_weight(cell->weight_hh * Variable(masks_.weight));
            weight_guard.cell = cell;
        }
    }
    const double zoneout = reg_.zoneout;

    // Steps past the longest sequence change nothing: run only up to it.
    const std::size_t run =
        lengths.empty() ? steps : *std::max_element(lengths.begin(), lengths.end());
    const Variable projected = cell_->project(input);
    // With a gradient_probe active, each step's new state is hooked (see gradient_probe.hpp);
    // without one this is the only cost, plus one branch per step.
    gradient_probe* probe = gradient_probe::active();
    const std::size_t probe_run = probe ? probe->begin_run(*this, *cell_, run, batch, lengths) : 0;
    // The per-step outputs until they are stacked: a pooled vector, not one per call.
    detail::scratch_vector<Variable> scratch;
    std::vector<Variable>& outputs = *scratch;
    outputs.reserve(steps);
    std::vector<std::uint8_t> keep; // which sequences are still running, once some have ended
    for (std::size_t t = 0; t < run; ++t)
    {
        cell_state next;
        if (masks_.state.defined())
        {
            cell_state fed = state;
            fed[0] = state[0] * Variable(masks_.state);
            next = cell_->step(select(projected, 0, t), fed);
        }
        else
            next = cell_->step(select(projected, 0, t), state);
        if (zoneout > 0)
            for (std::size_t i = 0; i < next.size(); ++i)
            {
                if (training)
                {
                    masks_.zoneout.push_back(keep_mask(next[i].shape(), zoneout, *gen_));
                    next[i] = where(masks_.zoneout.back(), state[i], next[i]);
                }
                else // the expectation
                    next[i] = zoneout * state[i] + (1.0 - zoneout) * next[i];
            }
        if (probe)
            probe->watch(probe_run, t, next);
        const bool some_ended =
            std::any_of(lengths.begin(), lengths.end(), [t](std::size_t l) { return l <= t; });
        if (!some_ended)
        {
            outputs.push_back(next[0]);
            state = std::move(next);
            continue;
        }
        // A sequence that has ended keeps its state and outputs zeros.
        keep.resize(batch);
        for (std::size_t b = 0; b < batch; ++b)
            keep[b] = lengths[b] > t;
        outputs.push_back(
            where_rows(keep, next[0], Variable(Tensor::zeros(next[0].shape(), x.dtype()))));
        for (std::size_t i = 0; i < state.size(); ++i)
            state[i] = where_rows(keep, next[i], state[i]);
    }
    for (std::size_t t = run; t < steps; ++t)
        outputs.emplace_back(Tensor::zeros({batch, hidden}, x.dtype()));
    Variable output = stack(outputs, 0);
    if (masks_.output.defined())
        output = output * Variable(masks_.output);
    return {output, {state}};
}

std::string describe_options(const sequence_regularisers& r)
{
    std::string out;
    const std::pair<const char*, double> named[] = {{"input_dropout", r.input_dropout},
                                                    {"state_dropout", r.state_dropout},
                                                    {"output_dropout", r.output_dropout},
                                                    {"zoneout", r.zoneout},
                                                    {"weight_drop", r.weight_drop}};
    for (const auto& [name, p] : named)
        if (p > 0)
            out += fmt::format(", {}={}", name, p);
    return out;
}

std::string Recurrent::describe() const
{
    return fmt::format("Recurrent({}{}{})", cell_->describe(), describe_options(reg_),
                       batch_first_ ? ", batch_first" : "");
}

} // namespace xgrad::nn
