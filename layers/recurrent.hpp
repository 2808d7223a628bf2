// Recurrent: runs any Cell over a sequence. The cell's project() handles every time step's input
// in one call (one GEMM for the built-in cells); then one step() per time step records its nodes
// on the tape, so backward() through the output is backpropagation through time.
#pragma once

#include <memory>

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/regularisers.hpp"
#include "xgrad/layers/sequence.hpp"

namespace xgrad::nn
{

class Recurrent : public SequenceLayer
{
public:
    // batch_first: x and the output are [B, T, ...] instead of [T, B, ...].
    explicit Recurrent(std::shared_ptr<Cell> cell, bool batch_first = false);
    // With regularisers (layers/regularisers.hpp) whose masks come from g, which must outlive
    // the layer. Throws value_error for a probability outside [0, 1), or weight_drop on a cell
    // that is not a ProjectedCell.
    Recurrent(std::shared_ptr<Cell> cell, const sequence_regularisers& r, generator& g,
              bool batch_first = false);

    std::size_t input_size() const override { return cell_->input_size(); }
    std::size_t output_size() const override { return cell_->state_size(0); }
    std::size_t state_groups() const override { return 1; }
    sequence_output forward(const Variable& x, const std::vector<std::size_t>& lengths = {},
                            const std::vector<cell_state>& initial = {}) override;
    std::string describe() const override;

    Cell& cell() { return *cell_; }
    const sequence_regularisers& regularisers() const { return reg_; }
    // The masks of the last forward in training mode (see regularisers.hpp).
    const regulariser_masks& last_masks() const { return masks_; }

private:
    // forward() on checked, time-major x.
    sequence_output run(const Variable& x, const std::vector<std::size_t>& lengths,
                        const std::vector<cell_state>& initial);

    std::shared_ptr<Cell> cell_;
    bool batch_first_;
    sequence_regularisers reg_;
    generator* gen_ = nullptr;
    regulariser_masks masks_;
};

} // namespace xgrad::nn
