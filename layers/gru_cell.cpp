#include "layers/gru_cell.hpp"

#include "autograd/ops/arithmetic.hpp"
#include "autograd/ops/layout.hpp"
#include "autograd/ops/pointwise.hpp"

namespace xgrad::nn
{

GRUCell::GRUCell(std::size_t input, std::size_t hidden, bool bias, generator& g)
    : ProjectedCell(3, input, hidden, bias, g)
{}

State GRUCell::step(const Variable& projected, const State& state)
{
    check_step("GRUCell", projected, state);
    const Variable& h = state[0];
    auto a = chunk(projected, 3, 1);
    auto b = chunk(hidden_projection(h), 3, 1);
    Variable r = sigmoid(a[0] + b[0]);
    Variable z = sigmoid(a[1] + b[1]);
    Variable n = tanh(a[2] + r * b[2]);
    return {(1.0 - z) * n + z * h};
}

std::string GRUCell::describe() const
{
    return fmt::format("GRUCell({}, {})", input_size(), hidden_size());
}

} // namespace xgrad::nn
