#include "xgrad/layers/rnn_cell.hpp"

#include "xgrad/autograd/ops/arithmetic.hpp"
#include "xgrad/autograd/ops/pointwise.hpp"

namespace xgrad::nn
{

RNNCell::RNNCell(std::size_t input, std::size_t hidden, nonlinearity act, bool bias, generator& g)
    : ProjectedCell(1, input, hidden, bias, g), act_(act)
{}

cell_state RNNCell::step(const Variable& projected, const cell_state& state)
{
    check_step("RNNCell", projected, state);
    Variable pre = projected + hidden_projection(state[0]);
    return {act_ == nonlinearity::tanh ? tanh(pre) : relu(pre)};
}

std::string RNNCell::describe() const
{
    return fmt::format("RNNCell({}, {}, {})", input_size(), hidden_size(),
                       act_ == nonlinearity::tanh ? "tanh" : "relu");
}

} // namespace xgrad::nn
