// A second user-defined cell: the LSTM with peephole connections (Gers, Schraudolph &
// Schmidhuber 2002), gates that also look at the memory:
//   i = sigma(z_i + w_ci * c),  f = sigma(z_f + w_cf * c),  g = tanh(z_g)
//   c' = f * c + i * g,  o = sigma(z_o + w_co * c'),  h' = o * tanh(c')
// with z = x W_ih^T + b + h W_hh^T in the gate order i, f, g, o, and w_c* per-unit vectors [H].
// Written twice: with separate ops (a dozen tape nodes a step), and with xgrad::fused, which
// takes the same update as one generic lambda and differentiates it itself (one node; the
// gates are read in place from z with blocks<4>). Both give the same numbers.
#pragma once

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/cell.hpp"
#include "xgrad/layers/init.hpp"

struct PeepholeLSTMCell : xgrad::nn::Cell
{
    std::size_t in, hid;
    bool use_fused;
    xgrad::Variable weight_ih, weight_hh, bias, w_ci, w_cf, w_co;

    PeepholeLSTMCell(std::size_t input, std::size_t hidden, bool fused_update)
        : in(input), hid(hidden), use_fused(fused_update)
    {
        using xgrad::Tensor;
        const double k = 1.0 / std::sqrt(double(hidden));
        weight_ih = register_parameter("weight_ih", Tensor::empty({4 * hidden, input}));
        weight_hh = register_parameter("weight_hh", Tensor::empty({4 * hidden, hidden}));
        bias = register_parameter("bias", Tensor::zeros({4 * hidden}));
        w_ci = register_parameter("w_ci", Tensor::empty({hidden}));
        w_cf = register_parameter("w_cf", Tensor::empty({hidden}));
        w_co = register_parameter("w_co", Tensor::empty({hidden}));
        for (auto* w : {&weight_ih, &weight_hh, &w_ci, &w_cf, &w_co})
            xgrad::nn::init::uniform(*w, -k, k);
    }
    std::size_t input_size() const override { return in; }
    std::size_t hidden_size() const override { return hid; }
    std::size_t state_count() const override { return 2; }

    // Every step's x W_ih^T + b in one GEMM; a step adds h W_hh^T.
    xgrad::Variable project(const xgrad::Variable& x) override
    {
        return xgrad::linear(x, weight_ih, bias);
    }
    xgrad::nn::cell_state forward(const xgrad::Variable& x, const xgrad::nn::cell_state& s) override
    {
        return step(project(x), s);
    }
    xgrad::nn::cell_state step(const xgrad::Variable& projected,
                               const xgrad::nn::cell_state& s) override
    {
        using namespace xgrad;
        Variable z = projected + linear(s[0], weight_hh);
        if (use_fused)
            return fused<2>("peephole_lstm", update, blocks<4>(z), s[1], w_ci, w_cf, w_co);
        const auto gate = chunk(z, 4, 1);
        Variable i = sigmoid(gate[0] + w_ci * s[1]), f = sigmoid(gate[1] + w_cf * s[1]);
        Variable c = f * s[1] + i * tanh(gate[2]);
        Variable o = sigmoid(gate[3] + w_co * c);
        return {o * tanh(c), c};
    }
    std::string describe() const override
    {
        return use_fused ? "PeepholeLSTMCell (fused)" : "PeepholeLSTMCell (ops)";
    }

    // The update as one generic lambda: xgrad evaluates it on SIMD lanes, and on dual numbers
    // for the backward.
    static constexpr auto update = [](auto zi, auto zf, auto zg, auto zo, auto c, auto ci, auto cf,
                                      auto co) {
        using namespace xgrad::fn;
        auto i = sigmoid(zi + ci * c);
        auto f = sigmoid(zf + cf * c); // (one declaration each: their types differ)
        auto c2 = f * c + i * tanh(zg);
        auto o = sigmoid(zo + co * c2);
        return std::tuple{o * tanh(c2), c2};
    };
};
