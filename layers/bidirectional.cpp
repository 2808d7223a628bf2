#include "xgrad/layers/bidirectional.hpp"

#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/layers/gradient_probe.hpp"

namespace xgrad::nn
{

Variable reverse_sequences(const Variable& x, const std::vector<std::size_t>& lengths)
{
    if (x.dim() != 3)
        fail<shape_error>("reverse_sequences: input {} must be [T, B, F]", to_string(x.shape()));
    if (lengths.empty())
        return flip(x, 0);
    return flip(x, 0, lengths, 1); // validates the lengths against T and B
}

Bidirectional::Bidirectional(std::shared_ptr<SequenceLayer> forward_layer,
                             std::shared_ptr<SequenceLayer> backward_layer)
    : fwd_(std::move(forward_layer)), bwd_(std::move(backward_layer))
{
    if (!fwd_ || !bwd_)
        fail<value_error>("Bidirectional: both layers must be given");
    if (fwd_->input_size() != bwd_->input_size() || fwd_->output_size() != bwd_->output_size())
        fail<shape_error>("Bidirectional: {} and {} differ in size", fwd_->describe(),
                          bwd_->describe());
    register_module("forward", fwd_);
    register_module("backward", bwd_);
}

Bidirectional::Bidirectional(const std::function<std::shared_ptr<SequenceLayer>()>& make)
    : Bidirectional(make(), make())
{}

sequence_output Bidirectional::forward(const Variable& x, const std::vector<std::size_t>& lengths,
                                       const state_list& initial)
{
    check_sequence("Bidirectional", x, input_size(), lengths);
    if (!initial.empty() && initial.size() != state_groups())
        fail<shape_error>("Bidirectional: {} initial states given, expected {}", initial.size(),
                          state_groups());
    const auto split_at =
        initial.begin() + static_cast<std::ptrdiff_t>(initial.empty() ? 0 : fwd_->state_groups());
    const state_list init_f(initial.begin(), split_at), init_b(split_at, initial.end());

    // The direction scopes only label the runs a gradient_probe records.
    sequence_output f, b;
    {
        gradient_probe::direction_scope forward_direction(0);
        f = fwd_->forward(x, lengths, init_f);
    }
    {
        gradient_probe::direction_scope backward_direction(1);
        b = bwd_->forward(reverse_sequences(x, lengths), lengths, init_b);
    }
    sequence_output out;
    out.output = concat({f.output, reverse_sequences(b.output, lengths)}, 2);
    out.states = std::move(f.states);
    out.states.insert(out.states.end(), b.states.begin(), b.states.end());
    return out;
}

std::string Bidirectional::describe() const
{
    return fmt::format("Bidirectional({})", fwd_->describe());
}

} // namespace xgrad::nn
