// SequenceLayer: the interface shared by Recurrent, Bidirectional, Stacked and the RNN/LSTM/GRU
// conveniences, so each can wrap any other.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/layers/cell.hpp"

namespace xgrad::nn
{

// For Recurrent::set_checkpoint_every and rnn_options::checkpoint_every: k = ceil(sqrt(T)).
inline constexpr std::size_t checkpoint_sqrt = static_cast<std::size_t>(-1);

struct sequence_output
{
    Variable output;   // [T, B, output_size()] (batch-first layers: [B, T, ...])
    state_list states; // final states, state_groups() of them (PyTorch's h_n order:
                       // layer 0 forward, layer 0 reverse, layer 1 forward, ...)
};

class SequenceLayer : public Module
{
public:
    virtual std::size_t input_size() const = 0;
    virtual std::size_t output_size() const = 0;
    // Number of States in sequence_output::states (one per direction per layer).
    virtual std::size_t state_groups() const = 0;

    // x: [T, B, input_size()] (time-major). lengths: empty (every sequence runs T steps) or one
    // per batch entry in [0, T]; past its length a sequence's state stops changing, its outputs
    // are zero, and its final state is the one at its last real step. initial: empty (zeros) or
    // state_groups() states. Throws shape_error on any mismatch, naming the layer and shapes.
    virtual sequence_output forward(const Variable& x, const std::vector<std::size_t>& lengths = {},
                                    const state_list& initial = {}) = 0;
};

// Throws shape_error naming `op` and x's shape unless x is [T, B, input] ([B, T, input] when
// batch_first), with T and B non-zero, and lengths is empty or has B entries within [0, T].
void check_sequence(const char* op, const Variable& x, std::size_t input,
                    const std::vector<std::size_t>& lengths, bool batch_first = false);

// The one place batch_first is handled. Checks x in the caller's layout (check_sequence, so
// errors show the shape the caller passed), calls time_major with x as [T, B, input], and
// returns its result with the output back in the caller's layout. States are never batch-first
// (PyTorch's h_n is [layers * dirs, B, H] either way). A template, so the callable is not
// wrapped in a std::function (a heap allocation for any lambda capturing more than two words).
template <class F>
sequence_output forward_in_layout(const char* op, const Variable& x, std::size_t input,
                                  const std::vector<std::size_t>& lengths, bool batch_first,
                                  F&& time_major)
{
    check_sequence(op, x, input, lengths, batch_first);
    if (!batch_first)
        return time_major(x);
    sequence_output out = time_major(transpose(x, 0, 1));
    out.output = transpose(out.output, 0, 1);
    return out;
}

// Truncated BPTT: the same states as leaves (Variable::detach of each tensor), so a backward()
// through the next chunk stops at them and the chunk before can be released.
state_list detach(const state_list& states);

// Stateful training in one call: a batch's final states as the next batch's initial states,
// detached (truncated BPTT), with the sequences flagged in `reset` starting anew from zeros
// (batch column b began a new document, say). reset: one flag per batch row (non-zero =
// reset), or empty for none. The result never shares memory with `states` where a row was
// reset. Throws shape_error when reset's size is not the states' batch (naming both).
//   state_list carried; // empty: zero states
//   for (each batch) {
//       sequence_output out = lstm.forward(x, {}, carried);
//       ... loss.backward(); opt.step();
//       carried = carry(out.states, starts_new_document);
//   }
state_list carry(const state_list& states, const std::vector<std::uint8_t>& reset = {});

} // namespace xgrad::nn
