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
                            const state_list& initial = {}) override;
    std::string describe() const override;

    // Checkpointed BPTT: with k > 0, training keeps the state only every k steps and each
    // segment of k steps is run again when backward() reaches it (autograd/recompute.hpp):
    // what the steps record is held for O(T/k + k) steps instead of T; each step runs twice.
    // checkpoint_sqrt picks k = ceil(sqrt(T)) per call. Gradients are bit-identical to k = 0
    // (the default: record every step). Not applied while a gradient_probe is active, nor
    // without grad mode (nothing is recorded then). The projection of the inputs and the
    // outputs, [T, B, ...] each, are kept whole either way. A user's cell must be a function
    // of its inputs and parameters (what it captures that was computed outside the step cannot
    // receive gradients in the recomputation, and throws graph_error then).
    void set_checkpoint_every(std::size_t k) { checkpoint_ = k; }
    std::size_t checkpoint_every() const { return checkpoint_; }

    Cell& cell() { return *cell_; }
    const sequence_regularisers& regularisers() const { return reg_; }
    // The masks of the last forward in training mode (see regularisers.hpp).
    const regulariser_masks& last_masks() const { return masks_; }

private:
    // forward() on checked, time-major x.
    sequence_output run(const Variable& x, const std::vector<std::size_t>& lengths,
                        const state_list& initial);

    std::shared_ptr<Cell> cell_;
    bool batch_first_;
    sequence_regularisers reg_;
    generator* gen_ = nullptr;
    regulariser_masks masks_;
    std::size_t checkpoint_ = 0;
};

} // namespace xgrad::nn
