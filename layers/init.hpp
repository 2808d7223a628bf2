// Parameter initialisers. Each fills a parameter's data in place from a seedable generator
// (default: the thread's default generator, seeded with xgrad::manual_seed), computing in double
// and storing in the parameter's dtype. fan_in/fan_out follow PyTorch: for a [out, in, ...]
// weight, fan_in = in * prod(rest), fan_out = out * prod(rest).
#pragma once

#include "xgrad/autograd/random.hpp"
#include "xgrad/autograd/variable.hpp"

namespace xgrad::nn
{
class LSTM;
class LSTMCell;
class RNNBase;
} // namespace xgrad::nn

namespace xgrad::nn::init
{

void uniform(const Variable& p, double lo, double hi, generator& g = default_generator());
void normal(const Variable& p, double mean = 0.0, double stddev = 1.0,
            generator& g = default_generator());
void constant(const Variable& p, double value);
// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)). Throws shape_error below 2-D.
void xavier_uniform(const Variable& p, double gain = 1.0, generator& g = default_generator());
// N(0, s) with s = gain * sqrt(2 / (fan_in + fan_out)).
void xavier_normal(const Variable& p, double gain = 1.0, generator& g = default_generator());
// PyTorch's kaiming_uniform_(a) for leaky_relu: bound = sqrt(6 / ((1 + a^2) fan_in)).
// nn.Linear uses a = sqrt(5), i.e. bound = 1/sqrt(fan_in).
void kaiming_uniform(const Variable& p, double a = 0.0, generator& g = default_generator());
// A (semi-)orthogonal matrix (rows or columns orthonormal) times gain, from the QR of a Gaussian
// matrix with the sign fix of PyTorch's orthogonal_. Viewed as [shape[0], rest].
void orthogonal(const Variable& p, double gain = 1.0, generator& g = default_generator());

// gain * I, for recurrent weights (IRNN, Le, Jaitly & Hinton 2015: a ReLU RNN with weight_hh = I
// and zero biases starts by copying its state forward, so gradients neither vanish nor explode
// through the recurrence at first). A square [H, H] weight becomes gain * I; a [G*H, H] weight of
// G stacked gates (weight_hh of an LSTM, G = 4, or a GRU, G = 3) gets gain * I in each gate's
// [H, H] block. Throws shape_error naming the shape unless p is 2-D with a positive number of
// columns that divides its number of rows.
void identity(const Variable& p, double gain = 1.0);
// identity(weight_hh, gain) for every layer and direction of an RNN, LSTM or GRU; nothing else
// changes (for IRNN, also build the RNN with nonlinearity::relu and set its biases to 0).
void identity(RNNBase& rnn, double gain = 1.0);

// Sets rows [start, start + length) along axis 0 of p's data to value, in place and without
// recording (elements, for a 1-D bias), in p's dtype (float32 or float64). Throws shape_error
// naming the shape and the range when p is 0-D or the range does not fit axis 0.
void fill_rows(const Variable& p, std::size_t start, std::size_t length, double value);

// The forget-gate bias of an LSTM, for every layer and direction (or of one LSTMCell). Gates
// are in PyTorch's order i, f, g, o, so the forget slice is rows [H, 2H) of bias_ih and bias_hh.
// Convention: bias_ih's slice is set to value and bias_hh's to 0, so the gate's total bias
// b_ih + b_hh is exactly value (filling both slices with 1, a common PyTorch recipe, gives 2).
// Other rows are untouched. Throws value_error for a module built with bias = false.
void lstm_forget_bias(LSTM& lstm, double value = 1.0);
void lstm_forget_bias(LSTMCell& cell, double value = 1.0);

std::size_t fan_in(const shape_t& s);
std::size_t fan_out(const shape_t& s);

} // namespace xgrad::nn::init
