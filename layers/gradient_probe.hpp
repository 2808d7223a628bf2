// gradient_probe: watches how much gradient reaches each time step of the sequence layers, to see
// vanishing and exploding gradients. While a probe lives on a thread, every run of a Recurrent
// layer on that thread (and so every layer built on it: Bidirectional, Stacked, RNN, LSTM, GRU)
// hooks each step's new state with register_hook (autograd/tape.hpp). The next backward() then
// records, for every step t and every state tensor k of the cell (k = 0: h_t; k = 1: c_t for an
// LSTM), the per-row L2 norms of the total gradient dL/ds_{k,t}: the gradient arriving through
// the step's output and through the steps after it. The hooks return nothing, so gradients are
// exactly those of a run without the probe.
//
//   nn::gradient_probe probe;                     // watch the forward passes from here on
//   auto out = lstm.forward(x, lengths);
//   loss(out).backward();
//   std::vector<double> h = probe.trace(0).mean_norms(0);   // layer 0, forward: ||dL/dh_t||
//   std::vector<double> c = probe.trace(0).mean_norms(1);   //                   ||dL/dc_t||
//
// Without a probe, a run costs one thread-local read and one branch per step.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "xgrad/layers/cell.hpp"

namespace xgrad::nn
{

class Recurrent;

// What a probe recorded for one run of one Recurrent layer (one direction of one layer in one
// forward pass).
struct gradient_trace
{
    const Recurrent* module = nullptr; // the layer that ran (for identification only)
    std::string cell;                  // its cell's describe()
    std::size_t layer = 0;     // index of the layer in the innermost Stacked (0 outside one)
    std::size_t direction = 0; // 0, or 1 for the backward layer of a Bidirectional
    std::size_t steps = 0;     // steps run: T, or the longest length when lengths were given
    std::size_t batch = 0;
    std::size_t state_count = 0;      // tensors in the cell's state: 1 (h), 2 for an LSTM (h, c)
    std::vector<std::size_t> lengths; // one per row: the given lengths, or T for every row
    // norms[k][t * batch + b] = ||dL/ds_{k,t}[b, :]||_2 (computed in double), the gradient of
    // state tensor k after step t, row b, from the latest backward pass that reached it; 0 if
    // none did (a row past its length, or a state the loss does not depend on).
    std::vector<std::vector<double>> norms;

    // Step t is the t-th step the layer ran: for the backward layer of a Bidirectional, step t
    // of row b read position lengths[b] - 1 - t of the input (the distance to the loss at the
    // end of a sequence is then t, not lengths[b] - 1 - t).

    // ||dL/ds_{k,t}[b, :]||_2. Throws value_error naming the indices when k >= state_count,
    // t >= steps or b >= batch.
    double row_norm(std::size_t k, std::size_t t, std::size_t b) const;
    // The batch average at step t: the mean, over the rows still running at t (t < lengths[b]),
    // of row_norm(k, t, b). Rows that have ended are left out (their gradient is 0 by
    // construction). Throws value_error as row_norm.
    double mean_norm(std::size_t k, std::size_t t) const;
    // mean_norm(k, t) for t = 0 .. steps - 1.
    std::vector<double> mean_norms(std::size_t k = 0) const;
};

// An RAII scope: active on the calling thread from construction to destruction. Probes nest; only
// the innermost records. Not copyable or movable (the thread refers to it by address). Read the
// traces while the probe lives: the hooks it placed share its storage, so a backward after the
// probe died (or after clear()) writes into storage nobody reads, harmlessly. References from
// traces() and trace() are invalidated by the next recorded run, as a vector's are.
class gradient_probe
{
public:
    gradient_probe();
    ~gradient_probe();
    gradient_probe(const gradient_probe&) = delete;
    gradient_probe& operator=(const gradient_probe&) = delete;

    // Every run recorded so far, in the order the layers ran (an LSTM with 2 bidirectional
    // layers: layer 0 forward, layer 0 backward, layer 1 forward, layer 1 backward; again for
    // every further forward pass while the probe lives).
    const std::vector<gradient_trace>& traces() const;
    // The latest trace with this layer and direction. Throws value_error naming them, and what
    // was recorded, when there is none.
    const gradient_trace& trace(std::size_t layer, std::size_t direction = 0) const;
    // Forgets every trace; hooks already placed on values of earlier runs are ignored from then on.
    void clear();

    // The probe active on the calling thread, or nullptr.
    static gradient_probe* active() noexcept;

    // ---- called by the sequence layers ----

    // Starts a trace for a Recurrent run of `steps` steps over `batch` rows (lengths empty: all
    // rows run all steps) and returns its index for watch().
    std::size_t begin_run(const Recurrent& module, const Cell& cell, std::size_t steps,
                          std::size_t batch, const std::vector<std::size_t>& lengths);
    // Hooks the new state of step t of run `run` (a state that does not require grad, e.g.
    // under no_grad, is skipped). Throws value_error when run or t is out of range.
    void watch(std::size_t run, std::size_t t, const cell_state& next);

    // Scopes that tell the runs below them which layer and direction they are (Stacked and
    // Bidirectional open them, only while a probe is active). Each restores the previous value.
    class label_scope
    {
    public:
        ~label_scope();
        label_scope(const label_scope&) = delete;
        label_scope& operator=(const label_scope&) = delete;

    protected:
        label_scope(std::size_t gradient_probe::*label, std::size_t value);

    private:
        std::size_t* slot_; // the active probe's label, or nullptr without a probe
        std::size_t prev_ = 0;
    };
    struct layer_scope : label_scope
    {
        explicit layer_scope(std::size_t layer) : label_scope(&gradient_probe::layer_, layer) {}
    };
    struct direction_scope : label_scope
    {
        explicit direction_scope(std::size_t direction)
            : label_scope(&gradient_probe::direction_, direction)
        {}
    };

private:
    struct storage; // the traces, shared with the hooks
    std::shared_ptr<storage> store_;
    gradient_probe* prev_;
    std::size_t layer_ = 0, direction_ = 0;
};

} // namespace xgrad::nn
