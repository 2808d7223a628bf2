// Stochastic gradient descent with PyTorch's semantics (torch.optim.SGD):
//   g <- g + wd p
//   with momentum m > 0:  b <- g on the first step, else b <- m b + (1 - dampening) g
//                         g <- g + m b  (nesterov)   or   g <- b
//   p <- p - lr g
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xgrad::optim
{

struct sgd_options
{
    double lr = 0.01;
    double momentum = 0;
    double dampening = 0;
    double weight_decay = 0;
    bool nesterov = false; // needs momentum > 0 and dampening 0 (throws value_error otherwise)
};

class SGD : public Optimizer
{
public:
    SGD(const std::vector<Variable>& params, const sgd_options& o = {});
    SGD(std::vector<param_group> groups, const sgd_options& o = {});
    std::string name() const override { return "SGD"; }
    std::vector<std::string> state_keys() const override;

protected:
    void update(const Variable& p, std::map<std::string, Tensor>& state, double lr,
                double wd) override;

private:
    sgd_options o_;
};

} // namespace xgrad::optim
