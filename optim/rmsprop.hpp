// RMSprop with PyTorch's semantics (torch.optim.RMSprop):
//   g <- g + wd p;   s <- alpha s + (1 - alpha) g^2
//   centered: a <- alpha a + (1 - alpha) g,  d = sqrt(s - a^2) + eps;  else d = sqrt(s) + eps
//   momentum > 0: b <- momentum b + g / d,  p <- p - lr b;   else p <- p - lr g / d
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xgrad::optim
{

struct rmsprop_options
{
    double lr = 1e-2;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0;
    double momentum = 0;
    bool centered = false;
};

class RMSprop : public Optimizer
{
public:
    RMSprop(const std::vector<Variable>& params, const rmsprop_options& o = {});
    RMSprop(std::vector<param_group> groups, const rmsprop_options& o = {});
    std::string name() const override { return "RMSprop"; }
    std::vector<std::string> state_keys() const override;

protected:
    void update(const Variable& p, std::map<std::string, Tensor>& state, double lr,
                double wd) override;

private:
    rmsprop_options o_;
};

} // namespace xgrad::optim
