// The cell interface: one time step of a recurrent network. Anything implementing it (the
// built-in RNNCell, LSTMCell, GRUCell, or a user's own) runs in Recurrent, Bidirectional and
// Stacked unchanged, and gets backpropagation through time from the tape.
#pragma once

#include <vector>

#include "xgrad/autograd/var_list.hpp"
#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

// A cell's recurrent state: state_count() values, value i [batch, state_size(i)]. The first
// one is the step's output (h); an LSTM adds its memory c. A var_list (autograd/var_list.hpp): it
// reads and converts like std::vector<Variable>, but a state of up to four values is not a heap
// allocation per step.
using cell_state = var_list;
// The final (or initial) states of a sequence layer, one cell_state per direction per layer, in
// PyTorch's h_n order. Inline up to four (a 2-layer bidirectional stack), so a forward does not
// allocate its list; it converts to and from state_list both ways.
using state_list = small_list<cell_state, 4>;
// The name before 0.2 (types that are not modules, optimizers or schedules are snake_case).
using State [[deprecated("use xgrad::nn::cell_state")]] = cell_state;

class Cell : public Module
{
public:
    virtual std::size_t input_size() const = 0;
    virtual std::size_t hidden_size() const = 0;
    virtual std::size_t state_count() const { return 1; }
    // The width of state value i: hidden_size() unless the cell says otherwise (an LSTM with a
    // projection emits h of its projection size and keeps c of hidden_size()).
    virtual std::size_t state_size(std::size_t i) const { return hidden_size(); }

    // One step: x [B, input_size()] and the state -> the new state.
    virtual cell_state forward(const Variable& x, const cell_state& state) = 0;

    // Optional split of forward for speed: project() takes the part of a step that depends on
    // the input only, for every step at once ([T, B, I] -> [T, B, P], one GEMM for all T), and
    // step() finishes a step from its slice of that projection. forward(x, s) must equal
    // step(project(x), s). The defaults (identity, forward) suit any cell.
    virtual Variable project(const Variable& inputs) { return inputs; }
    virtual cell_state step(const Variable& projected, const cell_state& state)
    {
        return forward(projected, state);
    }

    // state_count() zero tensors [batch, state_size(i)] of dtype dt.
    cell_state zero_state(std::size_t batch, dtype dt) const;
    // Throws shape_error naming `op` unless s has state_count() values of [batch, hidden].
    void check_state(const char* op, const cell_state& s, std::size_t batch) const;
};

} // namespace xgrad::nn
