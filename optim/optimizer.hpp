// Optimizer: the base of every optimizer. It holds parameter groups (each with its own learning
// rate and weight decay), per-parameter state tensors (moments, step counts), and saves that
// state to a safetensors file so that training resumes bit-exactly.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace xgrad::optim
{

struct param_group
{
    std::vector<Variable> params;
    double lr = -1;           // < 0: the optimizer's default
    double weight_decay = -1; // < 0: the optimizer's default
};

class Optimizer
{
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    // One update of every parameter that has a gradient (others are skipped, as PyTorch skips a
    // None grad). Runs without recording on the tape.
    void step();
    // Drops every parameter's gradient.
    void zero_grad();

    std::size_t num_groups() const { return groups_.size(); }
    const param_group& group(std::size_t g) const { return groups_.at(g); }
    double lr(std::size_t g = 0) const { return groups_.at(g).lr; }
    void set_lr(double lr); // every group
    void set_lr(std::size_t g, double lr);

    // The state as named tensors: "group.<g>.lr", "param.<g>.<i>.<key>" with the keys of
    // state_keys(). load_state_dict checks that the parameters' count and shapes match, that
    // every key is one of state_keys() and that each parameter has all of them or none, and
    // throws value_error naming the first mismatch otherwise (nothing is changed then).
    std::map<std::string, Tensor> state_dict() const;
    void load_state_dict(const std::map<std::string, Tensor>& state);
    // The same through a safetensors file, written atomically.
    void save(const std::string& path) const;
    void load(const std::string& path);

    virtual std::string name() const = 0;

    // The keys of a parameter's state once it has been updated, for this configuration (Adam
    // with amsgrad adds "max_exp_avg_sq"; SGD without momentum keeps none). "step" is the step
    // count (a non-negative float64 scalar, see next_step); every other key is a tensor of the
    // parameter's shape and dtype (see buffer).
    virtual std::vector<std::string> state_keys() const = 0;

protected:
    Optimizer(std::vector<param_group> groups, double default_lr, double default_wd);

    // The update of one parameter p (its gradient is defined). `state` is p's own state, empty on
    // the first step; lr and wd are p's group's.
    virtual void update(const Variable& p, std::map<std::string, Tensor>& state, double lr,
                        double wd) = 0;

    // The state tensor `key`, created as zeros of p's shape and dtype on first use.
    static Tensor& buffer(std::map<std::string, Tensor>& state, const std::string& key,
                          const Variable& p);
    // The step count kept in state["step"], incremented; returns the new count.
    static double next_step(std::map<std::string, Tensor>& state);

private:
    std::vector<param_group> groups_;
    std::vector<std::vector<std::map<std::string, Tensor>>> state_; // [group][param]
};

// Wraps a plain parameter list as one group.
std::vector<param_group> single_group(const std::vector<Variable>& params);

} // namespace xgrad::optim
