// A recurrent cell defined in user code: the minimal gated unit (Zhou et al., 2016).
//   f = sigma(W_f [x, h] + b_f),  h~ = tanh(W_h [x, f * h] + b_h),  h' = (1 - f) * h + f * h~
// Written with autograd ops only: Recurrent, Bidirectional and Stacked run it unchanged, and
// backpropagation through time comes from the tape. With fused_update, the two pointwise parts
// (f and f * h; then h') are each one xgrad::fused op whose derivatives xgrad derives itself.
#pragma once

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/cell.hpp"
#include "xgrad/layers/init.hpp"

struct MGUCell : xgrad::nn::Cell
{
    std::size_t in, hid;
    bool use_fused;
    xgrad::Variable wf, bf, wh, bh;

    MGUCell(std::size_t input, std::size_t hidden, bool fused_update = false)
        : in(input), hid(hidden), use_fused(fused_update)
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
        if (use_fused)
        {
            // [f, f * h] from the gate's pre-activation, then h' from the candidate's.
            const var_list fh = fused<2>(
                "mgu_gate",
                [](auto zf, auto h) {
                    auto f = fn::sigmoid(zf);
                    return std::tuple{f, f * h};
                },
                linear(concat({x, s[0]}, 1), wf, bf), s[0]);
            return {fused(
                "mgu_update",
                [](auto f, auto h, auto zh) { return (1.0 - f) * h + f * fn::tanh(zh); }, fh[0],
                s[0], linear(concat({x, fh[1]}, 1), wh, bh))[0]};
        }
        Variable f = sigmoid(linear(concat({x, s[0]}, 1), wf, bf));
        Variable candidate = tanh(linear(concat({x, f * s[0]}, 1), wh, bh));
        return {(1.0 - f) * s[0] + f * candidate};
    }
    std::string describe() const override { return use_fused ? "MGUCell (fused)" : "MGUCell"; }
};
