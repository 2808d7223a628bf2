#include "xgrad/layers/linear.hpp"

#include <cmath>

#include "xgrad/autograd/ops/dropout.hpp"
#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/autograd/ops/matmul.hpp"
#include "xgrad/autograd/ops/pointwise.hpp"
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

Embedding::Embedding(std::size_t num, std::size_t dim, generator& g) : num_(num), dim_(dim)
{
    if (num == 0 || dim == 0)
        fail<value_error>("Embedding: sizes must be positive, got num={} dim={}", num, dim);
    weight = register_parameter("weight", Tensor::empty({num, dim}));
    init::normal(weight, 0.0, 1.0, g);
}

Variable Embedding::forward(const std::vector<std::int64_t>& ids) const
{
    return index_select(weight, ids, 0);
}

Variable Embedding::forward(const std::vector<std::int64_t>& ids, const shape_t& shape) const
{
    if (numel(shape) != ids.size())
        fail<shape_error>("Embedding: {} ids do not fill shape {}", ids.size(), to_string(shape));
    shape_t out = shape;
    out.push_back(dim_);
    return reshape(index_select(weight, ids, 0), out);
}

std::string Embedding::describe() const
{
    return fmt::format("Embedding({}, {})", num_, dim_);
}

Dropout::Dropout(double p, generator& g) : p_(p), gen_(&g)
{
    if (!(p >= 0.0 && p <= 1.0))
        fail<value_error>("Dropout: probability {} is outside [0, 1]", p);
}

Variable Dropout::forward(const Variable& x)
{
    return dropout(x, p_, is_training(), *gen_);
}
std::string Dropout::describe() const
{
    return fmt::format("Dropout(p={})", p_);
}

Variable Tanh::forward(const Variable& x)
{
    return tanh(x);
}
Variable ReLU::forward(const Variable& x)
{
    return relu(x);
}

Sequential::Sequential(std::vector<std::shared_ptr<Unary>> layers)
{
    for (auto& l : layers)
        add(std::move(l));
}

Sequential& Sequential::add(std::shared_ptr<Unary> layer)
{
    register_module(std::to_string(layers_.size()), layer);
    layers_.push_back(std::move(layer));
    return *this;
}

Variable Sequential::forward(const Variable& x)
{
    Variable y = x;
    for (auto& l : layers_)
        y = l->forward(y);
    return y;
}

std::string Sequential::describe() const
{
    std::string s = "Sequential(";
    for (std::size_t i = 0; i < layers_.size(); ++i)
        s += (i ? ", " : "") + layers_[i]->describe();
    return s + ")";
}

} // namespace xgrad::nn
