#include "xgrad/layers/layer_norm.hpp"

#include "xgrad/autograd/ops/normalization.hpp"

namespace xgrad::nn
{

LayerNorm::LayerNorm(std::size_t size, double eps, bool elementwise_affine) : size_(size), eps_(eps)
{
    if (size == 0)
        fail<value_error>("LayerNorm: size must be positive");
    if (!(eps >= 0))
        fail<value_error>("LayerNorm: eps must be >= 0, got {}", eps);
    if (elementwise_affine)
    {
        weight = register_parameter("weight", Tensor::ones({size}));
        bias = register_parameter("bias", Tensor::zeros({size}));
    }
}

Variable LayerNorm::forward(const Variable& x)
{
    if (x.dim() == 0 || x.shape().back() != size_)
        fail<shape_error>("LayerNorm({}): input {} must end in {}", size_, to_string(x.shape()),
                          size_);
    return layer_norm(x, weight, bias, eps_);
}

std::string LayerNorm::describe() const
{
    return fmt::format("LayerNorm({}, eps={}, elementwise_affine={})", size_, eps_,
                       weight.defined());
}

} // namespace xgrad::nn
