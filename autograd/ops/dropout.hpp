// Inverted dropout: in training, each element is zeroed with probability p and the survivors are
// scaled by 1/(1-p), so evaluation (which returns x unchanged) needs no rescaling.
#pragma once

#include "xgrad/autograd/random.hpp"
#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// Throws value_error unless 0 <= p <= 1. With training false, or p == 0, returns x itself.
Variable dropout(const Variable& x, double p, bool training, generator& gen);
// Same, drawing from the calling thread's default generator.
Variable dropout(const Variable& x, double p, bool training = true);

} // namespace xgrad
