// gradcheck: compares the tape's gradients with central differences, in float64.
//
//   auto report = xgrad::gradcheck([](const std::vector<Variable>& in) { return tanh(in[0]); },
//                                  {x});
//   fmt::print("{}", report.table());
//   REQUIRE(report.ok());
//
// f is evaluated on the inputs themselves: gradcheck perturbs their data in place (and restores
// it), so f may also ignore its argument and read values it captured, such as a module's
// parameters. Every input that requires grad is checked; inputs must be float64.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

struct gradcheck_options
{
    double eps = 1e-6;  // central-difference step
    double atol = 1e-5; // element passes when |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-3;
    // Non-scalar outputs are reduced to sum(f(x) * R) with R ~ N(0, 1) drawn from this seed, so
    // the gradient seen is not all ones (which hides transposed or summed-over errors).
    std::uint64_t seed = 0;
    // Names for the report's rows, in the order of the inputs (default "input 0", ...).
    std::vector<std::string> names;
};

struct gradcheck_entry
{
    std::string name;
    shape_t shape;
    double max_abs_error = 0; // max over elements of |analytic - numeric|
    // max over elements of |a - n| / max(|a|, |n|); an element where both are 0 counts as 0
    // (an exact match), never as 0/0.
    double max_rel_error = 0;
    std::size_t worst_index = 0;      // flat index of the element furthest outside the tolerance
    double analytic = 0, numeric = 0; // the two values at worst_index
    bool ok = true;
};

struct gradcheck_report
{
    std::vector<gradcheck_entry> entries;
    bool ok() const;
    // A readable table: one row per input with shape, errors, worst element and verdict.
    std::string table() const;
};

// Throws value_error when an input is undefined or not float64, or f does not return a
// float64 value.
gradcheck_report gradcheck(const std::function<Variable(const std::vector<Variable>&)>& f,
                           const std::vector<Variable>& inputs,
                           const gradcheck_options& options = {});

} // namespace xgrad
