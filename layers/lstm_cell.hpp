// LSTM cell as PyTorch's nn.LSTMCell. With gates = x W_ih^T + b_ih + h W_hh^T + b_hh split into
// four [B, H] blocks in PyTorch's order i, f, g, o:
//   i = sigma(.), f = sigma(.), g = tanh(.), o = sigma(.)
//   c' = f * c + i * g,   h' = o * tanh(c')
// cell_state {h, c}. Parameters as ProjectedCell with G = 4.
#pragma once

#include "xgrad/layers/projected_cell.hpp"

namespace xgrad::nn
{

class LSTMCell : public ProjectedCell
{
public:
    LSTMCell(std::size_t input, std::size_t hidden, bool bias = true,
             generator& g = default_generator());
    std::size_t state_count() const override { return 2; }
    cell_state step(const Variable& projected, const cell_state& state) override;
    std::string describe() const override;
};

} // namespace xgrad::nn
