// Regularisers of a recurrent layer that live inside its time loop, where a wrapper cannot put
// them (each is an option of Recurrent and of RNN/LSTM/GRU through rnn_options::regularisers):
//
//   input_dropout   variational (locked) dropout on x: one mask [B, I] per sequence, the same at
//                   every step (Gal & Ghahramani 2016, "A Theoretically Grounded Application of
//                   Dropout in Recurrent Neural Networks")
//   state_dropout   the same on the h fed back into each step (a mask [B, h width] per sequence)
//   output_dropout  the same on the outputs [T, B, H]
//   zoneout         each unit of each state value (h, and c for an LSTM) keeps its previous
//                   value with probability p at every step, a fresh mask per step; evaluation
//                   uses the expectation h_t = p h_{t-1} + (1 - p) h~_t (Krueger et al. 2016,
//                   "Zoneout: Regularizing RNNs by Randomly Preserving Hidden Activations")
//   weight_drop     DropConnect on the recurrent weight weight_hh: one mask per forward call,
//                   the same at every step, applied through the cell (no copied or
//                   re-registered weights; gradients reach weight_hh); ProjectedCell cells only
//                   (Merity et al. 2018, AWD-LSTM)
//
// Dropout masks are inverted (survivors scaled by 1/(1-p)); in evaluation mode every dropout is
// off. Masks are drawn from the layer's generator in a fixed order (input, state, output,
// weight, then the zoneout masks step by step), so reseeding the generator replays them; the
// last forward's masks can be read back (Recurrent::last_masks()).
#pragma once

#include <string>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xgrad::nn
{

struct sequence_regularisers
{
    double input_dropout = 0, state_dropout = 0, output_dropout = 0, zoneout = 0, weight_drop = 0;
    bool any() const
    {
        return input_dropout > 0 || state_dropout > 0 || output_dropout > 0 || zoneout > 0 ||
               weight_drop > 0;
    }
};

// ", zoneout=0.1, weight_drop=0.5" for the options that are on ("" when none): for describe().
std::string describe_options(const sequence_regularisers& r);

// The masks one forward drew (undefined where a regulariser is off): input [B, I], state
// [B, width of h], output [B, H], weight [shape of weight_hh] with values 0 or 1/(1-p); zoneout
// one [B, width] 0/1 tensor per step and state value (1 = keep the previous value), step-major.
struct regulariser_masks
{
    Tensor input, state, output, weight;
    std::vector<Tensor> zoneout;
};

} // namespace xgrad::nn
