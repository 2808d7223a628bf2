// Learning-rate schedules. Each sets the optimizer's learning rates from the base rates it saw at
// construction; call step() once per epoch (or per iteration, as you define the unit).
#pragma once

#include <vector>

#include "xgrad/optim/optimizer.hpp"

namespace xgrad::optim
{

// Schedules that are a function of the step count: lr = rate(base_lr, count) for each group.
class Schedule
{
public:
    explicit Schedule(Optimizer& opt);
    virtual ~Schedule() = default;
    // Advances the count by one and sets the new learning rates.
    void step();
    std::size_t count() const { return count_; }
    virtual double rate(double base, std::size_t count) const = 0;

protected:
    Optimizer& opt_;
    std::vector<double> base_;
    std::size_t count_ = 0;
};

// base * gamma^(count / step_size), integer division (StepLR).
class StepLR : public Schedule
{
public:
    StepLR(Optimizer& opt, std::size_t step_size, double gamma = 0.1);
    double rate(double base, std::size_t count) const override;

private:
    std::size_t step_size_;
    double gamma_;
};

// base * gamma^count (ExponentialLR).
class ExponentialLR : public Schedule
{
public:
    ExponentialLR(Optimizer& opt, double gamma);
    double rate(double base, std::size_t count) const override;

private:
    double gamma_;
};

// eta_min + (base - eta_min) (1 + cos(pi count / t_max)) / 2, the closed form of PyTorch's
// CosineAnnealingLR; stays at eta_min past t_max.
class CosineAnnealingLR : public Schedule
{
public:
    CosineAnnealingLR(Optimizer& opt, std::size_t t_max, double eta_min = 0);
    double rate(double base, std::size_t count) const override;

private:
    std::size_t t_max_;
    double eta_min_;
};

// Linear warm-up from start_factor * base to base over `steps` counts, then constant.
class LinearWarmup : public Schedule
{
public:
    LinearWarmup(Optimizer& opt, std::size_t steps, double start_factor = 0.0);
    double rate(double base, std::size_t count) const override;

private:
    std::size_t steps_;
    double start_;
};

// Lowers the learning rates by `factor` when a metric (e.g. validation loss) stops improving.
// compare_to: against the best value so far (PyTorch's ReduceLROnPlateau, with its relative
// threshold) or against the previous value (the RNN tutorial's rule: halve when the loss rose).
class ReduceLROnPlateau
{
public:
    enum class compare_to
    {
        best,
        previous
    };
    ReduceLROnPlateau(Optimizer& opt, double factor = 0.1, std::size_t patience = 10,
                      double threshold = 1e-4, compare_to mode = compare_to::best,
                      double min_lr = 0);
    // Feeds one evaluation; returns true when it lowered the learning rates.
    bool step(double metric);

private:
    Optimizer& opt_;
    double factor_, threshold_, min_lr_;
    std::size_t patience_, bad_ = 0;
    compare_to mode_;
    bool has_ref_ = false;
    double ref_ = 0;
};

// The tutorial's rule as a one-liner: halve the learning rate whenever the evaluated loss is
// higher than at the previous evaluation.
inline ReduceLROnPlateau halve_on_rise(Optimizer& opt)
{
    return ReduceLROnPlateau(opt, 0.5, 0, 0.0, ReduceLROnPlateau::compare_to::previous);
}

} // namespace xgrad::optim
