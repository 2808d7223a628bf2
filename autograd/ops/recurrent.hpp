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

// GRU step in PyTorch's gate order. a = x W_ih^T + b_ih and b = h W_hh^T + b_hh, both [B, 3H],
// split into r, z, n parts; h [B, H]:
//   r = sigma(a_r + b_r),  z = sigma(a_z + b_z),  n = tanh(a_n + r b_n),  h' = (1 - z) n + z h
// Backward: dn = dh' (1 - z);  dz = dh' (h - n);  dL/dh = dh' z;  dm = dn (1 - n^2)
//   dL/da_n = dm,  dL/db_n = dm r,  dr = dm b_n;  dL/da_r = dL/db_r = dr r (1 - r);
//   dL/da_z = dL/db_z = dz z (1 - z)
// Throws shape_error unless a and b are [B, 3H] and h is [B, H].
Variable gru_update(const Variable& a, const Variable& b, const Variable& h);

} // namespace xgrad
