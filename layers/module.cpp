#include "xgrad/layers/module.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include <fmt/format.h>

namespace xgrad::nn
{

Variable Module::register_parameter(const std::string& name, Tensor init)
{
    return register_parameter(name, Variable(std::move(init), true));
}

Variable Module::register_parameter(const std::string& name, Variable v)
{
    for (const auto& p : params_)
        if (p.first == name)
            fail<value_error>("module: parameter '{}' is registered twice", name);
    params_.emplace_back(name, v);
    return v;
}

void Module::register_flat_parameters(const Module& m, const std::string& prefix,
                                      const std::string& suffix)
{
    for (const auto& [name, v] : m.named_parameters())
        register_parameter(prefix + name + suffix, v);
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m, bool exposed)
{
    if (!m)
        fail<value_error>("module: child '{}' is null", name);
    children_.push_back({name, std::move(m), exposed});
}

void Module::collect(const std::string& prefix, std::vector<named_parameter>& out) const
{
    for (const auto& p : params_)
        out.emplace_back(prefix + p.first, p.second);
    for (const auto& c : children_)
        if (c.exposed)
            c.module->collect(prefix + c.name + ".", out);
}

std::vector<named_parameter> Module::named_parameters() const
{
    std::vector<named_parameter> out;
    collect("", out);
    return out;
}

std::vector<Variable> Module::parameters() const
{
    std::vector<Variable> out;
    for (auto& p : named_parameters())
        out.push_back(p.second);
    return out;
}

std::map<std::string, Tensor> Module::state_dict() const
{
    std::map<std::string, Tensor> out;
    for (auto& p : named_parameters())
        out.emplace(p.first, p.second.data());
    return out;
}

incompatible_keys Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict)
{
    std::vector<std::string> problems;
    incompatible_keys keys;
    const auto params = named_parameters();
    std::set<std::string> known;
    std::vector<std::pair<Variable, Tensor>> copies; // converted first: nothing changes on error
    for (const auto& [name, v] : params)
    {
        known.insert(name);
        auto it = state.find(name);
        if (it == state.end())
        {
            keys.missing.push_back(name);
            if (strict)
                problems.push_back(fmt::format("missing '{}'", name));
        }
        else if (!it->second.defined() || it->second.shape() != v.shape())
            problems.push_back(
                fmt::format("'{}' has shape {}, expected {}", name,
                            it->second.defined() ? to_string(it->second.shape()) : "undefined",
                            to_string(v.shape())));
        else if (problems.empty())
            copies.emplace_back(v, it->second.to(v.dtype()));
    }
    for (const auto& entry : state)
        if (!known.count(entry.first))
        {
            keys.unexpected.push_back(entry.first);
            if (strict)
                problems.push_back(fmt::format("unexpected '{}'", entry.first));
        }
    if (!problems.empty())
        fail<value_error>("load_state_dict: {}", fmt::join(problems, "; "));
    for (const auto& [v, src] : copies)
        std::memcpy(v.data().raw_data(), src.raw_data(), src.nbytes());
    std::sort(keys.missing.begin(), keys.missing.end());
    return keys;
}

std::size_t Module::parameter_count() const
{
    std::size_t n = 0;
    for (const auto& p : named_parameters())
        n += p.second.numel();
    return n;
}

void Module::zero_grad()
{
    for (const auto& p : named_parameters())
        p.second.zero_grad();
}

void Module::train(bool on)
{
    training_ = on;
    for (auto& c : children_)
        c.module->train(on);
}

void Module::collect_flags(std::vector<bool>& out) const
{
    out.push_back(training_);
    for (const auto& c : children_)
        c.module->collect_flags(out);
}

std::vector<bool> Module::training_flags() const
{
    std::vector<bool> out;
    collect_flags(out);
    return out;
}

std::size_t Module::apply_flags(const std::vector<bool>& flags, std::size_t at)
{
    training_ = flags[at++];
    for (auto& c : children_)
        at = c.module->apply_flags(flags, at);
    return at;
}

void Module::set_training_flags(const std::vector<bool>& flags)
{
    if (flags.size() != training_flags().size())
        fail<value_error>("set_training_flags: {} flags for {} with {} modules", flags.size(),
                          describe(), training_flags().size());
    apply_flags(flags, 0);
}

void Module::to(dtype dt)
{
    if (!is_floating(dt))
        fail<value_error>("module.to: parameters must be float32 or float64, not {}",
                          dtype_name(dt));
    for (const auto& p : named_parameters())
    {
        p.second.data() = p.second.data().to(dt);
        if (p.second.has_grad())
            p.second.grad() = p.second.grad().to(dt);
    }
}

std::string Module::summary() const
{
    const auto params = named_parameters();
    std::size_t width = 9;
    for (const auto& p : params)
        width = std::max(width, p.first.size());
    std::string out = describe() + "\n";
    out += fmt::format("  {:<{}}  {:<16} {:>12}\n", "parameter", width, "shape", "count");
    for (const auto& p : params)
        out += fmt::format("  {:<{}}  {:<16} {:>12}\n", p.first, width, to_string(p.second.shape()),
                           p.second.numel());
    out += fmt::format("  {:<{}}  {:<16} {:>12}\n", "total", width, "", parameter_count());
    return out;
}

} // namespace xgrad::nn
