#include "xgrad/layers/linear.hpp"

#include <cmath>

#include "xgrad/autograd/ops/matmul.hpp"
#include "xgrad/layers/init.hpp"

namespace xgrad::nn
{

Linear::Linear(std::size_t in, std::size_t out, bool with_bias, generator& g) : in_(in), out_(out)
{
    if (in == 0 || out == 0)
        fail<value_error>("Linear: sizes must be positive, got in={} out={}", in, out);
    weight = register_parameter("weight", Tensor::empty({out, in}));
    init::kaiming_uniform(weight, std::sqrt(5.0), g);
    if (with_bias)
    {
        bias = register_parameter("bias", Tensor::empty({out}));
        const double b = 1.0 / std::sqrt(static_cast<double>(in));
        init::uniform(bias, -b, b, g);
    }
}

Variable Linear::forward(const Variable& x)
{
    return linear(x, weight, bias);
}

std::string Linear::describe() const
{
    return fmt::format("Linear(in={}, out={}, bias={})", in_, out_, bias.defined());
}

} // namespace xgrad::nn
