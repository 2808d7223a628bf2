// Unary: the interface of a module mapping one value to one value (Linear, Dropout, the
// activations, Sequential), so that Sequential can chain any of them.
#pragma once

#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

class Unary : public Module
{
public:
    // x -> y; shapes and errors are the implementing layer's.
    virtual Variable forward(const Variable& x) = 0;
    Variable operator()(const Variable& x) { return forward(x); }
};

} // namespace xgrad::nn
