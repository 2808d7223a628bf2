// Helpers shared by the test files: random inputs and a gradcheck assertion.
#pragma once

#include <catch2/catch.hpp>

#include "xgrad/autograd/autograd.hpp"

namespace xgrad::test
{

// A float64 leaf of `shape` with N(0,1) (or uniform [lo,hi)) values from a fixed seed.
inline Variable randn(const shape_t& shape, std::uint64_t seed, bool requires_grad = true)
{
    generator g(seed);
    Tensor t = Tensor::empty(shape, f64);
    for (std::size_t i = 0; i < t.numel(); ++i)
        t.data<double>()[i] = g.normal();
    return Variable(t, requires_grad);
}

inline Variable uniform(const shape_t& shape, double lo, double hi, std::uint64_t seed,
                        bool requires_grad = true)
{
    generator g(seed);
    Tensor t = Tensor::empty(shape, f64);
    for (std::size_t i = 0; i < t.numel(); ++i)
        t.data<double>()[i] = g.uniform(lo, hi);
    return Variable(t, requires_grad);
}

using fn = std::function<Variable(const std::vector<Variable>&)>;

// Gradchecks f at inputs; on failure Catch prints the report's table.
inline void check_gradients(const fn& f, const std::vector<Variable>& inputs,
                            gradcheck_options opt = {})
{
    const gradcheck_report r = gradcheck(f, inputs, opt);
    INFO(r.table());
    REQUIRE(!r.entries.empty());
    CHECK(r.ok());
}

// Largest |a - b| over two tensors of equal shape.
inline double max_diff(const Tensor& a, const Tensor& b)
{
    REQUIRE(a.shape() == b.shape());
    double m = 0;
    for (std::size_t i = 0; i < a.numel(); ++i)
        m = std::max(m, std::abs(a.flat(i) - b.flat(i)));
    return m;
}

// Same shape, dtype and every element bit for bit (what "bit-identical gradients" means).
inline bool identical(const Tensor& a, const Tensor& b)
{
    if (a.shape() != b.shape() || a.dtype() != b.dtype())
        return false;
    for (std::size_t i = 0; i < a.numel(); ++i)
        if (a.flat(i) != b.flat(i))
            return false;
    return true;
}

} // namespace xgrad::test
