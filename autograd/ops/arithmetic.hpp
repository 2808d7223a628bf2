// Elementwise arithmetic with NumPy broadcasting, and its scalar forms. Both operands must have
// the same dtype; shapes that do not broadcast throw shape_error naming the op and both shapes.
// Backward sums each input's gradient back down to that input's shape.
// Division follows IEEE arithmetic whether the divisor is a tensor or a scalar, as PyTorch:
// x / 0 is +-inf, 0 / 0 is NaN (detect_anomaly finds where such values first appear).
#pragma once

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

Variable add(const Variable& a, const Variable& b);
Variable sub(const Variable& a, const Variable& b);
Variable mul(const Variable& a, const Variable& b);
Variable div(const Variable& a, const Variable& b);
Variable neg(const Variable& a);

// Scalar forms: the scalar is a constant (no gradient).
Variable add(const Variable& a, double s);
Variable sub(const Variable& a, double s);
Variable sub(double s, const Variable& a);
Variable mul(const Variable& a, double s);
Variable div(const Variable& a, double s);
Variable div(double s, const Variable& a);

inline Variable operator+(const Variable& a, const Variable& b)
{
    return add(a, b);
}
inline Variable operator-(const Variable& a, const Variable& b)
{
    return sub(a, b);
}
inline Variable operator*(const Variable& a, const Variable& b)
{
    return mul(a, b);
}
inline Variable operator/(const Variable& a, const Variable& b)
{
    return div(a, b);
}
inline Variable operator-(const Variable& a)
{
    return neg(a);
}
inline Variable operator+(const Variable& a, double s)
{
    return add(a, s);
}
inline Variable operator+(double s, const Variable& a)
{
    return add(a, s);
}
inline Variable operator-(const Variable& a, double s)
{
    return sub(a, s);
}
inline Variable operator-(double s, const Variable& a)
{
    return sub(s, a);
}
inline Variable operator*(const Variable& a, double s)
{
    return mul(a, s);
}
inline Variable operator*(double s, const Variable& a)
{
    return mul(a, s);
}
inline Variable operator/(const Variable& a, double s)
{
    return div(a, s);
}
inline Variable operator/(double s, const Variable& a)
{
    return div(s, a);
}

} // namespace xgrad
