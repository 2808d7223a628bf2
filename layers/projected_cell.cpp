#include "xgrad/layers/projected_cell.hpp"

#include <cmath>

#include "xgrad/autograd/ops/matmul.hpp"
#include "xgrad/autograd/skinny_gemm.hpp"
#include "xgrad/layers/init.hpp"

namespace xgrad::nn
{

ProjectedCell::ProjectedCell(std::size_t gates, std::size_t input, std::size_t hidden, bool bias,
                             generator& g, std::size_t recurrent_input)
    : gates_(gates), input_(input), hidden_(hidden)
{
    const std::size_t r = recurrent_input ? recurrent_input : hidden;
    if (input == 0 || hidden == 0)
        fail<value_error>("recurrent cell: sizes must be positive, got input={} hidden={}", input,
                          hidden);
    const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
    weight_ih = register_parameter("weight_ih", Tensor::empty({gates * hidden, input}));
    weight_hh = register_parameter("weight_hh", Tensor::empty({gates * hidden, r}));
    init::uniform(weight_ih, -k, k, g);
    init::uniform(weight_hh, -k, k, g);
    if (bias)
    {
        bias_ih = register_parameter("bias_ih", Tensor::empty({gates * hidden}));
        bias_hh = register_parameter("bias_hh", Tensor::empty({gates * hidden}));
        init::uniform(bias_ih, -k, k, g);
        init::uniform(bias_hh, -k, k, g);
    }
}

Variable ProjectedCell::project(const Variable& inputs)
{
    return linear(inputs, weight_ih, bias_ih);
}

Variable ProjectedCell::hidden_projection(const Variable& h) const
{
    const Variable& w = recurrent_weight_.defined() ? recurrent_weight_ : weight_hh;
    if (recurrent_weight_t_.defined())
        return linear_pretransposed(h, w, recurrent_weight_t_, bias_hh);
    return linear(h, w, bias_hh);
}

void ProjectedCell::use_transposed_recurrent_weight(const Tensor& w_t)
{
    const shape_t& s = weight_hh.shape();
    if (w_t.defined() && w_t.shape() != shape_t{s[1], s[0]})
        fail<shape_error>("{}: transposed recurrent weight {} for weight_hh {}", describe(),
                          to_string(w_t.shape()), to_string(s));
    recurrent_weight_t_ = w_t;
}

bool ProjectedCell::gains_from_transposed_weight(std::size_t batch, dtype dt) const
{
    // The step's product is [B, R] x [R, G*H] either way. In row order it is faster in
    // OpenBLAS too (W1's [32,256] x [256,1024]: 118 against 95 GFLOP/s at 1 thread, 184 against
    // 147 at 2), and the skinny GEMMs take the smaller ones.
    const std::size_t weight = weight_hh.numel();
    return dt == f32 && batch >= 1 && batch <= 64 && weight >= blas::skinny_operand_min &&
           weight <= blas::skinny_operand_max;
}

void ProjectedCell::use_recurrent_weight(const Variable& w)
{
    if (w.defined() && w.shape() != weight_hh.shape())
        fail<shape_error>("{}: recurrent weight {} for weight_hh {}", describe(),
                          to_string(w.shape()), to_string(weight_hh.shape()));
    recurrent_weight_ = w;
}

void ProjectedCell::check_step(const char* op, const Variable& projected,
                               const cell_state& state) const
{
    if (projected.dim() != 2 || projected.shape()[1] != gates_ * hidden_)
        fail<shape_error>("{}: projected input {} should be [batch, {}] (x of width {} through "
                          "weight_ih)",
                          op, to_string(projected.shape()), gates_ * hidden_, input_);
    check_state(op, state, projected.shape()[0]);
}

} // namespace xgrad::nn
