// ProjectedCell: the common shape of PyTorch's recurrent cells. A step reads the input through
// x W_ih^T + b_ih and the state through h W_hh^T + b_hh, each one GEMM for all G gates, then
// combines them elementwise. The input half does not depend on the state, so project() computes
// it for every time step of a sequence in one GEMM.
//
// Parameters, named and shaped as PyTorch: weight_ih [G*H, I], weight_hh [G*H, R], bias_ih and
// bias_hh [G*H] (absent with bias = false), all initialised U(+-1/sqrt(H)). R, the width of the
// h fed back, is H except for an LSTM with a projection (R = its proj_size).
#pragma once

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/cell.hpp"

namespace xgrad::nn
{

class ProjectedCell : public Cell
{
public:
    std::size_t input_size() const override { return input_; }
    std::size_t hidden_size() const override { return hidden_; }
    std::size_t gates() const { return gates_; }

    // [..., I] -> [..., G*H]: x W_ih^T + b_ih.
    Variable project(const Variable& inputs) override;
    cell_state forward(const Variable& x, const cell_state& state) override
    {
        return step(project(x), state);
    }

    Variable weight_ih, weight_hh, bias_ih, bias_hh;

    // Weight-drop (layers/regularisers.hpp): until cleared, steps read the recurrent weight
    // from w (weight_hh times a mask, recorded on the tape) instead of weight_hh. Throws
    // shape_error for another shape. An undefined w clears it.
    void use_recurrent_weight(const Variable& w);

    // For the steps of one sequence (Recurrent sets it): the transpose [R, G*H] of the
    // recurrent weight the steps read (weight_hh, or weight-drop's), made once, so that each
    // step's product runs as linear_pretransposed (both products in row order). An
    // undefined tensor clears it. Throws shape_error for another shape.
    void use_transposed_recurrent_weight(const Tensor& w_t);
    const Tensor& transposed_recurrent_weight() const { return recurrent_weight_t_; }
    // Whether steps of `batch` rows in dtype dt gain from it: float32, batch <= 64, a weight of
    // 64 KB to 1 MB (where the products in row order are faster, in OpenBLAS and in the skinny
    // GEMMs of autograd/skinny_gemm.hpp).
    bool gains_from_transposed_weight(std::size_t batch, dtype dt) const;

protected:
    // recurrent_input: R above (0: hidden).
    ProjectedCell(std::size_t gates, std::size_t input, std::size_t hidden, bool bias, generator& g,
                  std::size_t recurrent_input = 0);
    // h W_hh^T + b_hh: [B, R] -> [B, G*H].
    Variable hidden_projection(const Variable& h) const;
    // Checks a step's arguments: projected [B, G*H] and a valid state.
    void check_step(const char* op, const Variable& projected, const cell_state& state) const;

private:
    std::size_t gates_, input_, hidden_;
    Variable recurrent_weight_; // weight-drop's masked weight_hh, while a sequence runs
    Tensor recurrent_weight_t_; // its (or weight_hh's) transpose, while a sequence runs
};

} // namespace xgrad::nn
