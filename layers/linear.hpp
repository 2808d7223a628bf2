// Small layers: the Unary interface (a module mapping one value to one value), Linear,
// Embedding, Dropout, and the Sequential container.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

// A module with one input and one output.
class Unary : public Module
{
public:
    virtual Variable forward(const Variable& x) = 0;
    Variable operator()(const Variable& x) { return forward(x); }
};

// y = x W^T + b as PyTorch's nn.Linear: weight [out, in], bias [out], x [..., in] -> [..., out].
// Init as PyTorch: weight kaiming_uniform(a = sqrt(5)), i.e. U(+-1/sqrt(in)); bias U(+-1/sqrt(in)).
class Linear : public Unary
{
public:
    Linear(std::size_t in, std::size_t out, bool bias = true, generator& g = default_generator());
    Variable forward(const Variable& x) override;
    std::string describe() const override;

    Variable weight, bias; // bias is undefined without one

private:
    std::size_t in_, out_;
};

// Lookup table [num, dim] as nn.Embedding, init N(0, 1). forward(ids) -> [ids.size(), dim];
// forward(ids, shape) -> [shape..., dim] (e.g. time-major token ids [T, B]).
// Throws value_error for an id outside [0, num).
class Embedding : public Module
{
public:
    Embedding(std::size_t num, std::size_t dim, generator& g = default_generator());
    Variable forward(const std::vector<std::int64_t>& ids) const;
    Variable forward(const std::vector<std::int64_t>& ids, const shape_t& shape) const;
    std::string describe() const override;

    Variable weight;

private:
    std::size_t num_, dim_;
};

// Inverted dropout in training mode, identity in evaluation mode.
class Dropout : public Unary
{
public:
    explicit Dropout(double p, generator& g = default_generator());
    Variable forward(const Variable& x) override;
    std::string describe() const override;

private:
    double p_;
    generator* gen_;
};

// Elementwise activations as modules, for use in Sequential.
class Tanh : public Unary
{
public:
    Variable forward(const Variable& x) override;
    std::string describe() const override { return "Tanh"; }
};
class ReLU : public Unary
{
public:
    Variable forward(const Variable& x) override;
    std::string describe() const override { return "ReLU"; }
};

// Applies its children in order; their parameters are named "0.weight", "1.bias", ...
class Sequential : public Unary
{
public:
    Sequential() = default;
    explicit Sequential(std::vector<std::shared_ptr<Unary>> layers);
    Sequential& add(std::shared_ptr<Unary> layer);
    Variable forward(const Variable& x) override;
    std::size_t size() const { return layers_.size(); }
    std::string describe() const override;

private:
    std::vector<std::shared_ptr<Unary>> layers_;
};

} // namespace xgrad::nn
