// LayerNormLSTMCell: the layer-normalised LSTM of Ba, Kiros & Hinton (2016), "Layer
// Normalization" (sec. 6 and the appendix), in PyTorch's gate order i, f, g, o:
//   z  = LN_ih(x W_ih^T) + LN_hh(h W_hh^T)          (each LN over the 4H gate inputs)
//   i, f, o = sigma(z_i, z_f, z_o),  g = tanh(z_g)
//   c' = f c + i g,   h' = o tanh(LN_c(c'))          (LN_c over the H units)
// Normalising the two gate inputs separately keeps either from swamping the other whatever the
// input's scale, and the cell norm keeps h' in tanh's working range over long sequences. The
// norms' biases act as the gate biases (a separate bias would be redundant).
//
// Parameters: weight_ih [4H, I], weight_hh [4H, H] (U(+-1/sqrt(H)), as PyTorch's LSTM);
// ln_ih.weight/bias [4H], ln_hh.weight/bias [4H], ln_c.weight/bias [H] (1 and 0). A step is three
// tape nodes like the built-in LSTM's: the recurrent GEMM, the fused layer_norm, and the fused
// layer_norm_lstm_update (autograd/ops/recurrent.hpp); project() normalises every step's input
// projection in one GEMM and one layer_norm. cell_state {h, c}.
#pragma once

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/cell.hpp"
#include "xgrad/layers/layer_norm.hpp"

namespace xgrad::nn
{

class LayerNormLSTMCell : public Cell
{
public:
    // Throws value_error for a zero size or eps < 0.
    LayerNormLSTMCell(std::size_t input, std::size_t hidden, double eps = 1e-5,
                      generator& g = default_generator());
    std::size_t input_size() const override { return input_; }
    std::size_t hidden_size() const override { return hidden_; }
    std::size_t state_count() const override { return 2; }
    // [..., I] -> [..., 4H]: LN_ih(x W_ih^T).
    Variable project(const Variable& inputs) override;
    cell_state step(const Variable& projected, const cell_state& state) override;
    cell_state forward(const Variable& x, const cell_state& state) override
    {
        return step(project(x), state);
    }
    std::string describe() const override;

    Variable weight_ih, weight_hh;
    std::shared_ptr<LayerNorm> ln_ih, ln_hh, ln_c;

private:
    std::size_t input_, hidden_;
    double eps_;
};

} // namespace xgrad::nn
