// Stacked: sequence layers applied in turn, each reading the previous one's output (a deep RNN;
// with Bidirectional layers, a deep bidirectional RNN), with optional dropout between layers
// (not after the last, as PyTorch).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/sequence.hpp"

namespace xgrad::nn
{

class Stacked : public SequenceLayer
{
public:
    // Each layer's input size must equal the previous layer's output size.
    explicit Stacked(std::vector<std::shared_ptr<SequenceLayer>> layers, double dropout = 0.0,
                     generator& g = default_generator());
    // n layers from make(i), i = 0..n-1.
    Stacked(std::size_t n, const std::function<std::shared_ptr<SequenceLayer>(std::size_t)>& make,
            double dropout = 0.0, generator& g = default_generator());

    std::size_t input_size() const override { return layers_.front()->input_size(); }
    std::size_t output_size() const override { return layers_.back()->output_size(); }
    std::size_t state_groups() const override;
    sequence_output forward(const Variable& x, const std::vector<std::size_t>& lengths = {},
                            const state_list& initial = {}) override;
    std::string describe() const override;

    std::size_t size() const { return layers_.size(); }
    SequenceLayer& layer(std::size_t i) { return *layers_.at(i); }

private:
    std::vector<std::shared_ptr<SequenceLayer>> layers_;
    double dropout_;
    generator* gen_;
};

} // namespace xgrad::nn
