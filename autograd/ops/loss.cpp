#include "xgrad/autograd/ops/loss.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{

Variable cross_entropy(const Variable& logits, const std::vector<std::int64_t>& targets,
                       const cross_entropy_options& opt)
{
    const Tensor& x = logits.data();
    if (x.dim() < 1 || x.shape().back() == 0)
        fail<shape_error>("cross_entropy: logits {} need a non-empty class axis (the last)",
                          to_string(x.shape()));
    const std::size_t classes = x.shape().back();
    const std::size_t rows = x.numel() / classes;
    if (targets.size() != rows)
        fail<shape_error>("cross_entropy: logits {} hold {} positions but {} targets were given",
                          to_string(x.shape()), rows, targets.size());
    if (!opt.mask.empty() && opt.mask.size() != rows)
        fail<shape_error>("cross_entropy: mask of {} entries for {} positions (logits {})",
                          opt.mask.size(), rows, to_string(x.shape()));

    // weight_r: how much position r counts (0 or 1, divided by the count for a mean). The
    // weights and targets the backward keeps are tensors: their blocks come from the storage
    // pool, so a training step allocates no vectors here.
    Tensor weights = Tensor::zeros({rows}, f64);
    const Tensor kept_targets = Tensor::from_indices(targets);
    double* weight = weights.data<double>();
    std::size_t counted = 0;
    for (std::size_t r = 0; r < rows; ++r)
    {
        const std::int64_t t = targets[r];
        if (t == opt.ignore_index || (!opt.mask.empty() && !opt.mask[r]))
            continue;
        if (t < 0 || static_cast<std::size_t>(t) >= classes)
            fail<value_error>("cross_entropy: target {} at position {} is outside [0, {})", t, r,
                              classes);
        weight[r] = 1.0;
        ++counted;
    }
    if (opt.reduce == reduction::mean && counted > 0)
        for (std::size_t r = 0; r < rows; ++r)
            weight[r] /= static_cast<double>(counted);

    shape_t out_shape; // [] for mean/sum
    if (opt.reduce == reduction::none)
        out_shape = shape_t(x.shape().begin(), x.shape().end() - 1);
    Tensor y = Tensor::zeros(out_shape, x.dtype());
    // The softmax of every counted row is kept for backward (when there will be one): the
    // gradient is then one multiply per element instead of another exp.
    const bool keep = is_grad_enabled() && logits.requires_grad();
    Tensor probs = keep ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        double total = 0;
        for (std::size_t r = 0; r < rows; ++r)
        {
            if (weight[r] == 0.0)
                continue;
            const T* row = x.data<T>() + r * classes;
            const double lse =
                keep ? detail::row_softmax(row, probs.data<T>() + r * classes, classes)
                     : detail::row_logsumexp(row, classes);
            const double loss = lse - static_cast<double>(row[targets[r]]);
            if (opt.reduce == reduction::none)
                y.data<T>()[r] = static_cast<T>(loss);
            else
                total += weight[r] * loss;
        }
        if (opt.reduce != reduction::none)
            y.data<T>()[0] = static_cast<T>(total);
    });

    const bool per_row = opt.reduce == reduction::none;
    return record("cross_entropy", y, {logits},
                  [kept_targets, weights, probs, classes, per_row](grad_context& c) {
                      // d loss_r / d x_rj = softmax_rj - [j == target_r], scaled by the output
                      // gradient and the position's weight; rows that do not count get 0.
                      Tensor dx = Tensor::empty(probs.shape(), probs.dtype());
                      dispatch(probs.dtype(), [&](auto tag) {
                          using T = decltype(tag);
                          const T* g = c.grad().data<T>();
                          const double* weight = weights.data<double>();
                          const std::int64_t* targets = kept_targets.data<std::int64_t>();
                          for (std::size_t r = 0; r < weights.numel(); ++r)
                          {
                              T* d = dx.data<T>() + r * classes;
                              if (weight[r] == 0.0)
                              {
                                  std::fill(d, d + classes, T(0));
                                  continue;
                              }
                              const T s = static_cast<T>(weight[r] * (per_row ? g[r] : g[0]));
                              const T* p = probs.data<T>() + r * classes;
                              for (std::size_t j = 0; j < classes; ++j)
                                  d[j] = s * p[j];
                              d[targets[r]] -= s;
                          }
                      });
                      c.accumulate(0, dx);
                  });
}

Variable cross_entropy(const Variable& logits, const Tensor& targets,
                       const cross_entropy_options& options)
{
    if (!targets.defined() || is_floating(targets.dtype()))
        fail<value_error>("cross_entropy: targets must be an int64 or int32 tensor, got {}",
                          targets.defined() ? dtype_name(targets.dtype()) : "an undefined one");
    const shape_t& ls = logits.shape();
    const shape_t lead = ls.empty() ? ls : shape_t(ls.begin(), ls.end() - 1);
    if (targets.shape() != lead)
        fail<shape_error>("cross_entropy: targets {} for logits {}: expected {}",
                          to_string(targets.shape()), to_string(ls), to_string(lead));
    return cross_entropy(logits, targets.to_indices(), options);
}

} // namespace xgrad
