// Fused recurrent-cell updates: everything of an LSTM or GRU step after its two GEMMs, as one op
// with one node on the tape (instead of a dozen), one pass over memory forward and one backward.
#pragma once

#include <vector>

#include "xgrad/autograd/var_list.hpp"
#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// LSTM step in PyTorch's gate order. gx = x W_ih^T + b_ih and gh = h W_hh^T + b_hh, both
// [B, 4H]; c [B, H]. With z = gx + gh split into i, f, g, o:
//   i = sigma(z_i), f = sigma(z_f), g = tanh(z_g), o = sigma(z_o)
//   c' = f c + i g,   h' = o tanh(c')
// Returns {h', c'}. Backward (dh', dc' either may be absent):
//   dc = dc' + dh' o (1 - tanh^2 c');  dz_o = dh' tanh(c') o (1 - o);  dz_i = dc g i (1 - i)
//   dz_g = dc i (1 - g^2);  dz_f = dc c f (1 - f);  dL/dc = dc f;  dL/dgx = dL/dgh = dz
// Throws shape_error unless gx and gh are [B, 4H] and c is [B, H].
var_list lstm_update(const Variable& gx, const Variable& gh, const Variable& c);

// A layer-normalised LSTM step's update (Ba, Kiros & Hinton 2016, "Layer Normalization", sec. 6
// and the appendix's LSTM): gx and gh are the already normalised gate inputs
// LN(x W_ih^T) and LN(h W_hh^T), both [B, 4H]; c [B, H]; gamma, beta [H] the cell norm's gain
// and bias. With z = gx + gh split into i, f, g, o as lstm_update:
//   c' = f c + i g,   n = (c' - mean(c')) / sqrt(var(c') + eps),   h' = o tanh(gamma n + beta)
// (mean and biased variance over the H units of a row). Returns {h', c'}: the memory carried is
// c', not its normalisation. Backward, with t = tanh(gamma n + beta), s = 1 / sqrt(var + eps):
//   dz_o = dh' t o (1 - o);  da = dh' o (1 - t^2);  dgamma = sum_b da n;  dbeta = sum_b da
//   dn = da gamma;  dc' += s (dn - mean(dn) - n mean(dn n))   (the layer norm's backward)
//   then dz_i, dz_g, dz_f, dL/dc from dc' as lstm_update;  dL/dgx = dL/dgh = dz
// Throws shape_error for other shapes (gamma, beta [H]), value_error for eps < 0.
var_list layer_norm_lstm_update(const Variable& gx, const Variable& gh, const Variable& c,
                                const Variable& gamma, const Variable& beta, double eps = 1e-5);

// GRU step in PyTorch's gate order. a = x W_ih^T + b_ih and b = h W_hh^T + b_hh, both [B, 3H],
// split into r, z, n parts; h [B, H]:
//   r = sigma(a_r + b_r),  z = sigma(a_z + b_z),  n = tanh(a_n + r b_n),  h' = (1 - z) n + z h
// Backward: dn = dh' (1 - z);  dz = dh' (h - n);  dL/dh = dh' z;  dm = dn (1 - n^2)
//   dL/da_n = dm,  dL/db_n = dm r,  dr = dm b_n;  dL/da_r = dL/db_r = dr r (1 - r);
//   dL/da_z = dL/db_z = dz z (1 - z)
// Throws shape_error unless a and b are [B, 3H] and h is [B, H].
Variable gru_update(const Variable& a, const Variable& b, const Variable& h);

} // namespace xgrad
