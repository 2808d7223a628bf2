#include "xgrad/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>

#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad::optim
{

std::vector<param_group> single_group(const std::vector<Variable>& params)
{
    return {param_group{params, -1, -1}};
}

Optimizer::Optimizer(std::vector<param_group> groups, double default_lr, double default_wd)
    : groups_(std::move(groups))
{
    if (groups_.empty())
        fail<value_error>("optimizer: no parameter groups");
    for (std::size_t g = 0; g < groups_.size(); ++g)
    {
        auto& grp = groups_[g];
        if (grp.lr < 0)
            grp.lr = default_lr;
        if (grp.weight_decay < 0)
            grp.weight_decay = default_wd;
        if (!(grp.lr >= 0))
            fail<value_error>("optimizer: learning rate {} of group {} is invalid", grp.lr, g);
        for (std::size_t i = 0; i < grp.params.size(); ++i)
            if (!grp.params[i].defined() || !grp.params[i].is_leaf())
                fail<value_error>("optimizer: parameter {} of group {} is not a leaf value", i, g);
        state_.emplace_back(grp.params.size());
    }
}

void Optimizer::step()
{
    no_grad guard;
    for (std::size_t g = 0; g < groups_.size(); ++g)
        for (std::size_t i = 0; i < groups_[g].params.size(); ++i)
        {
            const Variable& p = groups_[g].params[i];
            if (!p.has_grad())
                continue;
            if (p.grad().shape() != p.shape() || p.grad().dtype() != p.dtype())
                fail<value_error>("{}: gradient {} {} does not match parameter {} {}", name(),
                                  dtype_name(p.grad().dtype()), to_string(p.grad().shape()),
                                  dtype_name(p.dtype()), to_string(p.shape()));
            update(p, state_[g][i], groups_[g].lr, groups_[g].weight_decay);
        }
}

void Optimizer::zero_grad()
{
    for (auto& grp : groups_)
        for (auto& p : grp.params)
            p.zero_grad();
}

void Optimizer::set_lr(double lr)
{
    for (std::size_t g = 0; g < groups_.size(); ++g)
        set_lr(g, lr);
}

void Optimizer::set_lr(std::size_t g, double lr)
{
    if (!(lr >= 0))
        fail<value_error>("{}: learning rate {} is invalid", name(), lr);
    groups_.at(g).lr = lr;
}

Tensor& Optimizer::buffer(std::map<std::string, Tensor>& state, const std::string& key,
                          const Variable& p)
{
    auto it = state.find(key);
    if (it == state.end())
        it = state.emplace(key, Tensor::zeros(p.shape(), p.dtype())).first;
    return it->second;
}

double Optimizer::next_step(std::map<std::string, Tensor>& state)
{
    auto it = state.find("step");
    if (it == state.end())
        it = state.emplace("step", Tensor::scalar(0.0, f64)).first;
    double& s = it->second.data<double>()[0];
    s += 1;
    return s;
}

std::map<std::string, Tensor> Optimizer::state_dict() const
{
    std::map<std::string, Tensor> out;
    for (std::size_t g = 0; g < groups_.size(); ++g)
    {
        out[fmt::format("group.{}.lr", g)] = Tensor::scalar(groups_[g].lr, f64);
        out[fmt::format("group.{}.size", g)] =
            Tensor::scalar(static_cast<double>(groups_[g].params.size()), f64);
        for (std::size_t i = 0; i < state_[g].size(); ++i)
            for (const auto& [key, t] : state_[g][i])
                out[fmt::format("param.{}.{}.{}", g, i, key)] = t.clone();
    }
    return out;
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& state)
{
    // Validate everything before changing anything.
    const std::vector<std::string> keys = state_keys();
    std::vector<std::vector<std::map<std::string, Tensor>>> fresh(groups_.size());
    std::vector<double> lrs(groups_.size());
    for (std::size_t g = 0; g < groups_.size(); ++g)
    {
        auto lr = state.find(fmt::format("group.{}.lr", g));
        auto size = state.find(fmt::format("group.{}.size", g));
        if (lr == state.end() || size == state.end())
            fail<value_error>("{}: state has no entry for parameter group {}", name(), g);
        const double n = size->second.numel() == 1 ? size->second.item() : -1;
        if (n != static_cast<double>(groups_[g].params.size()))
            fail<value_error>("{}: state of group {} is for {} parameters, the optimizer has {}",
                              name(), g, n, groups_[g].params.size());
        lrs[g] = lr->second.numel() == 1 ? lr->second.item() : -1;
        if (!(lrs[g] >= 0) || !std::isfinite(lrs[g]))
            fail<value_error>("{}: state holds an invalid learning rate for group {}", name(), g);
        fresh[g].resize(groups_[g].params.size());
    }
    for (const auto& [key, t] : state)
    {
        if (key.rfind("group.", 0) == 0)
        {
            std::size_t g = 0;
            if (std::sscanf(key.c_str(), "group.%zu.", &g) != 1 || g >= groups_.size())
                fail<value_error>("{}: unexpected state entry '{}'", name(), key);
            continue;
        }
        std::size_t g = 0, i = 0;
        int used = 0;
        if (std::sscanf(key.c_str(), "param.%zu.%zu.%n", &g, &i, &used) != 2 || used == 0 ||
            g >= groups_.size() || i >= groups_[g].params.size())
            fail<value_error>("{}: unexpected state entry '{}'", name(), key);
        const std::string field = key.substr(static_cast<std::size_t>(used));
        if (std::find(keys.begin(), keys.end(), field) == keys.end())
            fail<value_error>("{}: unexpected state entry '{}' ({} keeps {})", name(), key, name(),
                              keys.empty() ? "no state" : fmt::format("{}", fmt::join(keys, ", ")));
        const Variable& p = groups_[g].params[i];
        if (field == "step" && (t.dtype() != f64 || t.numel() != 1 || !(t.item() >= 0)))
            fail<value_error>("{}: state '{}' must be a non-negative float64 scalar", name(), key);
        if (field != "step" && (t.shape() != p.shape() || t.dtype() != p.dtype()))
            fail<value_error>("{}: state '{}' is {} {} but the parameter is {} {}", name(), key,
                              dtype_name(t.dtype()), to_string(t.shape()), dtype_name(p.dtype()),
                              to_string(p.shape()));
        fresh[g][i][field] = t.clone();
    }
    // A parameter's state is all or nothing: moments without a step count (or the reverse)
    // would silently restart part of it.
    for (std::size_t g = 0; g < fresh.size(); ++g)
        for (std::size_t i = 0; i < fresh[g].size(); ++i)
        {
            const auto& st = fresh[g][i];
            if (st.empty())
                continue;
            for (const std::string& k : keys)
                if (!st.count(k))
                    fail<value_error>("{}: state of parameter {} of group {} lacks '{}'{}", name(),
                                      i, g, k, k == "step" ? " (its step count)" : "");
        }
    state_ = std::move(fresh);
    for (std::size_t g = 0; g < groups_.size(); ++g)
        groups_[g].lr = lrs[g];
}

void Optimizer::save(const std::string& path) const
{
    io::save_tensors(path, state_dict(), {{"optimizer", name()}});
}

void Optimizer::load(const std::string& path)
{
    io::tensor_file f = io::load_tensors(path);
    auto it = f.metadata.find("optimizer");
    if (it == f.metadata.end() || it->second != name())
        fail<value_error>("{}: '{}' holds the state of {}", name(), path,
                          it == f.metadata.end() ? "no optimizer" : it->second);
    load_state_dict(f.tensors);
}

} // namespace xgrad::optim
