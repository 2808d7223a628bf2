// Bridge: from an encoder's final states to a decoder's initial state, for encoder-decoder
// models. A bidirectional encoder ends with one state per direction; the decoder starts from
// one state of its own width. With x_k = [s_k(forward); s_k(reverse)] the concatenation of the
// directions' k-th state (h for k = 0, the LSTM memory c for k = 1), each [B, enc_hidden]:
//     h0 = tanh(W_h x_0 + b_h)          (a bounded h, like every h a cell produces)
//     c0 = W_c x_1 + b_c                (LSTM only; linear, as c itself is unbounded)
// Parameters: h.weight [dec_hidden, directions * enc_hidden], h.bias [dec_hidden], and for
// state_count 2 c.weight / c.bias of the same shapes. Init as nn.Linear.
#pragma once

#include <vector>

#include "xgrad/layers/cell.hpp"
#include "xgrad/layers/linear.hpp"

namespace xgrad::nn
{

class Bridge : public Module
{
public:
    // directions 1 or 2; state_count 1 (RNN, GRU decoder) or 2 (LSTM decoder). Throws
    // value_error for a zero size or another directions / state_count.
    Bridge(std::size_t enc_hidden, std::size_t directions, std::size_t dec_hidden,
           std::size_t state_count, generator& g = default_generator());

    // finals: the encoder's final states in PyTorch's h_n order (sequence_output::states: layer
    // 0 forward, layer 0 reverse, layer 1 forward, ...); the last `directions` of them (the top
    // layer) are read. Each must hold at least state_count() tensors [B, enc_hidden]; an LSTM
    // encoder's c is its state 1, so a GRU encoder cannot feed an LSTM decoder. Returns the
    // decoder's state: state_count() tensors [B, dec_hidden]. Throws shape_error naming the
    // shapes on too few groups or states, or another width or batch.
    cell_state forward(const state_list& finals);

    std::size_t state_count() const { return state_count_; }
    std::string describe() const override;

    std::shared_ptr<Linear> h, c; // c is null for state_count 1

private:
    std::size_t enc_hidden_, directions_, dec_hidden_, state_count_;
};

} // namespace xgrad::nn
