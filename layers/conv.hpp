// Convolution and pooling modules with PyTorch's names, shapes and initialisation, so that the
// state_dict of a PyTorch nn.Conv2d / nn.Conv1d (or a Sequential of them with pools between)
// loads unchanged. The math, shapes and errors are those of autograd/ops/conv.hpp.
#pragma once

#include "xgrad/autograd/ops/conv.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/unary.hpp"

namespace xgrad::nn
{

// weight [out, in, k_h, k_w], bias [out]. Init as PyTorch: weight kaiming_uniform(a = sqrt(5)),
// i.e. U(+-1/sqrt(in k_h k_w)); bias U(+-1/sqrt(in k_h k_w)).
// x [N, in, H, W] (or [in, H, W]) -> [N, out, H_out, W_out].
class Conv2d : public Unary
{
public:
    // Throws value_error for a zero size, stride or dilation.
    Conv2d(std::size_t in, std::size_t out, std::array<std::size_t, 2> kernel,
           const conv2d_options& o = {}, bool bias = true, generator& g = default_generator());
    // A square kernel.
    Conv2d(std::size_t in, std::size_t out, std::size_t kernel, const conv2d_options& o = {},
           bool bias = true, generator& g = default_generator())
        : Conv2d(in, out, {kernel, kernel}, o, bias, g)
    {}
    Variable forward(const Variable& x) override;
    std::string describe() const override;
    const conv2d_options& options() const { return o_; }

    Variable weight, bias; // bias is undefined without one

private:
    std::size_t in_, out_;
    conv2d_options o_;
};

// weight [out, in, k], bias [out]; init as Conv2d with fan-in in k. x [N, in, L] (or [in, L]).
class Conv1d : public Unary
{
public:
    Conv1d(std::size_t in, std::size_t out, std::size_t kernel, const conv1d_options& o = {},
           bool bias = true, generator& g = default_generator());
    Variable forward(const Variable& x) override;
    std::string describe() const override;

    Variable weight, bias;

private:
    std::size_t in_, out_;
    conv1d_options o_;
};

// No parameters (nothing in a state_dict, as in PyTorch).
class MaxPool2d : public Unary
{
public:
    // Throws value_error for a zero kernel, or padding above half of it.
    explicit MaxPool2d(const pool2d_options& o);
    explicit MaxPool2d(std::size_t kernel) : MaxPool2d(pool2d_options{{kernel, kernel}}) {}
    Variable forward(const Variable& x) override { return max_pool2d(x, o_); }
    std::string describe() const override;

private:
    pool2d_options o_;
};

class AvgPool2d : public Unary
{
public:
    explicit AvgPool2d(const pool2d_options& o, bool count_include_pad = true);
    Variable forward(const Variable& x) override { return avg_pool2d(x, o_, include_); }
    std::string describe() const override;

private:
    pool2d_options o_;
    bool include_;
};

class AdaptiveAvgPool2d : public Unary
{
public:
    // Throws value_error for a zero size.
    AdaptiveAvgPool2d(std::size_t out_h, std::size_t out_w);
    Variable forward(const Variable& x) override { return adaptive_avg_pool2d(x, h_, w_); }
    std::string describe() const override;

private:
    std::size_t h_, w_;
};

} // namespace xgrad::nn
