// LayerNorm as PyTorch's nn.LayerNorm over the last dimension.
#pragma once

#include "xgrad/layers/unary.hpp"

namespace xgrad::nn
{

// y = (x - mean) / sqrt(var + eps) * weight + bias over the last axis of x [..., size] (the
// fused layer_norm op: one tape node). Parameters as PyTorch names and initialises them:
// weight [size] = 1 and bias [size] = 0, present when elementwise_affine. Throws value_error
// for size 0 or eps < 0; forward throws shape_error unless x's last dimension is `size`.
class LayerNorm : public Unary
{
public:
    explicit LayerNorm(std::size_t size, double eps = 1e-5, bool elementwise_affine = true);
    Variable forward(const Variable& x) override;
    std::string describe() const override;

    Variable weight, bias; // undefined without elementwise_affine

private:
    std::size_t size_;
    double eps_;
};

} // namespace xgrad::nn
