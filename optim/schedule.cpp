#include "xgrad/optim/schedule.hpp"

#include <cmath>

namespace xgrad::optim
{

Schedule::Schedule(Optimizer& opt) : opt_(opt)
{
    for (std::size_t g = 0; g < opt.num_groups(); ++g)
        base_.push_back(opt.lr(g));
}

void Schedule::step()
{
    ++count_;
    for (std::size_t g = 0; g < base_.size(); ++g)
        opt_.set_lr(g, rate(base_[g], count_));
}

StepLR::StepLR(Optimizer& opt, std::size_t step_size, double gamma)
    : Schedule(opt), step_size_(step_size), gamma_(gamma)
{
    if (step_size == 0)
        fail<value_error>("StepLR: step_size must be at least 1");
}

double StepLR::rate(double base, std::size_t c) const
{
    return base * std::pow(gamma_, static_cast<double>(c / step_size_));
}

ExponentialLR::ExponentialLR(Optimizer& opt, double gamma) : Schedule(opt), gamma_(gamma)
{}

double ExponentialLR::rate(double base, std::size_t c) const
{
    return base * std::pow(gamma_, static_cast<double>(c));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& opt, std::size_t t_max, double eta_min)
    : Schedule(opt), t_max_(t_max), eta_min_(eta_min)
{
    if (t_max == 0)
        fail<value_error>("CosineAnnealingLR: t_max must be at least 1");
}

double CosineAnnealingLR::rate(double base, std::size_t c) const
{
    const double k =
        c >= t_max_
            ? 0.0
            : (1 + std::cos(M_PI * static_cast<double>(c) / static_cast<double>(t_max_))) / 2;
    return eta_min_ + (base - eta_min_) * k;
}

LinearWarmup::LinearWarmup(Optimizer& opt, std::size_t steps, double start_factor)
    : Schedule(opt), steps_(steps), start_(start_factor)
{
    if (steps == 0 || start_factor < 0 || start_factor > 1)
        fail<value_error>("LinearWarmup: needs steps >= 1 and start_factor in [0, 1], got {} "
                          "and {}",
                          steps, start_factor);
}

double LinearWarmup::rate(double base, std::size_t c) const
{
    const double done = std::min(1.0, static_cast<double>(c) / static_cast<double>(steps_));
    return base * (start_ + (1 - start_) * done);
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& opt, double factor, std::size_t patience,
                                     double threshold, compare_to mode, double min_lr)
    : opt_(opt), factor_(factor), threshold_(threshold), min_lr_(min_lr), patience_(patience),
      mode_(mode)
{
    if (!(factor > 0 && factor < 1))
        fail<value_error>("ReduceLROnPlateau: factor {} must lie in (0, 1)", factor);
}

bool ReduceLROnPlateau::step(double metric)
{
    if (!has_ref_)
    {
        has_ref_ = true;
        ref_ = metric;
        return false;
    }
    // The tutorial compares with the previous evaluation and reacts only to a rise.
    const bool improved =
        mode_ == compare_to::previous ? !(metric > ref_) : metric < ref_ * (1 - threshold_);
    if (mode_ == compare_to::previous || improved)
        ref_ = metric;
    bad_ = improved ? 0 : bad_ + 1;
    if (bad_ <= patience_)
        return false;
    bad_ = 0;
    for (std::size_t g = 0; g < opt_.num_groups(); ++g)
        opt_.set_lr(g, std::max(min_lr_, opt_.lr(g) * factor_));
    return true;
}

} // namespace xgrad::optim
