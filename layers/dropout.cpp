#include "xgrad/layers/dropout.hpp"

#include "xgrad/autograd/ops/dropout.hpp"

namespace xgrad::nn
{

Dropout::Dropout(double p, generator& g) : p_(p), gen_(&g)
{
    if (!(p >= 0.0 && p <= 1.0))
        fail<value_error>("Dropout: probability {} is outside [0, 1]", p);
}

Variable Dropout::forward(const Variable& x)
{
    return dropout(x, p_, is_training(), *gen_);
}

std::string Dropout::describe() const
{
    return fmt::format("Dropout(p={})", p_);
}

} // namespace xgrad::nn
