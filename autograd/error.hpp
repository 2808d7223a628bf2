// Exception types. Every message starts with the op's name and carries the shapes or values
// involved, e.g. "matmul: [3,4] x [5,2]: inner dimensions differ".
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace xgrad
{

// Base of everything xgrad throws.
class error : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Shapes that do not fit together (or a rank or axis out of range).
class shape_error : public error
{
public:
    using error::error;
};

// A value out of its domain: an index past the end, a probability outside [0, 1), a wrong dtype.
class value_error : public error
{
public:
    using error::error;
};

// Misuse of the tape: backward on a released graph, a non-scalar output without a seed, ...
class graph_error : public error
{
public:
    using error::error;
};

// A NaN or infinity produced while anomaly detection is on (xgrad::detect_anomaly): names the op,
// forward or backward, the shapes, and where on the tape the op was recorded.
class anomaly_error : public value_error
{
public:
    using value_error::value_error;
};

// A file that cannot be read or written, or whose contents are malformed.
class io_error : public error
{
public:
    using error::error;
};

template <class E = error, class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args)
{
    throw E(fmt::format(f, std::forward<Args>(args)...));
}

} // namespace xgrad
