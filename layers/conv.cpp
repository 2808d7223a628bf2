#include "xgrad/layers/conv.hpp"

#include <cmath>

#include "xgrad/layers/init.hpp"

namespace xgrad::nn
{
namespace
{

void check_pool(const char* layer, const pool2d_options& o)
{
    if (o.kernel[0] == 0 || o.kernel[1] == 0)
        fail<value_error>("{}: kernel {}x{} must be positive", layer, o.kernel[0], o.kernel[1]);
    if (2 * o.padding[0] > o.kernel[0] || 2 * o.padding[1] > o.kernel[1])
        fail<value_error>("{}: padding {}x{} is more than half the kernel {}x{}", layer,
                          o.padding[0], o.padding[1], o.kernel[0], o.kernel[1]);
}

std::string pool_text(const pool2d_options& o)
{
    return fmt::format("kernel={}x{}, stride={}x{}, padding={}x{}", o.kernel[0], o.kernel[1],
                       o.stride[0] ? o.stride[0] : o.kernel[0],
                       o.stride[1] ? o.stride[1] : o.kernel[1], o.padding[0], o.padding[1]);
}

} // namespace

Conv2d::Conv2d(std::size_t in, std::size_t out, std::array<std::size_t, 2> kernel,
               const conv2d_options& o, bool with_bias, generator& g)
    : in_(in), out_(out), o_(o)
{
    if (in == 0 || out == 0 || kernel[0] == 0 || kernel[1] == 0)
        fail<value_error>("Conv2d: sizes must be positive, got in={} out={} kernel={}x{}", in, out,
                          kernel[0], kernel[1]);
    if (o.stride[0] == 0 || o.stride[1] == 0 || o.dilation[0] == 0 || o.dilation[1] == 0)
        fail<value_error>("Conv2d: stride {}x{} and dilation {}x{} must be positive", o.stride[0],
                          o.stride[1], o.dilation[0], o.dilation[1]);
    weight = register_parameter("weight", Tensor::empty({out, in, kernel[0], kernel[1]}));
    init::kaiming_uniform(weight, std::sqrt(5.0), g);
    if (with_bias)
    {
        bias = register_parameter("bias", Tensor::empty({out}));
        const double b = 1.0 / std::sqrt(double(in * kernel[0] * kernel[1]));
        init::uniform(bias, -b, b, g);
    }
}

Variable Conv2d::forward(const Variable& x)
{
    return conv2d(x, weight, bias, o_);
}

std::string Conv2d::describe() const
{
    return fmt::format("Conv2d(in={}, out={}, kernel={}x{}, stride={}x{}, padding={}x{}{}{})", in_,
                       out_, weight.shape()[2], weight.shape()[3], o_.stride[0], o_.stride[1],
                       o_.padding[0], o_.padding[1],
                       o_.dilation[0] * o_.dilation[1] > 1
                           ? fmt::format(", dilation={}x{}", o_.dilation[0], o_.dilation[1])
                           : "",
                       bias.defined() ? "" : ", bias=false");
}

Conv1d::Conv1d(std::size_t in, std::size_t out, std::size_t kernel, const conv1d_options& o,
               bool with_bias, generator& g)
    : in_(in), out_(out), o_(o)
{
    if (in == 0 || out == 0 || kernel == 0 || o.stride == 0 || o.dilation == 0)
        fail<value_error>("Conv1d: sizes must be positive, got in={} out={} kernel={} stride={} "
                          "dilation={}",
                          in, out, kernel, o.stride, o.dilation);
    weight = register_parameter("weight", Tensor::empty({out, in, kernel}));
    init::kaiming_uniform(weight, std::sqrt(5.0), g);
    if (with_bias)
    {
        bias = register_parameter("bias", Tensor::empty({out}));
        const double b = 1.0 / std::sqrt(double(in * kernel));
        init::uniform(bias, -b, b, g);
    }
}

Variable Conv1d::forward(const Variable& x)
{
    return conv1d(x, weight, bias, o_);
}

std::string Conv1d::describe() const
{
    return fmt::format("Conv1d(in={}, out={}, kernel={}, stride={}, padding={}{}{})", in_, out_,
                       weight.shape()[2], o_.stride, o_.padding,
                       o_.dilation > 1 ? fmt::format(", dilation={}", o_.dilation) : "",
                       bias.defined() ? "" : ", bias=false");
}

MaxPool2d::MaxPool2d(const pool2d_options& o) : o_(o)
{
    check_pool("MaxPool2d", o);
}

std::string MaxPool2d::describe() const
{
    return fmt::format("MaxPool2d({})", pool_text(o_));
}

AvgPool2d::AvgPool2d(const pool2d_options& o, bool count_include_pad)
    : o_(o), include_(count_include_pad)
{
    check_pool("AvgPool2d", o);
}

std::string AvgPool2d::describe() const
{
    return fmt::format("AvgPool2d({}{})", pool_text(o_),
                       include_ ? "" : ", count_include_pad=false");
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(std::size_t out_h, std::size_t out_w) : h_(out_h), w_(out_w)
{
    if (out_h == 0 || out_w == 0)
        fail<value_error>("AdaptiveAvgPool2d: output size {}x{} must be positive", out_h, out_w);
}

std::string AdaptiveAvgPool2d::describe() const
{
    return fmt::format("AdaptiveAvgPool2d({}x{})", h_, w_);
}

} // namespace xgrad::nn
