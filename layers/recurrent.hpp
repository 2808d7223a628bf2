// Recurrent: runs any Cell over a sequence. The cell's project() handles every time step's input
// in one call (one GEMM for the built-in cells); then one step() per time step records its nodes
// on the tape, so backward() through the output is backpropagation through time.
#pragma once

#include <memory>

#include "xgrad/layers/sequence.hpp"

namespace xgrad::nn
{

class Recurrent : public SequenceLayer
{
public:
    // batch_first: x and the output are [B, T, ...] instead of [T, B, ...].
    explicit Recurrent(std::shared_ptr<Cell> cell, bool batch_first = false);

    std::size_t input_size() const override { return cell_->input_size(); }
    std::size_t output_size() const override { return cell_->state_size(0); }
    std::size_t state_groups() const override { return 1; }
    sequence_output forward(const Variable& x, const std::vector<std::size_t>& lengths = {},
                            const std::vector<cell_state>& initial = {}) override;
    std::string describe() const override;

    Cell& cell() { return *cell_; }

private:
    // forward() on checked, time-major x.
    sequence_output run(const Variable& x, const std::vector<std::size_t>& lengths,
                        const std::vector<cell_state>& initial);

    std::shared_ptr<Cell> cell_;
    bool batch_first_;
};

} // namespace xgrad::nn
