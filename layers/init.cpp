#include "xgrad/layers/init.hpp"

#include <cmath>
#include <vector>

#include "xgrad/layers/lstm_cell.hpp"
#include "xgrad/layers/rnn.hpp"

namespace xgrad::nn::init
{
namespace
{

template <class F>
void fill(const Variable& p, F&& next)
{
    Tensor& t = p.data();
    dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* d = t.data<T>();
        for (std::size_t i = 0; i < t.numel(); ++i)
            d[i] = static_cast<T>(next());
    });
}

std::size_t receptive(const shape_t& s)
{
    std::size_t r = 1;
    for (std::size_t i = 2; i < s.size(); ++i)
        r *= s[i];
    return r;
}

void need_2d(const char* op, const shape_t& s)
{
    if (s.size() < 2)
        fail<shape_error>("{}: needs a parameter of at least 2 dimensions, got {}", op,
                          to_string(s));
}

} // namespace

std::size_t fan_in(const shape_t& s)
{
    return s.size() < 2 ? numel(s) : s[1] * receptive(s);
}
std::size_t fan_out(const shape_t& s)
{
    return s.size() < 2 ? numel(s) : s[0] * receptive(s);
}

void uniform(const Variable& p, double lo, double hi, generator& g)
{
    fill(p, [&] { return g.uniform(lo, hi); });
}

void normal(const Variable& p, double mean, double stddev, generator& g)
{
    fill(p, [&] { return g.normal(mean, stddev); });
}

void constant(const Variable& p, double value)
{
    p.data().fill(value);
}

void fill_rows(const Variable& p, std::size_t start, std::size_t length, double value)
{
    Tensor& t = p.data();
    if (t.dim() == 0 || start > t.shape()[0] || length > t.shape()[0] - start)
        fail<shape_error>("init.fill_rows: rows [{}, {}) do not fit axis 0 of shape {}", start,
                          start + length, to_string(t.shape()));
    const std::size_t width = t.numel() / t.shape()[0];
    dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* d = t.data<T>() + start * width;
        std::fill(d, d + length * width, static_cast<T>(value));
    });
}

namespace
{
// bias_ih's forget slice to value, bias_hh's to 0 (see lstm_forget_bias).
void forget_slice(const Variable& bias, bool input_side, double value, const std::string& name)
{
    if (bias.dim() != 1 || bias.shape()[0] % 4 != 0)
        fail<shape_error>("init.lstm_forget_bias: '{}' has shape {}, not [4H]", name,
                          to_string(bias.shape()));
    const std::size_t H = bias.shape()[0] / 4;
    fill_rows(bias, H, H, input_side ? value : 0.0);
}
} // namespace

void lstm_forget_bias(LSTM& lstm, double value)
{
    std::size_t found = 0;
    for (const auto& [name, p] : lstm.named_parameters())
    {
        const bool ih = name.rfind("bias_ih", 0) == 0, hh = name.rfind("bias_hh", 0) == 0;
        if (ih || hh)
        {
            forget_slice(p, ih, value, name);
            ++found;
        }
    }
    if (found == 0)
        fail<value_error>("init.lstm_forget_bias: {} has no biases (built with bias = false)",
                          lstm.describe());
}

void lstm_forget_bias(LSTMCell& cell, double value)
{
    if (!cell.bias_ih.defined() || !cell.bias_hh.defined())
        fail<value_error>("init.lstm_forget_bias: {} has no biases (built with bias = false)",
                          cell.describe());
    forget_slice(cell.bias_ih, true, value, "bias_ih");
    forget_slice(cell.bias_hh, false, value, "bias_hh");
}

void identity(const Variable& p, double gain)
{
    const shape_t& s = p.shape();
    if (s.size() != 2 || s[1] == 0 || s[0] == 0 || s[0] % s[1] != 0)
        fail<shape_error>("init.identity: needs a [H, H] or [G*H, H] weight, got {}", to_string(s));
    const std::size_t cols = s[1];
    std::size_t at = 0;
    // Element (r, c) is gain when c equals r within its gate block (r mod H).
    fill(p, [&] {
        const std::size_t r = at / cols, c = at % cols;
        ++at;
        return r % cols == c ? gain : 0.0;
    });
}

void identity(RNNBase& rnn, double gain)
{
    for (const auto& [name, p] : rnn.named_parameters())
        if (name.rfind("weight_hh", 0) == 0)
            identity(p, gain);
}

void xavier_uniform(const Variable& p, double gain, generator& g)
{
    need_2d("xavier_uniform", p.shape());
    const double a =
        gain * std::sqrt(6.0 / static_cast<double>(fan_in(p.shape()) + fan_out(p.shape())));
    uniform(p, -a, a, g);
}

void xavier_normal(const Variable& p, double gain, generator& g)
{
    need_2d("xavier_normal", p.shape());
    const double s =
        gain * std::sqrt(2.0 / static_cast<double>(fan_in(p.shape()) + fan_out(p.shape())));
    normal(p, 0.0, s, g);
}

void kaiming_uniform(const Variable& p, double a, generator& g)
{
    need_2d("kaiming_uniform", p.shape());
    const double bound = std::sqrt(6.0 / ((1.0 + a * a) * static_cast<double>(fan_in(p.shape()))));
    uniform(p, -bound, bound, g);
}

void orthogonal(const Variable& p, double gain, generator& g)
{
    need_2d("orthogonal", p.shape());
    const std::size_t rows = p.shape()[0], cols = p.numel() / rows;
    // Orthonormalise the columns of a tall Gaussian matrix A [n, k] (n >= k) by modified
    // Gram-Schmidt (= the Q of its QR), then transpose when the parameter is wide.
    const bool wide = rows < cols;
    const std::size_t n = wide ? cols : rows, k = wide ? rows : cols;
    std::vector<double> a(n * k);
    for (double& v : a)
        v = g.normal();
    for (std::size_t j = 0; j < k; ++j)
    {
        for (std::size_t q = 0; q < j; ++q)
        {
            double dot = 0;
            for (std::size_t i = 0; i < n; ++i)
                dot += a[i * k + j] * a[i * k + q];
            for (std::size_t i = 0; i < n; ++i)
                a[i * k + j] -= dot * a[i * k + q];
        }
        double norm = 0;
        for (std::size_t i = 0; i < n; ++i)
            norm += a[i * k + j] * a[i * k + j];
        norm = std::sqrt(norm);
        for (std::size_t i = 0; i < n; ++i)
            a[i * k + j] /= norm;
    }
    std::size_t at = 0;
    fill(p, [&] {
        const std::size_t r = at / cols, c = at % cols;
        ++at;
        return gain * (wide ? a[c * k + r] : a[r * k + c]);
    });
}

} // namespace xgrad::nn::init
