// Parameter initialisers. Each fills a parameter's data in place from a seedable generator
// (default: the thread's default generator, seeded with xgrad::manual_seed), computing in double
// and storing in the parameter's dtype. fan_in/fan_out follow PyTorch: for a [out, in, ...]
// weight, fan_in = in * prod(rest), fan_out = out * prod(rest).
#pragma once

#include "xgrad/autograd/random.hpp"
#include "xgrad/autograd/variable.hpp"

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

std::size_t fan_in(const shape_t& s);
std::size_t fan_out(const shape_t& s);

} // namespace xgrad::nn::init
