// Linear: y = x W^T + b as PyTorch's nn.Linear.
#pragma once

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/unary.hpp"

namespace xgrad::nn
{

// weight [out, in], bias [out]; x [..., in] -> [..., out] (leading dimensions are flattened
// into one GEMM). Init as PyTorch: weight kaiming_uniform(a = sqrt(5)), i.e. U(+-1/sqrt(in));
// bias U(+-1/sqrt(in)). forward throws shape_error naming the shapes when x's last dimension is
// not `in`.
class Linear : public Unary
{
public:
    // Throws value_error if in or out is zero.
    Linear(std::size_t in, std::size_t out, bool bias = true, generator& g = default_generator());
    Variable forward(const Variable& x) override;
    std::string describe() const override;

    Variable weight, bias; // bias is undefined without one

private:
    std::size_t in_, out_;
};

} // namespace xgrad::nn
