// Elementwise activations as modules, for Sequential: any shape in, the same shape out.
#pragma once

#include "xgrad/layers/unary.hpp"

namespace xgrad::nn
{

class Tanh : public Unary
{
public:
    Variable forward(const Variable& x) override;
    std::string describe() const override { return "Tanh"; }
};

class ReLU : public Unary
{
public:
    Variable forward(const Variable& x) override;
    std::string describe() const override { return "ReLU"; }
};

} // namespace xgrad::nn
