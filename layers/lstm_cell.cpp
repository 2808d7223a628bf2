#include "xgrad/layers/lstm_cell.hpp"

#include <cmath>

#include "xgrad/autograd/ops/matmul.hpp"
#include "xgrad/autograd/ops/recurrent.hpp"
#include "xgrad/layers/init.hpp"

namespace xgrad::nn
{

LSTMCell::LSTMCell(std::size_t input, std::size_t hidden, bool bias, generator& g,
                   std::size_t proj_size)
    : ProjectedCell(4, input, hidden, bias, g, proj_size), proj_(proj_size)
{
    if (proj_size >= hidden && proj_size > 0)
        fail<value_error>("LSTMCell({}, {}): proj_size {} must be smaller than the hidden size",
                          input, hidden, proj_size);
    if (proj_size > 0)
    {
        // Drawn after the other parameters, as PyTorch registers (and initialises) it last.
        const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
        weight_hr = register_parameter("weight_hr", Tensor::empty({proj_size, hidden}));
        init::uniform(weight_hr, -k, k, g);
    }
}

cell_state LSTMCell::step(const Variable& projected, const cell_state& state)
{
    check_step("LSTMCell", projected, state);
    // The gate nonlinearities and the state update are one fused op (autograd/ops/recurrent).
    cell_state next = lstm_update(projected, hidden_projection(state[0]), state[1]);
    if (proj_)
        next[0] = linear(next[0], weight_hr);
    return next;
}

std::string LSTMCell::describe() const
{
    if (proj_)
        return fmt::format("LSTMCell({}, {}, proj_size={})", input_size(), hidden_size(), proj_);
    return fmt::format("LSTMCell({}, {})", input_size(), hidden_size());
}

} // namespace xgrad::nn
