// LSTM cell as PyTorch's nn.LSTMCell. With gates = x W_ih^T + b_ih + h W_hh^T + b_hh split into
// four [B, H] blocks in PyTorch's order i, f, g, o:
//   i = sigma(.), f = sigma(.), g = tanh(.), o = sigma(.)
//   c' = f * c + i * g,   h' = o * tanh(c')
// cell_state {h, c}. Parameters as ProjectedCell with G = 4.
//
// With a projection (proj_size P > 0, as nn.LSTM's proj_size; Sak et al. 2014, "Long
// Short-Term Memory Recurrent Neural Network Architectures for Large Scale Acoustic Modeling"):
//   h' = (o * tanh(c')) W_hr^T,   W_hr [P, H] (parameter weight_hr, U(+-1/sqrt(H)), no bias)
// so h is [B, P] (and weight_hh [4H, P]) while c stays [B, H]: fewer recurrent weights for the
// same memory. Requires 0 < P < H, as PyTorch.
#pragma once

#include "xgrad/layers/projected_cell.hpp"

namespace xgrad::nn
{

class LSTMCell : public ProjectedCell
{
public:
    // Throws value_error for proj_size >= hidden (or a zero size).
    LSTMCell(std::size_t input, std::size_t hidden, bool bias = true,
             generator& g = default_generator(), std::size_t proj_size = 0);
    std::size_t state_count() const override { return 2; }
    std::size_t state_size(std::size_t i) const override
    {
        return i == 0 && proj_ ? proj_ : hidden_size();
    }
    std::size_t proj_size() const { return proj_; }
    cell_state step(const Variable& projected, const cell_state& state) override;
    std::string describe() const override;

    Variable weight_hr; // [proj_size, hidden]; undefined without a projection

private:
    std::size_t proj_;
};

} // namespace xgrad::nn
