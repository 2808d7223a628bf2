#include "xgrad/layers/stacked.hpp"

#include "xgrad/autograd/ops/dropout.hpp"
#include "xgrad/layers/gradient_probe.hpp"

namespace xgrad::nn
{

Stacked::Stacked(std::vector<std::shared_ptr<SequenceLayer>> layers, double dropout, generator& g)
    : layers_(std::move(layers)), dropout_(dropout), gen_(&g)
{
    if (layers_.empty())
        fail<value_error>("Stacked: needs at least one layer");
    if (!(dropout >= 0.0 && dropout <= 1.0))
        fail<value_error>("Stacked: dropout {} is outside [0, 1]", dropout);
    for (std::size_t i = 0; i < layers_.size(); ++i)
    {
        if (!layers_[i])
            fail<value_error>("Stacked: layer {} is null", i);
        if (i > 0 && layers_[i]->input_size() != layers_[i - 1]->output_size())
            fail<shape_error>("Stacked: layer {} ({}) reads {} features but layer {} ({}) "
                              "produces {}",
                              i, layers_[i]->describe(), layers_[i]->input_size(), i - 1,
                              layers_[i - 1]->describe(), layers_[i - 1]->output_size());
        register_module(std::to_string(i), layers_[i]);
    }
}

Stacked::Stacked(std::size_t n,
                 const std::function<std::shared_ptr<SequenceLayer>(std::size_t)>& make,
                 double dropout, generator& g)
    : Stacked(
          [&] {
              std::vector<std::shared_ptr<SequenceLayer>> v;
              for (std::size_t i = 0; i < n; ++i)
                  v.push_back(make(i));
              return v;
          }(),
          dropout, g)
{}

std::size_t Stacked::state_groups() const
{
    std::size_t n = 0;
    for (const auto& l : layers_)
        n += l->state_groups();
    return n;
}

sequence_output Stacked::forward(const Variable& x, const std::vector<std::size_t>& lengths,
                                 const state_list& initial)
{
    if (!initial.empty() && initial.size() != state_groups())
        fail<shape_error>("Stacked: {} initial states given, expected {}", initial.size(),
                          state_groups());
    sequence_output out;
    out.states.reserve(state_groups());
    Variable h = x;
    std::size_t at = 0;
    for (std::size_t i = 0; i < layers_.size(); ++i)
    {
        const std::size_t g = layers_[i]->state_groups();
        state_list init; // this layer's initial states
        if (!initial.empty())
            init.assign(initial.begin() + static_cast<std::ptrdiff_t>(at),
                        initial.begin() + static_cast<std::ptrdiff_t>(at + g));
        at += g;
        if (i > 0)
            h = dropout(h, dropout_, is_training(), *gen_);
        gradient_probe::layer_scope probe_layer(i); // labels a gradient_probe's runs
        sequence_output r = layers_[i]->forward(h, lengths, init);
        h = r.output;
        out.states.insert(out.states.end(), r.states.begin(), r.states.end());
    }
    out.output = h;
    return out;
}

std::string Stacked::describe() const
{
    std::string s = "Stacked(";
    for (std::size_t i = 0; i < layers_.size(); ++i)
        s += (i ? ", " : "") + layers_[i]->describe();
    return s + (dropout_ > 0 ? fmt::format(", dropout={})", dropout_) : ")");
}

} // namespace xgrad::nn
