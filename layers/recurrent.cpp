#include "xgrad/layers/recurrent.hpp"

#include <algorithm>

#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/autograd/ops/mask.hpp"
#include "xgrad/autograd/scratch.hpp"
#include "xgrad/layers/gradient_probe.hpp"

namespace xgrad::nn
{

Recurrent::Recurrent(std::shared_ptr<Cell> cell, bool batch_first)
    : cell_(std::move(cell)), batch_first_(batch_first)
{
    register_module("cell", cell_);
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

    // Steps past the longest sequence change nothing: run only up to it.
    const std::size_t run =
        lengths.empty() ? steps : *std::max_element(lengths.begin(), lengths.end());
    const Variable projected = cell_->project(x);
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
        cell_state next = cell_->step(select(projected, 0, t), state);
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
    return {stack(outputs, 0), {state}};
}

std::string Recurrent::describe() const
{
    return fmt::format("Recurrent({}{})", cell_->describe(), batch_first_ ? ", batch_first" : "");
}

} // namespace xgrad::nn
