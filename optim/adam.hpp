// Adam and AdamW with PyTorch's semantics (torch.optim.Adam / AdamW), step t from 1:
//   Adam:  g <- g + wd p          AdamW:  p <- p (1 - lr wd)   (decoupled weight decay)
//   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
//   amsgrad: v_max <- max(v_max, v) and v_max replaces v below
//   p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xgrad::optim
{

struct adam_options
{
    double lr = 1e-3;
    double beta1 = 0.9, beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0; // AdamW's default is 1e-2
    bool amsgrad = false;
};

class Adam : public Optimizer
{
public:
    Adam(const std::vector<Variable>& params, const adam_options& o = {});
    Adam(std::vector<param_group> groups, const adam_options& o = {});
    std::string name() const override { return decoupled_ ? "AdamW" : "Adam"; }
    std::vector<std::string> state_keys() const override;

protected:
    Adam(std::vector<param_group> groups, const adam_options& o, bool decoupled);
    void update(const Variable& p, std::map<std::string, Tensor>& state, double lr,
                double wd) override;

private:
    adam_options o_;
    bool decoupled_;
};

class AdamW : public Adam
{
public:
    // AdamW's defaults: as Adam but weight_decay 1e-2.
    static adam_options defaults()
    {
        adam_options o;
        o.weight_decay = 1e-2;
        return o;
    }
    AdamW(const std::vector<Variable>& params, const adam_options& o = defaults())
        : Adam(single_group(params), o, true)
    {}
    AdamW(std::vector<param_group> groups, const adam_options& o = defaults())
        : Adam(std::move(groups), o, true)
    {}
};

} // namespace xgrad::optim
