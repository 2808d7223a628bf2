// Sequential: applies its children in order, as PyTorch's nn.Sequential.
#pragma once

#include <memory>
#include <vector>

#include "xgrad/layers/unary.hpp"

namespace xgrad::nn
{

// Children's parameters are named by position: "0.weight", "1.bias", ... Shapes must chain
// (each child's errors name it); an empty Sequential is the identity.
class Sequential : public Unary
{
public:
    Sequential() = default;
    // Throws value_error if a layer is null.
    explicit Sequential(std::vector<std::shared_ptr<Unary>> layers);
    Sequential& add(std::shared_ptr<Unary> layer);
    Variable forward(const Variable& x) override;
    std::size_t size() const { return layers_.size(); }
    std::string describe() const override;

private:
    std::vector<std::shared_ptr<Unary>> layers_;
};

} // namespace xgrad::nn
