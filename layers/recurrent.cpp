#include "xgrad/layers/recurrent.hpp"

#include <algorithm>
#include <cmath>

#include "xgrad/autograd/ops/arithmetic.hpp"
#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/autograd/ops/mask.hpp"
#include "xgrad/autograd/recompute.hpp"
#include "xgrad/autograd/scratch.hpp"
#include "xgrad/autograd/tape.hpp"
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

// The recurrent weight transposed once for a sequence's steps, cleared when the run (or a
// checkpointed segment) ends, normally or by an exception.
struct transposed_weight_guard
{
    ProjectedCell* cell = nullptr;
    transposed_weight_guard(ProjectedCell* c, const Tensor& w_t) : cell(w_t.defined() ? c : nullptr)
    {
        if (cell)
            cell->use_transposed_recurrent_weight(w_t);
    }
    transposed_weight_guard(const transposed_weight_guard&) = delete;
    ~transposed_weight_guard()
    {
        if (cell)
            cell->use_transposed_recurrent_weight(Tensor());
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
                                   const state_list& initial)
{
    return forward_in_layout("Recurrent", x, cell_->input_size(), lengths, batch_first_,
                             [&](const Variable& tx) { return run(tx, lengths, initial); });
}

sequence_output Recurrent::run(const Variable& x, const std::vector<std::size_t>& lengths,
                               const state_list& initial)
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
    Variable dropped_weight; // weight-drop's weight_hh * mask
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
            dropped_weight = cell->weight_hh * Variable(masks_.weight);
            cell->use_recurrent_weight(dropped_weight);
            weight_guard.cell = cell;
        }
    }
    const double zoneout = reg_.zoneout;

    // Steps past the longest sequence change nothing: run only up to it.
    const std::size_t run =
        lengths.empty() ? steps : *std::max_element(lengths.begin(), lengths.end());
    // Every step multiplies h by the same recurrent weight: transposed once here, the steps'
    // products (forward h W^T, backward dgates W) both read it in row order (faster in OpenBLAS;
    // the skinny GEMMs take the small ones without repacking it each step). Not for runs of a
    // few steps (one step at a time while generating), where the copy would cost what it saves.
    auto* transposable = dynamic_cast<ProjectedCell*>(cell_.get());
    Tensor weight_t;
    if (transposable && run >= 4 && transposable->gains_from_transposed_weight(batch, x.dtype()))
    {
        no_grad constant; // w_t is a copy, not an op of the graph: gradients reach W directly
        weight_t =
            transpose(dropped_weight.defined() ? dropped_weight : transposable->weight_hh).data();
    }
    transposed_weight_guard transposed(transposable, weight_t);
    // Zoneout's masks, one per step and state value, drawn before the loop (the cell draws
    // nothing, so the order is the one of drawing them step by step).
    const std::size_t n_state = state.size();
    if (zoneout > 0 && training)
        for (std::size_t t = 0; t < run; ++t)
            for (std::size_t i = 0; i < n_state; ++i)
                masks_.zoneout.push_back(keep_mask({batch, cell_->state_size(i)}, zoneout, *gen_));
    const Variable projected = cell_->project(input);
    // With a gradient_probe active, each step's new state is hooked (see gradient_probe.hpp);
    // without one this is the only cost, plus one branch per step.
    gradient_probe* probe = gradient_probe::active();
    const std::size_t probe_run = probe ? probe->begin_run(*this, *cell_, run, batch, lengths) : 0;

    // One time step: the next state replaces `state`; returns the step's output. Reads only
    // tensors, so that a checkpointed segment can run it again during backward.
    const Tensor state_mask = masks_.state;
    const std::vector<Tensor>& zoneout_masks = masks_.zoneout;
    const dtype dt = x.dtype();
    // (Copies: a checkpointed segment runs it after run() returned. The lengths are copied into
    // a pooled tensor block, not a vector, so that a forward allocates nothing.)
    Tensor length_block;
    if (!lengths.empty())
    {
        length_block = Tensor::empty({lengths.size()}, i64);
        std::copy(lengths.begin(), lengths.end(), length_block.data<std::int64_t>());
    }
    auto advance = [this, batch, n_state, zoneout, training, state_mask, dt,
                    length_block](std::size_t t, const Variable& xp, cell_state& state,
                                  const Tensor* zoneout_step, cell_state* watched) {
        const std::int64_t* lengths_at =
            length_block.defined() ? length_block.data<std::int64_t>() : nullptr;
        cell_state next;
        if (state_mask.defined())
        {
            cell_state fed = state;
            fed[0] = state[0] * Variable(state_mask);
            next = cell_->step(xp, fed);
        }
        else
            next = cell_->step(xp, state);
        if (zoneout > 0)
            for (std::size_t i = 0; i < n_state; ++i)
                next[i] = training ? where(zoneout_step[i], state[i], next[i])
                                   : zoneout * state[i] + (1.0 - zoneout) * next[i]; // expected
        if (watched)
            *watched = next;
        const auto step = static_cast<std::int64_t>(t);
        const bool some_ended =
            lengths_at && std::any_of(lengths_at, lengths_at + batch,
                                      [step](std::int64_t l) { return l <= step; });
        if (!some_ended)
        {
            Variable out = next[0];
            state = std::move(next);
            return out;
        }
        // A sequence that has ended keeps its state and outputs zeros.
        scratch_vector<std::uint8_t> keep_flags; // pooled: no allocation per step
        std::vector<std::uint8_t>& keep = *keep_flags;
        keep.resize(batch);
        for (std::size_t b = 0; b < batch; ++b)
            keep[b] = lengths_at[b] > step;
        Variable out = where_rows(keep, next[0], Variable(Tensor::zeros(next[0].shape(), dt)));
        for (std::size_t i = 0; i < n_state; ++i)
            state[i] = where_rows(keep, next[i], state[i]);
        return out;
    };
    const auto zoneout_at = [&](std::size_t t) {
        return zoneout > 0 && training ? &zoneout_masks[t * n_state] : nullptr;
    };

    Variable output;
    const std::size_t every = checkpoint_ == checkpoint_sqrt
                                  ? static_cast<std::size_t>(std::ceil(std::sqrt(double(run))))
                                  : checkpoint_;
    if (every > 0 && every < run && !probe && is_grad_enabled())
    {
        // Checkpointed BPTT: segments of `every` steps, each one recompute() node whose inputs
        // are the projection and the state it starts from (plus weight-drop's
        // masked weight: a value computed outside the segment), whose outputs are its outputs
        // and the state it ends in. What a segment's steps record lives only while backward
        // runs through it.
        // Where the last step's output is the final h itself, the segment does not output it
        // twice: it is taken from the state after the loop, so that its gradient from the
        // output arrives before the next segment's, in the order of an unsegmented run (the
        // gradients are then bit-identical).
        auto* projected_cell = weight_guard.cell;
        const Variable& dropped = dropped_weight;
        struct segment_result
        {
            Variable outputs; // [steps, B, H], undefined when that is none
            Variable last;    // the last step's output when it is the final h
        };
        std::vector<segment_result> segments;
        for (std::size_t t0 = 0; t0 < run; t0 += every)
        {
            const std::size_t len = std::min(every, run - t0), t_last = t0 + len - 1;
            const bool ends_in_state = std::all_of(lengths.begin(), lengths.end(),
                                                   [t_last](std::size_t l) { return l > t_last; });
            const std::size_t stacked = ends_in_state ? len - 1 : len;
            // The whole projection, not a slice (a copy): each segment's steps select their rows,
            // and its gradient buffer passes from segment to segment.
            std::vector<Variable> in{projected};
            in.insert(in.end(), state.begin(), state.end());
            if (dropped.defined())
                in.push_back(dropped);
            std::vector<Tensor> zmasks;
            if (zoneout > 0 && training)
                zmasks.assign(zoneout_masks.begin() + t0 * n_state,
                              zoneout_masks.begin() + (t0 + len) * n_state);
            const auto segment = [advance, zmasks, t0, len, stacked, n_state, projected_cell,
                                  has_dropped = dropped.defined(), transposable,
                                  weight_t](const std::vector<Variable>& in) {
                recurrent_weight_guard use;
                // Also when backward runs the segment again, after run() has returned.
                transposed_weight_guard transposed(transposable, weight_t);
                if (has_dropped)
                {
                    projected_cell->use_recurrent_weight(in.back());
                    use.cell = projected_cell;
                }
                cell_state s(in.begin() + 1, in.begin() + 1 + n_state);
                std::vector<Variable> outs;
                outs.reserve(len);
                for (std::size_t t = t0; t < t0 + len; ++t)
                    outs.push_back(advance(t, select(in[0], 0, t), s,
                                           zmasks.empty() ? nullptr : &zmasks[(t - t0) * n_state],
                                           nullptr));
                std::vector<Variable> result;
                if (stacked > 0)
                    result.push_back(
                        stack(std::vector<Variable>(outs.begin(), outs.begin() + stacked), 0));
                result.insert(result.end(), s.begin(), s.end());
                return result;
            };
            std::vector<Variable> r = recompute("recurrent_segment", segment, in);
            const std::size_t first_state = stacked > 0 ? 1 : 0;
            state = cell_state(r.begin() + first_state, r.end());
            segments.push_back(
                {stacked > 0 ? r[0] : Variable(), ends_in_state ? state[0] : Variable()});
        }
        std::vector<Variable> pieces;
        for (const segment_result& sr : segments)
        {
            if (sr.outputs.defined())
                pieces.push_back(sr.outputs);
            if (sr.last.defined())
                pieces.push_back(unsqueeze(sr.last, 0));
        }
        if (run < steps)
            pieces.emplace_back(Tensor::zeros({steps - run, batch, hidden}, dt));
        output = concat(pieces, 0);
    }
    else
    {
        // The per-step outputs until they are stacked: a pooled vector, not one per call.
        scratch_vector<Variable> scratch;
        std::vector<Variable>& outputs = *scratch;
        outputs.reserve(steps);
        for (std::size_t t = 0; t < run; ++t)
        {
            cell_state next;
            outputs.push_back(
                advance(t, select(projected, 0, t), state, zoneout_at(t), probe ? &next : nullptr));
            if (probe)
                probe->watch(probe_run, t, next);
        }
        for (std::size_t t = run; t < steps; ++t)
            outputs.emplace_back(Tensor::zeros({batch, hidden}, dt));
        output = stack(outputs, 0);
    }
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
    const std::string every = checkpoint_ == 0 ? ""
                              : checkpoint_ == checkpoint_sqrt
                                  ? ", checkpoint_every=sqrt(T)"
                                  : fmt::format(", checkpoint_every={}", checkpoint_);
    return fmt::format("Recurrent({}{}{}{})", cell_->describe(), describe_options(reg_), every,
                       batch_first_ ? ", batch_first" : "");
}

} // namespace xgrad::nn
