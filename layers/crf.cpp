#include "xgrad/layers/crf.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/scratch.hpp"
#include "xgrad/layers/init.hpp"

namespace xgrad::nn
{
namespace
{

constexpr double neg_inf = -std::numeric_limits<double>::infinity();

// 1 where x is finite, 0 elsewhere (a mask for logsumexp), without converting x's dtype.
Tensor finite_mask(const Tensor& x)
{
    Tensor m = Tensor::empty(x.shape(), i32);
    dispatch(x.dtype(), [&](auto tag) {
        const auto* px = x.data<decltype(tag)>();
        std::int32_t* pm = m.data<std::int32_t>();
        for (std::size_t i = 0; i < x.numel(); ++i)
            pm[i] = std::isfinite(px[i]) ? 1 : 0;
    });
    return m;
}

// A constant tensor of `shape` and dtype dt from double values.
Tensor constant(const std::vector<double>& values, const shape_t& shape, dtype dt)
{
    return Tensor::from_values(values, shape, dt);
}

} // namespace

CRF::CRF(std::size_t num_tags, generator& g) : k_(num_tags)
{
    if (num_tags == 0)
        fail<value_error>("CRF: num_tags must be positive");
    start_transitions = register_parameter("start_transitions", Tensor::empty({k_}));
    end_transitions = register_parameter("end_transitions", Tensor::empty({k_}));
    transitions = register_parameter("transitions", Tensor::empty({k_, k_}));
    for (const Variable& p : {start_transitions, end_transitions, transitions})
        init::uniform(p, -0.1, 0.1, g);
    forbidden_.assign(k_ * k_, 0);
    forbidden_start_.assign(k_, 0);
    forbidden_end_.assign(k_, 0);
}

std::string CRF::describe() const
{
    return fmt::format("CRF({} tags)", k_);
}

void CRF::forbid_transition(std::size_t from, std::size_t to)
{
    if (from >= k_ || to >= k_)
        fail<value_error>("CRF::forbid_transition: {} -> {} with {} tags", from, to, k_);
    forbidden_[from * k_ + to] = 1;
    constrained_ = true;
}

void CRF::forbid_start(std::size_t tag)
{
    if (tag >= k_)
        fail<value_error>("CRF::forbid_start: tag {} with {} tags", tag, k_);
    forbidden_start_[tag] = 1;
    constrained_ = true;
}

void CRF::forbid_end(std::size_t tag)
{
    if (tag >= k_)
        fail<value_error>("CRF::forbid_end: tag {} with {} tags", tag, k_);
    forbidden_end_[tag] = 1;
    constrained_ = true;
}

Variable CRF::effective(const Variable& p, const std::vector<std::uint8_t>& forbidden) const
{
    if (!constrained_)
        return p;
    std::vector<double> m(forbidden.begin(), forbidden.end());
    return masked_fill(p, constant(m, p.shape(), f64), neg_inf);
}

void CRF::check(const char* op, const Variable& e, const std::vector<std::size_t>& lengths,
                std::vector<std::size_t>& n) const
{
    const shape_t& s = e.shape();
    if (s.size() != 3 || s[2] != k_ || s[0] == 0 || s[1] == 0)
        fail<shape_error>("CRF::{}: emissions {} must be [T, B, {}] with T, B >= 1", op,
                          to_string(s), k_);
    if (!lengths.empty() && lengths.size() != s[1])
        fail<shape_error>("CRF::{}: {} lengths for emissions {}", op, lengths.size(), to_string(s));
    if (lengths.empty())
        n.assign(s[1], s[0]);
    else
        n.assign(lengths.begin(), lengths.end());
    for (std::size_t b = 0; b < n.size(); ++b)
        if (n[b] == 0 || n[b] > s[0])
            fail<value_error>("CRF::{}: length {} of sentence {} is outside 1..{}", op, n[b], b,
                              s[0]);
}

Variable CRF::log_partition(const Variable& emissions, const std::vector<std::size_t>& lengths)
{
    scratch_vector<std::size_t> n_s; // pooled lists: a forward allocates none
    scratch_vector<std::uint8_t> live_s;
    std::vector<std::size_t>& n = *n_s;
    check("log_partition", emissions, lengths, n);
    const std::size_t T = emissions.shape()[0], B = emissions.shape()[1];
    const Variable trans = reshape(effective(transitions, forbidden_), {1, k_, k_});
    Variable alpha = effective(start_transitions, forbidden_start_) + select(emissions, 0, 0);
    // With forbidden moves (-inf), a lane of only forbidden moves is -inf by definition, not the
    // NaN that -inf - (-inf) gives inside logsumexp: the mask leaves -inf entries out.
    auto sum_exp = [&](const Variable& x, int axis) {
        return constrained_ ? logsumexp(x, finite_mask(x.data()), axis) : logsumexp(x, axis);
    };
    std::vector<std::uint8_t>& live = *live_s;
    live.resize(B);
    for (std::size_t t = 1; t < T; ++t)
    {
        // scores[b, i, j] = alpha[b, i] + transitions[i, j]; the sum runs over i.
        Variable next = sum_exp(reshape(alpha, {B, k_, 1}) + trans, 1) + select(emissions, 0, t);
        for (std::size_t b = 0; b < B; ++b)
            live[b] = t < n[b];
        // Sentences that have ended keep their alpha: padding has no effect.
        const bool all_live = std::all_of(live.begin(), live.end(), [](auto l) { return l != 0; });
        alpha = all_live ? next : where_rows(live, next, alpha);
    }
    return sum_exp(alpha + effective(end_transitions, forbidden_end_), 1);
}

Variable CRF::score(const Variable& emissions, const std::vector<std::int64_t>& tags,
                    const std::vector<std::size_t>& lengths)
{
    scratch_vector<std::size_t> n_s;
    std::vector<std::size_t>& n = *n_s;
    check("score", emissions, lengths, n);
    const std::size_t T = emissions.shape()[0], B = emissions.shape()[1], K = k_;
    if (tags.size() != T * B)
        fail<shape_error>("CRF::score: {} tags for emissions {} (expected T * B = {})", tags.size(),
                          to_string(emissions.shape()), T * B);
    const dtype dt = emissions.dtype();
    // One-hot selections of the gold path: emissions at (t, b, y_t), counts of each move
    // i -> j per sentence, the first and the last tag.
    // Built in float64 tensors (pooled blocks, not vectors), converted to dt once.
    Tensor on_path_t = Tensor::zeros({T, B, K}, f64), moves_t = Tensor::zeros({B, K, K}, f64),
           first_t = Tensor::zeros({B, K}, f64), last_t = Tensor::zeros({B, K}, f64),
           penalty_t = Tensor::zeros({B}, f64);
    double *on_path = on_path_t.data<double>(), *moves = moves_t.data<double>(),
           *first = first_t.data<double>(), *last = last_t.data<double>(),
           *penalty = penalty_t.data<double>();
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t t = 0; t < n[b]; ++t)
        {
            const std::int64_t y = tags[t * B + b];
            if (y < 0 || static_cast<std::size_t>(y) >= K)
                fail<value_error>("CRF::score: tag {} at step {} of sentence {} is outside "
                                  "0..{}",
                                  y, t, b, K - 1);
            on_path[(t * B + b) * K + std::size_t(y)] = 1.0;
            if (t == 0)
            {
                first[b * K + std::size_t(y)] = 1.0;
                if (forbidden_start_[std::size_t(y)])
                    penalty[b] = neg_inf;
            }
            else
            {
                const auto prev = std::size_t(tags[(t - 1) * B + b]);
                moves[(b * K + prev) * K + std::size_t(y)] += 1.0;
                if (forbidden_[prev * K + std::size_t(y)])
                    penalty[b] = neg_inf;
            }
            if (t + 1 == n[b])
            {
                last[b * K + std::size_t(y)] = 1.0;
                if (forbidden_end_[std::size_t(y)])
                    penalty[b] = neg_inf;
            }
        }
    const auto as_dt = [dt](const Tensor& t) {
        return Variable(t.dtype() == dt ? t : t.to(dt));
    };
    Variable s = sum(sum(emissions * as_dt(on_path_t), 2), 0);
    s = s + sum(sum(reshape(transitions, {1, K, K}) * as_dt(moves_t), 2), 1);
    s = s + sum(start_transitions * as_dt(first_t), 1);
    s = s + sum(end_transitions * as_dt(last_t), 1);
    if (constrained_)
        s = s + as_dt(penalty_t);
    return s;
}

Variable CRF::nll(const Variable& emissions, const std::vector<std::int64_t>& tags,
                  const std::vector<std::size_t>& lengths, bool mean_over_batch)
{
    Variable per_sentence = log_partition(emissions, lengths) - score(emissions, tags, lengths);
    return mean_over_batch ? mean(per_sentence) : sum(per_sentence);
}

std::vector<std::vector<std::int64_t>> CRF::decode(const Variable& emissions,
                                                   const std::vector<std::size_t>& lengths)
{
    std::vector<std::size_t> n;
    check("decode", emissions, lengths, n);
    const std::size_t T = emissions.shape()[0], B = emissions.shape()[1], K = k_;
    const std::vector<double> e = emissions.data().to(f64).to_vector();
    std::vector<double> trans = transitions.data().to(f64).to_vector(),
                        start = start_transitions.data().to(f64).to_vector(),
                        end = end_transitions.data().to(f64).to_vector();
    for (std::size_t i = 0; i < K * K; ++i)
        if (forbidden_[i])
            trans[i] = neg_inf;
    for (std::size_t k = 0; k < K; ++k)
    {
        if (forbidden_start_[k])
            start[k] = neg_inf;
        if (forbidden_end_[k])
            end[k] = neg_inf;
    }
    std::vector<std::vector<std::int64_t>> paths(B);
    std::vector<double> delta(K), next(K);
    std::vector<std::size_t> back(T * K);
    for (std::size_t b = 0; b < B; ++b)
    {
        for (std::size_t j = 0; j < K; ++j)
            delta[j] = start[j] + e[b * K + j];
        for (std::size_t t = 1; t < n[b]; ++t)
        {
            for (std::size_t j = 0; j < K; ++j)
            {
                std::size_t best = 0;
                double v = neg_inf;
                for (std::size_t i = 0; i < K; ++i)
                    if (delta[i] + trans[i * K + j] > v || i == 0)
                    {
                        v = delta[i] + trans[i * K + j];
                        best = i;
                    }
                next[j] = v + e[(t * B + b) * K + j];
                back[t * K + j] = best;
            }
            delta.swap(next);
        }
        std::size_t tag = 0;
        for (std::size_t j = 1; j < K; ++j)
            if (delta[j] + end[j] > delta[tag] + end[tag])
                tag = j;
        paths[b].assign(n[b], 0);
        for (std::size_t t = n[b]; t-- > 0;)
        {
            paths[b][t] = static_cast<std::int64_t>(tag);
            if (t > 0)
                tag = back[t * K + tag];
        }
    }
    return paths;
}

} // namespace xgrad::nn
