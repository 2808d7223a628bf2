// The optimizers fuzz_optimizer_state loads states into, shared with seeds.cpp so that the seed
// states are for exactly these parameters (a state for other shapes is refused at once and
// would not reach the deeper checks).
#pragma once

#include <memory>
#include <vector>

#include "xgrad/layers/linear.hpp"
#include "xgrad/optim/adagrad.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/rmsprop.hpp"
#include "xgrad/optim/sgd.hpp"

namespace xgrad::fuzz
{

// A 3 -> 2 linear layer: a matrix and a vector parameter.
inline nn::Linear& model()
{
    static nn::Linear m(3, 2);
    return m;
}

// Every optimizer with every optional state key switched on (momentum buffers, amsgrad's maximum,
// RMSprop's centred average), so each key's validation is reachable.
inline std::vector<std::unique_ptr<optim::Optimizer>> optimizers()
{
    const std::vector<Variable> p = model().parameters();
    std::vector<std::unique_ptr<optim::Optimizer>> o;
    o.push_back(std::make_unique<optim::SGD>(p, optim::sgd_options{0.1, 0.9, 0, 0, true}));
    o.push_back(
        std::make_unique<optim::Adam>(p, optim::adam_options{0.1, 0.9, 0.99, 1e-8, 0, true}));
    o.push_back(std::make_unique<optim::AdamW>(p));
    o.push_back(std::make_unique<optim::RMSprop>(
        p, optim::rmsprop_options{0.01, 0.99, 1e-8, 0, 0.9, true}));
    o.push_back(std::make_unique<optim::Adagrad>(p));
    return o;
}

} // namespace xgrad::fuzz
