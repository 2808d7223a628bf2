// RNN, LSTM and GRU with PyTorch's nn.RNN / nn.LSTM / nn.GRU options and parameter names
// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..., weight_ih_l0_reverse), assembled
// from the general wrappers: Stacked of (Bidirectional of) Recurrent of a cell. A weight file
// saved from one of these loads into the PyTorch module of the same configuration.
#pragma once

#include <memory>

#include "xgrad/layers/regularisers.hpp"
#include "xgrad/layers/rnn_cell.hpp"
#include "xgrad/layers/stacked.hpp"

namespace xgrad::nn
{

struct rnn_options
{
    std::size_t num_layers = 1;
    bool bias = true;
    bool batch_first = false; // x and output [B, T, ...]; states stay [layers*dirs, B, H]
    double dropout = 0.0;     // between layers, in training mode
    bool bidirectional = false;
    nonlinearity act = nonlinearity::tanh; // RNN only
    // LSTM only, as nn.LSTM's proj_size: h (the output and h_n) of this width through each
    // cell's weight_hr_l{k}, c of the hidden size; 0 < proj_size < hidden. 0: none.
    std::size_t proj_size = 0;
    // Variational dropout, zoneout and weight-drop inside every layer's time loop, masks from
    // the generator the layer was built with (layers/regularisers.hpp).
    sequence_regularisers regularisers;
    // Checkpointed BPTT in every layer (Recurrent::set_checkpoint_every): keep the state every
    // k steps and recompute the steps in between during backward; checkpoint_sqrt for
    // k = ceil(sqrt(T)); 0 records every step.
    std::size_t checkpoint_every = 0;
};

enum class cell_type
{
    rnn,
    lstm,
    gru
};

class RNNBase : public SequenceLayer
{
public:
    RNNBase(cell_type type, std::size_t input, std::size_t hidden, const rnn_options& options,
            generator& g);

    std::size_t input_size() const override { return input_; }
    std::size_t output_size() const override { return stack_->output_size(); }
    std::size_t state_groups() const override { return stack_->state_groups(); }
    sequence_output forward(const Variable& x, const std::vector<std::size_t>& lengths = {},
                            const state_list& initial = {}) override;
    std::string describe() const override;

    // PyTorch's h_n (k = 0) or c_n (k = 1, LSTM): [num_layers * directions, B, H]; with a
    // projection h_n is [num_layers * directions, B, proj_size].
    static Variable final_state(const sequence_output& out, std::size_t k = 0);
    // The reverse: PyTorch's (h_0[, c_0]) tensors [layers * dirs, B, H] as initial states.
    state_list initial_state(const std::vector<Variable>& h0_c0) const;

    // The cell of layer l, direction d (0 forward, 1 reverse).
    ProjectedCell& cell(std::size_t layer, std::size_t direction = 0);

private:
    cell_type type_;
    std::size_t input_, hidden_;
    rnn_options opt_;
    std::vector<std::shared_ptr<ProjectedCell>> cells_; // layer-major, forward then reverse
    std::shared_ptr<Stacked> stack_;
    std::string label_; // describe(), formatted once: forward names itself in its errors
};

class RNN : public RNNBase
{
public:
    RNN(std::size_t input, std::size_t hidden, const rnn_options& o = {},
        generator& g = default_generator())
        : RNNBase(cell_type::rnn, input, hidden, o, g)
    {}
};

class LSTM : public RNNBase
{
public:
    LSTM(std::size_t input, std::size_t hidden, const rnn_options& o = {},
         generator& g = default_generator())
        : RNNBase(cell_type::lstm, input, hidden, o, g)
    {}
};

class GRU : public RNNBase
{
public:
    GRU(std::size_t input, std::size_t hidden, const rnn_options& o = {},
        generator& g = default_generator())
        : RNNBase(cell_type::gru, input, hidden, o, g)
    {}
};

} // namespace xgrad::nn
