// GRU cell as PyTorch's nn.GRUCell. With a = x W_ih^T + b_ih and b = h W_hh^T + b_hh, each split
// into three [B, H] blocks in PyTorch's order r, z, n:
//   r = sigma(a_r + b_r),  z = sigma(a_z + b_z),  n = tanh(a_n + r * b_n)
//   h' = (1 - z) * n + z * h
// Parameters as ProjectedCell with G = 3.
#pragma once

#include "xgrad/layers/projected_cell.hpp"

namespace xgrad::nn
{

class GRUCell : public ProjectedCell
{
public:
    GRUCell(std::size_t input, std::size_t hidden, bool bias = true,
            generator& g = default_generator());
    cell_state step(const Variable& projected, const cell_state& state) override;
    std::string describe() const override;
};

} // namespace xgrad::nn
