#include "xgrad/layers/gru_cell.hpp"

#include "xgrad/autograd/ops/recurrent.hpp"

namespace xgrad::nn
{

GRUCell::GRUCell(std::size_t input, std::size_t hidden, bool bias, generator& g)
    : ProjectedCell(3, input, hidden, bias, g)
{}

cell_state GRUCell::step(const Variable& projected, const cell_state& state)
{
    check_step("GRUCell", projected, state);
    // The gates and the state update are one fused op (autograd/ops/recurrent).
    return {gru_update(projected, hidden_projection(state[0]), state[0])};
}

std::string GRUCell::describe() const
{
    return fmt::format("GRUCell({}, {})", input_size(), hidden_size());
}

} // namespace xgrad::nn
