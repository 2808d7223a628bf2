// Adagrad with PyTorch's semantics (torch.optim.Adagrad), step t from 1:
//   g <- g + wd p;   clr = lr / (1 + (t - 1) lr_decay);   s <- s + g^2
//   p <- p - clr g / (sqrt(s) + eps)
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xgrad::optim
{

struct adagrad_options
{
    double lr = 1e-2;
    double lr_decay = 0;
    double weight_decay = 0;
    double initial_accumulator_value = 0;
    double eps = 1e-10;
};

class Adagrad : public Optimizer
{
public:
    Adagrad(const std::vector<Variable>& params, const adagrad_options& o = {});
    Adagrad(std::vector<param_group> groups, const adagrad_options& o = {});
    std::string name() const override { return "Adagrad"; }
    std::vector<std::string> state_keys() const override;

protected:
    void update(const Variable& p, std::map<std::string, Tensor>& state, double lr,
                double wd) override;

private:
    adagrad_options o_;
};

} // namespace xgrad::optim
