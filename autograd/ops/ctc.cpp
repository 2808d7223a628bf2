#include "xgrad/autograd/ops/ctc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "xgrad/autograd/ops/kernels.hpp"
#include "xgrad/autograd/scratch.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

constexpr double ninf = -std::numeric_limits<double>::infinity();

// log(exp(a) + exp(b)); -inf when both are (never NaN from -inf - -inf).
inline double lse(double a, double b)
{
    if (a < b)
        std::swap(a, b);
    if (b == ninf)
        return a;
    return a + std::log1p(std::exp(b - a));
}

// The batch's lengths and labels, checked, in pooled tensors the backward keeps.
struct ctc_batch
{
    std::size_t frames = 0, batch = 0, classes = 0;
    std::int64_t blank = 0;
    Tensor meta;   // i64 [4B]: input length, target length, label offset, alpha offset
    Tensor labels; // i64: every target, concatenated
    std::size_t alpha_size = 0;

    std::size_t input_length(std::size_t b) const { return get(0, b); }
    std::size_t target_length(std::size_t b) const { return get(1, b); }
    const std::int64_t* target(std::size_t b) const
    {
        return labels.data<std::int64_t>() + get(2, b);
    }
    std::size_t alpha_offset(std::size_t b) const { return get(3, b); }

private:
    std::size_t get(std::size_t field, std::size_t b) const
    {
        return static_cast<std::size_t>(meta.data<std::int64_t>()[field * batch + b]);
    }
};

// Checks everything about the call except the labels' values, which make_batch checks once
// they are concatenated.
void check_shapes(const char* op, const Tensor& x, const std::vector<std::int64_t>& input_lengths,
                  const std::vector<std::int64_t>& target_lengths, std::int64_t blank)
{
    if (x.dim() != 3)
        fail<shape_error>("{}: expected [T, B, C] scores, got {}", op, to_string(x.shape()));
    if (!is_floating(x.dtype()))
        fail<value_error>("{}: scores must be float32 or float64, got {}", op,
                          dtype_name(x.dtype()));
    const std::size_t T = x.shape()[0], B = x.shape()[1], C = x.shape()[2];
    if (input_lengths.size() != B || target_lengths.size() != B)
        fail<shape_error>("{}: scores {} hold a batch of {} but {} input lengths and {} target "
                          "lengths were given",
                          op, to_string(x.shape()), B, input_lengths.size(), target_lengths.size());
    if (blank < 0 || static_cast<std::size_t>(blank) >= C)
        fail<value_error>("{}: blank {} is outside [0, {}) (scores {})", op, blank, C,
                          to_string(x.shape()));
    for (std::size_t b = 0; b < B; ++b)
    {
        if (input_lengths[b] < 0 || static_cast<std::size_t>(input_lengths[b]) > T)
            fail<value_error>("{}: input length {} of sample {} is outside [0, {}]", op,
                              input_lengths[b], b, T);
        if (target_lengths[b] < 0)
            fail<value_error>("{}: target length {} of sample {} is negative", op,
                              target_lengths[b], b);
    }
}

ctc_batch make_batch(const char* op, const Tensor& x, Tensor labels,
                     const std::vector<std::int64_t>& input_lengths,
                     const std::vector<std::int64_t>& target_lengths, std::int64_t blank)
{
    ctc_batch k;
    k.frames = x.shape()[0];
    k.batch = x.shape()[1];
    k.classes = x.shape()[2];
    k.blank = blank;
    k.labels = std::move(labels);
    k.meta = Tensor::empty({4 * k.batch}, i64);
    std::int64_t* m = k.meta.data<std::int64_t>();
    const std::int64_t* l = k.labels.data<std::int64_t>();
    std::size_t offset = 0;
    for (std::size_t b = 0; b < k.batch; ++b)
    {
        const std::size_t S = static_cast<std::size_t>(target_lengths[b]);
        for (std::size_t i = 0; i < S; ++i)
        {
            const std::int64_t c = l[offset + i];
            if (c < 0 || static_cast<std::size_t>(c) >= k.classes)
                fail<value_error>("{}: target {} at position {} of sample {} is outside [0, {})",
                                  op, c, i, b, k.classes);
            if (c == blank)
                fail<value_error>("{}: target at position {} of sample {} is the blank ({})", op, i,
                                  b, blank);
        }
        m[b] = input_lengths[b];
        m[k.batch + b] = target_lengths[b];
        m[2 * k.batch + b] = static_cast<std::int64_t>(offset);
        m[3 * k.batch + b] = static_cast<std::int64_t>(k.alpha_size);
        offset += S;
        k.alpha_size += static_cast<std::size_t>(input_lengths[b]) * (2 * S + 1);
    }
    return k;
}

// Labels from a [B, S_max] padded or a 1-D concatenated integer tensor, concatenated.
Tensor labels_from(const char* op, const Tensor& targets,
                   const std::vector<std::int64_t>& target_lengths)
{
    if (!targets.defined() || is_floating(targets.dtype()))
        fail<value_error>("{}: targets must be an int64 or int32 tensor, got {}", op,
                          targets.defined() ? dtype_name(targets.dtype()) : "an undefined one");
    std::size_t total = 0, longest = 0;
    for (const std::int64_t s : target_lengths)
    {
        total += static_cast<std::size_t>(std::max<std::int64_t>(s, 0));
        longest = std::max(longest, static_cast<std::size_t>(std::max<std::int64_t>(s, 0)));
    }
    Tensor out = Tensor::empty({total}, i64);
    std::int64_t* o = out.data<std::int64_t>();
    const auto value = [&](std::size_t i) {
        return targets.dtype() == i64 ? targets.data<std::int64_t>()[i]
                                      : std::int64_t{targets.data<std::int32_t>()[i]};
    };
    if (targets.dim() == 2)
    {
        const std::size_t B = targets.shape()[0], width = targets.shape()[1];
        if (B != target_lengths.size() || longest > width)
            fail<shape_error>("{}: padded targets {} for a batch of {} whose longest target "
                              "holds {}",
                              op, to_string(targets.shape()), target_lengths.size(), longest);
        for (std::size_t b = 0; b < B; ++b)
            for (std::int64_t i = 0; i < target_lengths[b]; ++i)
                *o++ = value(b * width + static_cast<std::size_t>(i));
    }
    else if (targets.dim() == 1)
    {
        if (targets.numel() != total)
            fail<shape_error>("{}: concatenated targets {} but the target lengths sum to {}", op,
                              to_string(targets.shape()), total);
        for (std::size_t i = 0; i < total; ++i)
            o[i] = value(i);
    }
    else
        fail<shape_error>("{}: targets must be [B, S] or 1-D concatenated, got {}", op,
                          to_string(targets.shape()));
    return out;
}

Tensor labels_from(const std::vector<std::vector<std::int64_t>>& targets,
                   std::vector<std::int64_t>& lengths)
{
    std::size_t total = 0;
    lengths.clear();
    for (const auto& t : targets)
    {
        total += t.size();
        lengths.push_back(static_cast<std::int64_t>(t.size()));
    }
    Tensor out = Tensor::empty({total}, i64);
    std::int64_t* o = out.data<std::int64_t>();
    for (const auto& t : targets)
        o = std::copy(t.begin(), t.end(), o);
    return out;
}

// Forward variables of one sample into alpha [Tb, 2S+1]; returns log p(l | x). lp points at
// the sample's frame 0; consecutive frames are `step` elements apart.
template <class T>
double forward_alpha(const T* lp, std::size_t step, const std::int64_t* l, std::size_t S,
                     std::size_t Tb, std::int64_t blank, double* alpha)
{
    if (Tb == 0)
        return S == 0 ? 0.0 : ninf;
    const std::size_t L = 2 * S + 1;
    const auto ext = [&](std::size_t s) {
        return (s & 1) ? l[s >> 1] : blank;
    };
    std::fill(alpha, alpha + L, ninf);
    alpha[0] = lp[blank];
    if (L > 1)
        alpha[1] = lp[l[0]];
    for (std::size_t t = 1; t < Tb; ++t)
    {
        const T* row = lp + t * step;
        const double* p = alpha + (t - 1) * L;
        double* a = alpha + t * L;
        for (std::size_t s = 0; s < L; ++s)
        {
            double v = p[s];
            if (s >= 1)
                v = lse(v, p[s - 1]);
            if (s >= 2 && (s & 1) && l[s >> 1] != l[(s >> 1) - 1])
                v = lse(v, p[s - 2]);
            a[s] = v == ninf ? ninf : v + static_cast<double>(row[ext(s)]);
        }
    }
    const double* last = alpha + (Tb - 1) * L;
    return L > 1 ? lse(last[L - 1], last[L - 2]) : last[0];
}

// Backward variables of one sample into beta [Tb, 2S+1] (the mirror of forward_alpha).
template <class T>
void backward_beta(const T* lp, std::size_t step, const std::int64_t* l, std::size_t S,
                   std::size_t Tb, std::int64_t blank, double* beta)
{
    const std::size_t L = 2 * S + 1;
    const auto ext = [&](std::size_t s) {
        return (s & 1) ? l[s >> 1] : blank;
    };
    double* last = beta + (Tb - 1) * L;
    std::fill(last, last + L, ninf);
    last[L - 1] = lp[(Tb - 1) * step + blank];
    if (L > 1)
        last[L - 2] = lp[(Tb - 1) * step + l[S - 1]];
    for (std::size_t t = Tb - 1; t-- > 0;)
    {
        const T* row = lp + t * step;
        const double* n = beta + (t + 1) * L;
        double* b = beta + t * L;
        for (std::size_t s = 0; s < L; ++s)
        {
            double v = n[s];
            if (s + 1 < L)
                v = lse(v, n[s + 1]);
            if (s + 2 < L && (s & 1) && l[s >> 1] != l[(s >> 1) + 1])
                v = lse(v, n[s + 2]);
            b[s] = v == ninf ? ninf : v + static_cast<double>(row[ext(s)]);
        }
    }
}

// The op: lp [T, B, C] log-probabilities (for the fused path: the log_softmax of the logits
// input, computed by the caller). from_logits chooses the gradient's form (see the header).
Variable ctc_record(const char* op, const Variable& input, const Tensor& lp, ctc_batch k,
                    const ctc_options& opt, bool from_logits)
{
    const std::size_t B = k.batch, C = k.classes, step = B * C;
    Tensor alpha = Tensor::empty({std::max<std::size_t>(k.alpha_size, 1)}, f64);
    // Per sample: -log p (+inf when infeasible) and the weight of its loss in the output.
    Tensor nll = Tensor::empty({B}, f64);
    Tensor weight = Tensor::empty({B}, f64);
    double* nl = nll.data<double>();
    double* w = weight.data<double>();
    dispatch(lp.dtype(), [&](auto tag) {
        using T = decltype(tag);
        for (std::size_t b = 0; b < B; ++b)
            nl[b] = -forward_alpha(lp.data<T>() + b * C, step, k.target(b), k.target_length(b),
                                   k.input_length(b), k.blank,
                                   alpha.data<double>() + k.alpha_offset(b));
    });
    for (std::size_t b = 0; b < B; ++b)
    {
        w[b] = 1.0;
        if (opt.reduce == reduction::mean)
            w[b] /= static_cast<double>(std::max<std::size_t>(k.target_length(b), 1) * B);
        if (opt.zero_infinity && std::isinf(nl[b]))
            w[b] = 0.0; // counts as 0, and gets no gradient
    }

    const bool per_sample = opt.reduce == reduction::none;
    Tensor y = Tensor::zeros(per_sample ? shape_t{B} : shape_t{}, lp.dtype());
    dispatch(lp.dtype(), [&](auto tag) {
        using T = decltype(tag);
        double total = 0;
        for (std::size_t b = 0; b < B; ++b)
        {
            const double loss = w[b] == 0.0 ? 0.0 : nl[b];
            if (per_sample)
                y.data<T>()[b] = static_cast<T>(loss);
            else
                total += w[b] * loss;
        }
        if (!per_sample)
            y.data<T>()[0] = static_cast<T>(total);
    });

    return record(
        op, y, {input}, [k, lp, alpha, nll, weight, per_sample, from_logits](grad_context& c) {
            const std::size_t B = k.batch, C = k.classes, step = B * C;
            Tensor dx = Tensor::zeros(lp.shape(), lp.dtype());
            thread_local std::vector<double> beta, acc;
            acc.resize(C);
            dispatch(lp.dtype(), [&](auto tag) {
                using T = decltype(tag);
                const T* g = c.grad().data<T>();
                for (std::size_t b = 0; b < B; ++b)
                {
                    const std::size_t Tb = k.input_length(b), S = k.target_length(b);
                    const std::size_t L = 2 * S + 1;
                    const double scale = weight.data<double>()[b] * (per_sample ? g[b] : g[0]);
                    const double nl = nll.data<double>()[b];
                    if (Tb == 0 || weight.data<double>()[b] == 0.0)
                        continue; // zero_infinity, or no frames: gradient 0
                    const T* x = lp.data<T>() + b * C;
                    T* d = dx.data<T>() + b * C;
                    if (std::isinf(nl))
                    {
                        // p = 0: the gradient of -log p does not exist (PyTorch gives NaN too).
                        for (std::size_t t = 0; t < Tb; ++t)
                            std::fill(d + t * step, d + t * step + C,
                                      std::numeric_limits<T>::quiet_NaN());
                        continue;
                    }
                    beta.resize(Tb * L);
                    backward_beta(x, step, k.target(b), S, Tb, k.blank, beta.data());
                    const double* alpha_b = alpha.data<double>() + k.alpha_offset(b);
                    const std::int64_t* l = k.target(b);
                    for (std::size_t t = 0; t < Tb; ++t)
                    {
                        std::fill(acc.begin(), acc.end(), ninf);
                        const double* a = alpha_b + t * L;
                        const double* be = beta.data() + t * L;
                        for (std::size_t s = 0; s < L; ++s)
                        {
                            const std::int64_t e = (s & 1) ? l[s >> 1] : k.blank;
                            acc[e] = lse(acc[e], a[s] + be[s]);
                        }
                        const T* row = x + t * step;
                        T* drow = d + t * step;
                        for (std::size_t j = 0; j < C; ++j)
                        {
                            const double gamma =
                                acc[j] == ninf
                                    ? 0.0
                                    : std::exp(acc[j] - static_cast<double>(row[j]) + nl);
                            const double soft =
                                from_logits ? std::exp(static_cast<double>(row[j])) : 0.0;
                            drow[j] = static_cast<T>(scale * (soft - gamma));
                        }
                    }
                }
            });
            c.accumulate(0, dx);
        });
}

// log_softmax over the last axis of x, into a new tensor of its shape and dtype.
Tensor log_softmax_rows(const Tensor& x)
{
    Tensor out = Tensor::empty(x.shape(), x.dtype());
    const std::size_t C = x.shape().back(), rows = C ? x.numel() / C : 0;
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        for (std::size_t r = 0; r < rows; ++r)
        {
            const T* in = x.data<T>() + r * C;
            T* o = out.data<T>() + r * C;
            const auto [m, z] = detail::row_exp_shifted(in, o, C);
            const double shift = m + std::log(z);
            for (std::size_t j = 0; j < C; ++j)
                o[j] = static_cast<T>(static_cast<double>(in[j]) - shift);
        }
    });
    return out;
}

// Every public form once its shapes are checked and its targets concatenated (make_batch checks
// the labels). The fused path takes the log_softmax of its input first.
Variable ctc_checked(const char* op, const Variable& input, Tensor labels,
                     const std::vector<std::int64_t>& input_lengths,
                     const std::vector<std::int64_t>& target_lengths, const ctc_options& options,
                     bool from_logits)
{
    ctc_batch k = make_batch(op, input.data(), std::move(labels), input_lengths, target_lengths,
                             options.blank);
    return ctc_record(op, input, from_logits ? log_softmax_rows(input.data()) : input.data(),
                      std::move(k), options, from_logits);
}

// The two ways of giving targets, checked in the order their errors make sense.
Variable ctc(const char* op, const Variable& input, const Tensor& targets,
             const std::vector<std::int64_t>& input_lengths,
             const std::vector<std::int64_t>& target_lengths, const ctc_options& options,
             bool from_logits)
{
    check_shapes(op, input.data(), input_lengths, target_lengths, options.blank);
    return ctc_checked(op, input, labels_from(op, targets, target_lengths), input_lengths,
                       target_lengths, options, from_logits);
}
Variable ctc(const char* op, const Variable& input,
             const std::vector<std::vector<std::int64_t>>& targets,
             const std::vector<std::int64_t>& input_lengths, const ctc_options& options,
             bool from_logits)
{
    scratch_vector<std::int64_t> scratch; // pooled: no allocation per call
    std::vector<std::int64_t>& lengths = *scratch;
    Tensor labels = labels_from(targets, lengths);
    check_shapes(op, input.data(), input_lengths, lengths, options.blank);
    return ctc_checked(op, input, std::move(labels), input_lengths, lengths, options, from_logits);
}

} // namespace

Variable ctc_loss(const Variable& log_probs, const Tensor& targets,
                  const std::vector<std::int64_t>& input_lengths,
                  const std::vector<std::int64_t>& target_lengths, const ctc_options& options)
{
    return ctc("ctc_loss", log_probs, targets, input_lengths, target_lengths, options, false);
}

Variable ctc_loss(const Variable& log_probs, const std::vector<std::vector<std::int64_t>>& targets,
                  const std::vector<std::int64_t>& input_lengths, const ctc_options& options)
{
    return ctc("ctc_loss", log_probs, targets, input_lengths, options, false);
}

Variable ctc_loss_from_logits(const Variable& logits, const Tensor& targets,
                              const std::vector<std::int64_t>& input_lengths,
                              const std::vector<std::int64_t>& target_lengths,
                              const ctc_options& options)
{
    return ctc("ctc_loss_from_logits", logits, targets, input_lengths, target_lengths, options,
               true);
}

Variable ctc_loss_from_logits(const Variable& logits,
                              const std::vector<std::vector<std::int64_t>>& targets,
                              const std::vector<std::int64_t>& input_lengths,
                              const ctc_options& options)
{
    return ctc("ctc_loss_from_logits", logits, targets, input_lengths, options, true);
}

} // namespace xgrad
