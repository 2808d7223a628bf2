// A recurrent cell defined in user code: the minimal gated unit (Zhou et al., 2016).
//   f = sigma(W_f [x, h] + b_f),  h~ = tanh(W_h [x, f * h] + b_h),  h' = (1 - f) * h + f * h~
// Written with autograd ops only: Recurrent, Bidirectional and Stacked run it unchanged, and
// backpropagation through time comes from the tape.
#pragma once

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/cell.hpp"
#include "xgrad/layers/init.hpp"

struct MGUCell : xgrad::nn::Cell
{
    std::size_t in, hid;
    xgrad::Variable wf, bf, wh, bh;

    MGUCell(std::size_t input, std::size_t hidden) : in(input), hid(hidden)
    {
        using xgrad::Tensor;
        wf = register_parameter("wf", Tensor::empty({hidden, input + hidden}));
        wh = register_parameter("wh", Tensor::empty({hidden, input + hidden}));
        bf = register_parameter("bf", Tensor::zeros({hidden}));
        bh = register_parameter("bh", Tensor::zeros({hidden}));
        xgrad::nn::init::xavier_uniform(wf);
        xgrad::nn::init::xavier_uniform(wh);
    }
    std::size_t input_size() const override { return in; }
    std::size_t hidden_size() const override { return hid; }
    xgrad::nn::cell_state forward(const xgrad::Variable& x, const xgrad::nn::cell_state& s) override
    {
        using namespace xgrad;
        Variable f = sigmoid(linear(concat({x, s[0]}, 1), wf, bf));
        Variable candidate = tanh(linear(concat({x, f * s[0]}, 1), wh, bh));
        return {(1.0 - f) * s[0] + f * candidate};
    }
    std::string describe() const override { return "MGUCell"; }
};
