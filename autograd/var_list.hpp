// var_list: a short list of Variables that lives inline up to four values (small_list.hpp). It
// is what an op with several outputs returns (lstm_update gives h and c) and what a recurrent
// cell's state is, so a step of an LSTM allocates no list on the heap.
#pragma once

#include "xgrad/autograd/small_list.hpp"
#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

using var_list = small_list<Variable, 4>;

} // namespace xgrad
