// Elman RNN cell as PyTorch's nn.RNNCell: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), with act
// tanh or relu. Parameters as ProjectedCell with G = 1.
#pragma once

#include "xgrad/layers/projected_cell.hpp"

namespace xgrad::nn
{

enum class nonlinearity
{
    tanh,
    relu
};

class RNNCell : public ProjectedCell
{
public:
    RNNCell(std::size_t input, std::size_t hidden, nonlinearity act = nonlinearity::tanh,
            bool bias = true, generator& g = default_generator());
    cell_state step(const Variable& projected, const cell_state& state) override;
    std::string describe() const override;

private:
    nonlinearity act_;
};

} // namespace xgrad::nn
