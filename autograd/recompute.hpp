// recompute(): gradient checkpointing. A segment of the graph is run without recording, and
// again, recording on a tape of its own, when backward() reaches it: only the segment's inputs
// and outputs stay alive in between. A sequence layer that checkpoints every k steps this way
// holds O(T/k + k) step states instead of O(T) (layers/recurrent.hpp, checkpoint_every).
//
//   auto out = recompute("segment", [&](const std::vector<Variable>& in) {
//       return std::vector<Variable>{tanh(matmul(in[0], w))};   // w: a parameter, captured
//   }, {x});
//
// Cost: the segment's forward runs twice. Gradients equal those of the unsegmented graph bit
// for bit when fn's ops are deterministic: captured leaves (parameters) receive their
// contributions directly, in the same order, and each input's gradient continues the
// accumulation it had reached instead of being summed apart.
#pragma once

#include <functional>
#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

using recompute_fn = std::function<std::vector<Variable>(const std::vector<Variable>&)>;

// Returns fn(inputs), recorded on the tape as one node `name` whose inputs are `inputs` and
// whose outputs are fn's results. fn must be a function of its inputs and of leaves it captures
// (parameters): it is called once now without recording and once during backward on leaves
// holding the same values, and must return the same number of floating values of the same
// shapes both times. Randomness inside fn must replay (draw masks outside it and capture them).
// A captured value computed by an op outside fn cannot carry gradients into the recomputation:
// pass it as an input (recording it throws graph_error during backward otherwise).
// Hooks of captured leaves run once at the end of the whole backward pass, as usual.
// Without grad mode, or when no input requires grad, fn runs and records as if called directly.
// Throws value_error when fn returns nothing, an undefined or integer value, or (during
// backward) values of other shapes than in the forward pass.
std::vector<Variable> recompute(const char* name, recompute_fn fn,
                                const std::vector<Variable>& inputs);

} // namespace xgrad
