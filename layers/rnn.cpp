#include "xgrad/layers/rnn.hpp"

#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/layers/bidirectional.hpp"
#include "xgrad/layers/gru_cell.hpp"
#include "xgrad/layers/lstm_cell.hpp"
#include "xgrad/layers/recurrent.hpp"

namespace xgrad::nn
{

RNNBase::RNNBase(cell_type type, std::size_t input, std::size_t hidden, const rnn_options& o,
                 generator& g)
    : type_(type), input_(input), hidden_(hidden), opt_(o)
{
    if (o.num_layers == 0)
        fail<value_error>("{}: num_layers must be at least 1", describe());
    if (o.proj_size > 0 && type != cell_type::lstm)
        fail<value_error>("{}: proj_size is an LSTM option", describe());
    if (o.proj_size >= hidden && o.proj_size > 0)
        fail<value_error>("{}: proj_size must be smaller than the hidden size", describe());
    const std::size_t dirs = o.bidirectional ? 2 : 1;
    const std::size_t out = o.proj_size ? o.proj_size : hidden; // a direction's output width
    std::vector<std::shared_ptr<SequenceLayer>> layers;
    for (std::size_t l = 0; l < o.num_layers; ++l)
    {
        const std::size_t in = l == 0 ? input : out * dirs;
        std::vector<std::shared_ptr<SequenceLayer>> directions;
        for (std::size_t d = 0; d < dirs; ++d)
        {
            std::shared_ptr<ProjectedCell> cell;
            // PyTorch draws every parameter of a layer in order; so do we, layer by layer.
            if (type == cell_type::rnn)
                cell = std::make_shared<RNNCell>(in, hidden, o.act, o.bias, g);
            else if (type == cell_type::lstm)
                cell = std::make_shared<LSTMCell>(in, hidden, o.bias, g, o.proj_size);
            else
                cell = std::make_shared<GRUCell>(in, hidden, o.bias, g);
            register_flat_parameters(*cell, "", fmt::format("_l{}{}", l, d ? "_reverse" : ""));
            cells_.push_back(cell);
            auto layer = o.regularisers.any() ? std::make_shared<Recurrent>(cell, o.regularisers, g)
                                              : std::make_shared<Recurrent>(cell);
            layer->set_checkpoint_every(o.checkpoint_every);
            directions.push_back(layer);
        }
        if (dirs == 2)
            layers.push_back(std::make_shared<Bidirectional>(directions[0], directions[1]));
        else
            layers.push_back(directions[0]);
    }
    stack_ = register_module("stack", std::make_shared<Stacked>(layers, o.dropout, g), false);
    label_ = describe();
}

sequence_output RNNBase::forward(const Variable& x, const std::vector<std::size_t>& lengths,
                                 const state_list& initial)
{
    return forward_in_layout(
        label_.c_str(), x, input_, lengths, opt_.batch_first,
        [&](const Variable& tx) { return stack_->forward(tx, lengths, initial); });
}

Variable RNNBase::final_state(const sequence_output& out, std::size_t k)
{
    std::vector<Variable> parts;
    for (const cell_state& s : out.states)
    {
        if (k >= s.size())
            fail<value_error>("final_state: state index {} but states hold {} tensors", k,
                              s.size());
        parts.push_back(s[k]);
    }
    return stack(parts, 0);
}

state_list RNNBase::initial_state(const std::vector<Variable>& h0_c0) const
{
    const std::size_t need = type_ == cell_type::lstm ? 2 : 1;
    if (h0_c0.size() != need)
        fail<shape_error>("{}: initial_state takes {} tensors, got {}", describe(), need,
                          h0_c0.size());
    const std::size_t groups = state_groups();
    state_list out(groups);
    for (std::size_t k = 0; k < h0_c0.size(); ++k)
    {
        const Variable& v = h0_c0[k];
        const std::size_t width = k == 0 && opt_.proj_size ? opt_.proj_size : hidden_;
        if (v.dim() != 3 || v.shape()[0] != groups || v.shape()[2] != width)
            fail<shape_error>("{}: initial state {} should be [{}, B, {}]", describe(),
                              to_string(v.shape()), groups, width);
        for (std::size_t g = 0; g < groups; ++g)
            out[g].push_back(select(v, 0, g));
    }
    return out;
}

ProjectedCell& RNNBase::cell(std::size_t layer, std::size_t direction)
{
    const std::size_t dirs = opt_.bidirectional ? 2 : 1;
    if (layer >= opt_.num_layers || direction >= dirs)
        fail<value_error>("{}: no cell for layer {} direction {}", describe(), layer, direction);
    return *cells_[layer * dirs + direction];
}

std::string RNNBase::describe() const
{
    const char* name = type_ == cell_type::rnn ? "RNN" : type_ == cell_type::lstm ? "LSTM" : "GRU";
    return fmt::format("{}({}, {}, num_layers={}{}{}{}{}{})", name, input_, hidden_,
                       opt_.num_layers, opt_.bidirectional ? ", bidirectional" : "",
                       opt_.batch_first ? ", batch_first" : "",
                       opt_.dropout > 0 ? fmt::format(", dropout={}", opt_.dropout) : "",
                       opt_.proj_size ? fmt::format(", proj_size={}", opt_.proj_size) : "",
                       describe_options(opt_.regularisers));
}

} // namespace xgrad::nn
