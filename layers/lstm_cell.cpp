#include "xgrad/layers/lstm_cell.hpp"

#include "xgrad/autograd/ops/recurrent.hpp"

namespace xgrad::nn
{

LSTMCell::LSTMCell(std::size_t input, std::size_t hidden, bool bias, generator& g)
    : ProjectedCell(4, input, hidden, bias, g)
{}

cell_state LSTMCell::step(const Variable& projected, const cell_state& state)
{
    check_step("LSTMCell", projected, state);
    // The gate nonlinearities and the state update are one fused op (autograd/ops/recurrent).
    return lstm_update(projected, hidden_projection(state[0]), state[1]);
}

std::string LSTMCell::describe() const
{
    return fmt::format("LSTMCell({}, {})", input_size(), hidden_size());
}

} // namespace xgrad::nn
