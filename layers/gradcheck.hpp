// gradcheck over a module's parameters, with their names in the report.
#pragma once

#include <functional>

#include "xgrad/autograd/gradcheck.hpp"
#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

// Checks the tape's gradient of f() with respect to every named parameter of module that
// requires grad, against central differences (xgrad::gradcheck, same options and tolerances);
// each report entry is named after its parameter ("encoder.rnn.weight_hh_l0_reverse";
// options.names is ignored). f takes no argument: it runs the module on inputs it captured.
// The caller converts the module (and its inputs) to float64 first, module.to(f64), so the
// handles f uses are the checked ones and the model is not silently changed; a parameter of
// another dtype throws value_error naming it. f must be deterministic: run it in eval mode or
// without dropout. Costs two evaluations of f per parameter element: use small modules.
gradcheck_report gradcheck_module(const Module& module, const std::function<Variable()>& f,
                                  gradcheck_options options = {});

} // namespace xgrad::nn
