// Bidirectional: two copies of a sequence layer, one reading each sequence forwards and one
// reading it backwards *within its own length* (padding stays at the end). Their outputs are
// concatenated on the feature axis: [T, B, 2H]. Final states: the forward layer's, then the
// backward layer's (whose final state is the one after reading the sequence's first element).
#pragma once

#include <functional>
#include <memory>

#include "xgrad/layers/sequence.hpp"

namespace xgrad::nn
{

class Bidirectional : public SequenceLayer
{
public:
    // Two independently initialised layers of the same sizes (make two with a factory).
    Bidirectional(std::shared_ptr<SequenceLayer> forward_layer,
                  std::shared_ptr<SequenceLayer> backward_layer);
    // Calls make() twice.
    explicit Bidirectional(const std::function<std::shared_ptr<SequenceLayer>()>& make);

    std::size_t input_size() const override { return fwd_->input_size(); }
    std::size_t output_size() const override { return 2 * fwd_->output_size(); }
    std::size_t state_groups() const override
    {
        return fwd_->state_groups() + bwd_->state_groups();
    }
    sequence_output forward(const Variable& x, const std::vector<std::size_t>& lengths = {},
                            const state_list& initial = {}) override;
    std::string describe() const override;

    SequenceLayer& forward_layer() { return *fwd_; }
    SequenceLayer& backward_layer() { return *bwd_; }

private:
    std::shared_ptr<SequenceLayer> fwd_, bwd_;
};

// [T, B, F] with each sequence b reversed over its first lengths[b] steps (all T when lengths is
// empty); entries past a length stay where they are. Applying it twice is the identity.
Variable reverse_sequences(const Variable& x, const std::vector<std::size_t>& lengths);

} // namespace xgrad::nn
