// SequenceLayer: the interface shared by Recurrent, Bidirectional, Stacked and the RNN/LSTM/GRU
// conveniences, so each can wrap any other.
#pragma once

#include <vector>

#include "xgrad/layers/cell.hpp"

namespace xgrad::nn
{

struct sequence_output
{
    Variable output;           // [T, B, output_size()] (batch-first layers: [B, T, ...])
    std::vector<State> states; // final states, state_groups() of them (PyTorch's h_n order:
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
                                    const std::vector<State>& initial = {}) = 0;
};

// Throws shape_error unless x is [T, B, input] and lengths has B entries within [0, T].
void check_sequence(const char* op, const Variable& x, std::size_t input,
                    const std::vector<std::size_t>& lengths);

} // namespace xgrad::nn
