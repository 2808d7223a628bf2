#include "xgrad/layers/layer_norm_lstm_cell.hpp"

#include <cmath>

#include "xgrad/autograd/ops/matmul.hpp"
#include "xgrad/autograd/ops/recurrent.hpp"
#include "xgrad/layers/init.hpp"

namespace xgrad::nn
{

LayerNormLSTMCell::LayerNormLSTMCell(std::size_t input, std::size_t hidden, double eps,
                                     generator& g)
    : input_(input), hidden_(hidden), eps_(eps)
{
    if (input == 0 || hidden == 0)
        fail<value_error>("LayerNormLSTMCell: sizes must be positive, got input={} hidden={}",
                          input, hidden);
    if (!(eps >= 0))
        fail<value_error>("LayerNormLSTMCell: eps {} must be >= 0", eps);
    const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
    weight_ih = register_parameter("weight_ih", Tensor::empty({4 * hidden, input}));
    weight_hh = register_parameter("weight_hh", Tensor::empty({4 * hidden, hidden}));
    init::uniform(weight_ih, -k, k, g);
    init::uniform(weight_hh, -k, k, g);
    ln_ih = register_module("ln_ih", std::make_shared<LayerNorm>(4 * hidden, eps));
    ln_hh = register_module("ln_hh", std::make_shared<LayerNorm>(4 * hidden, eps));
    ln_c = register_module("ln_c", std::make_shared<LayerNorm>(hidden, eps));
}

Variable LayerNormLSTMCell::project(const Variable& inputs)
{
    return ln_ih->forward(linear(inputs, weight_ih));
}

cell_state LayerNormLSTMCell::step(const Variable& projected, const cell_state& state)
{
    if (projected.dim() != 2 || projected.shape()[1] != 4 * hidden_)
        fail<shape_error>("LayerNormLSTMCell: projected input {} should be [batch, {}]",
                          to_string(projected.shape()), 4 * hidden_);
    check_state("LayerNormLSTMCell", state, projected.shape()[0]);
    return layer_norm_lstm_update(projected, ln_hh->forward(linear(state[0], weight_hh)), state[1],
                                  ln_c->weight, ln_c->bias, eps_);
}

std::string LayerNormLSTMCell::describe() const
{
    return fmt::format("LayerNormLSTMCell({}, {})", input_, hidden_);
}

} // namespace xgrad::nn
