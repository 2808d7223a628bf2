// Dropout as a module, for Sequential.
#pragma once

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/unary.hpp"

namespace xgrad::nn
{

// Inverted dropout in training mode (each element zeroed with probability p, the others scaled
// by 1 / (1 - p)), identity in evaluation mode. Any shape in, the same shape out. The generator
// must outlive the module.
class Dropout : public Unary
{
public:
    // Throws value_error unless p is in [0, 1].
    explicit Dropout(double p, generator& g = default_generator());
    Variable forward(const Variable& x) override;
    std::string describe() const override;

private:
    double p_;
    generator* gen_;
};

} // namespace xgrad::nn
