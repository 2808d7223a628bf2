#include "xgrad/layers/module.hpp"

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

void Module::load_state_dict(const std::map<std::string, Tensor>& state)
{
    std::vector<std::string> problems;
    const auto params = named_parameters();
    std::set<std::string> known;
    for (const auto& [name, v] : params)
    {
        known.insert(name);
        auto it = state.find(name);
        if (it == state.end())
            problems.push_back(fmt::format("missing '{}'", name));
        else if (it->second.shape() != v.shape())
            problems.push_back(fmt::format("'{}' has shape {}, expected {}", name,
                                           to_string(it->second.shape()), to_string(v.shape())));
        else if (it->second.dtype() != v.dtype())
            problems.push_back(fmt::format("'{}' is {}, expected {}", name,
                                           dtype_name(it->second.dtype()), dtype_name(v.dtype())));
    }
    for (const auto& entry : state)
        if (!known.count(entry.first))
            problems.push_back(fmt::format("unexpected '{}'", entry.first));
    if (!problems.empty())
        fail<value_error>("load_state_dict: {}", fmt::join(problems, "; "));
    for (const auto& [name, v] : params)
    {
        const Tensor& src = state.at(name);
        std::memcpy(v.data().raw_data(), src.raw_data(), src.nbytes());
    }
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
