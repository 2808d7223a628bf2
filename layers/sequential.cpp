#include "xgrad/layers/sequential.hpp"

namespace xgrad::nn
{

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
