#include "xgrad/layers/activation.hpp"

#include "xgrad/autograd/ops/pointwise.hpp"

namespace xgrad::nn
{

Variable Tanh::forward(const Variable& x)
{
    return tanh(x);
}

Variable ReLU::forward(const Variable& x)
{
    return relu(x);
}

} // namespace xgrad::nn
