#include "layers/lstm_cell.hpp"

#include "autograd/ops/arithmetic.hpp"
#include "autograd/ops/layout.hpp"
#include "autograd/ops/pointwise.hpp"

namespace xgrad::nn
{

LSTMCell::LSTMCell(std::size_t input, std::size_t hidden, bool bias, generator& g)
    : ProjectedCell(4, input, hidden, bias, g)
{}

State LSTMCell::step(const Variable& projected, const State& state)
{
    check_step("LSTMCell", projected, state);
    auto z = chunk(projected + hidden_projection(state[0]), 4, 1);
    Variable i = sigmoid(z[0]), f = sigmoid(z[1]), g = tanh(z[2]), o = sigmoid(z[3]);
    Variable c = f * state[1] + i * g;
    return {o * tanh(c), c};
}

std::string LSTMCell::describe() const
{
    return fmt::format("LSTMCell({}, {})", input_size(), hidden_size());
}

} // namespace xgrad::nn
