#include "examples/translate/decode.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "examples/common/flags.hpp"
#include "xgrad/autograd/autograd.hpp"

namespace mt
{
namespace
{

std::size_t cap_of(std::size_t src_len, const decode_options& o)
{
    return std::min(o.max_length, 2 * src_len + 10);
}

double length_penalty(std::size_t n, double alpha)
{
    return std::pow((5.0 + double(n)) / 6.0, alpha);
}

padded pad_sources(const std::vector<std::vector<std::int64_t>>& s, std::size_t from,
                   std::size_t count)
{
    std::vector<const std::vector<std::int64_t>*> v;
    for (std::size_t i = from; i < from + count; ++i)
        v.push_back(&s[i]);
    return pad_batch(v);
}

// log_softmax of the step's logits as doubles, [rows * V].
std::vector<double> step_log_probs(Seq2Seq& m, const Variable& h, generator& g)
{
    const Tensor lp = log_softmax(m.logits(h, g), 1).data();
    std::vector<double> out(lp.numel());
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = lp.flat(i);
    return out;
}

struct hypothesis
{
    std::vector<std::int64_t> tokens;
    double logp = 0;
};

} // namespace

std::vector<std::vector<std::int64_t>>
greedy(Seq2Seq& m, const std::vector<std::vector<std::int64_t>>& sources, const decode_options& o)
{
    generator g(0); // eval mode: no dropout draws
    std::vector<std::vector<std::int64_t>> out(sources.size());
    for (std::size_t from = 0; from < sources.size(); from += o.batch)
    {
        const std::size_t B = std::min(o.batch, sources.size() - from);
        auto [e, s] = m.encode(pad_sources(sources, from, B), g);
        std::vector<std::int64_t> prev(B, vocab::bos);
        std::vector<bool> done(B, false);
        std::size_t live = B;
        for (std::size_t t = 0; live > 0; ++t)
        {
            const std::vector<double> lp = step_log_probs(m, m.step(prev, s, e, g), g);
            const std::size_t V = lp.size() / B;
            for (std::size_t b = 0; b < B; ++b)
            {
                if (done[b])
                    continue;
                // The first maximum: the lowest id on a tie.
                const auto row = lp.begin() + std::ptrdiff_t(b * V);
                const auto best =
                    std::int64_t(std::max_element(row, row + std::ptrdiff_t(V)) - row);
                prev[b] = best;
                if (best == vocab::eos || t + 1 >= cap_of(sources[from + b].size(), o))
                {
                    if (best != vocab::eos)
                        out[from + b].push_back(best);
                    done[b] = true;
                    --live;
                }
                else
                    out[from + b].push_back(best);
            }
        }
    }
    return out;
}

std::vector<std::vector<std::int64_t>>
beam_search(Seq2Seq& m, const std::vector<std::vector<std::int64_t>>& sources,
            const decode_options& o)
{
    generator g(0);
    const std::size_t k = o.beam;
    const double ninf = -std::numeric_limits<double>::infinity();
    std::vector<std::vector<std::int64_t>> out(sources.size());
    for (std::size_t from = 0; from < sources.size(); from += o.batch)
    {
        const std::size_t B = std::min(o.batch, sources.size() - from);
        auto [e0, s0] = m.encode(pad_sources(sources, from, B), g);
        std::vector<std::int64_t> rows;
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t j = 0; j < k; ++j)
                rows.push_back(std::int64_t(b));
        const encoded e = Seq2Seq::select(e0, rows);
        decoder_state s = Seq2Seq::select(s0, rows);
        // live[b][j]; at the start one live hypothesis per sentence (the others -inf, so the k
        // first continuations are distinct).
        std::vector<std::vector<hypothesis>> live(B, std::vector<hypothesis>(k));
        for (auto& l : live)
            for (std::size_t j = 1; j < k; ++j)
                l[j].logp = ninf;
        std::vector<std::vector<std::pair<double, hypothesis>>> finished(B);
        std::vector<bool> done(B, false);
        std::vector<std::int64_t> prev(B * k, vocab::bos);
        std::size_t remaining = B;
        for (std::size_t t = 0; remaining > 0; ++t)
        {
            const std::vector<double> lp = step_log_probs(m, m.step(prev, s, e, g), g);
            const std::size_t V = lp.size() / (B * k);
            std::vector<std::int64_t> reorder(B * k);
            std::vector<std::vector<hypothesis>> next(B);
            for (std::size_t b = 0; b < B; ++b)
            {
                for (std::size_t j = 0; j < k; ++j)
                    reorder[b * k + j] = std::int64_t(b * k); // filler for finished sentences
                if (done[b])
                    continue;
                // The best 2k continuations: enough for k live ones after up to k end tokens.
                std::vector<std::pair<double, std::size_t>> cand;
                cand.reserve(k * V);
                for (std::size_t j = 0; j < k; ++j)
                    if (live[b][j].logp > ninf)
                        for (std::size_t v = 0; v < V; ++v)
                            cand.push_back({live[b][j].logp + lp[(b * k + j) * V + v], j * V + v});
                const std::size_t n = std::min(cand.size(), 2 * k);
                // Higher score first; on a tie the lower (hypothesis, token) index, as greedy.
                std::partial_sort(cand.begin(), cand.begin() + std::ptrdiff_t(n), cand.end(),
                                  [](const auto& x, const auto& y) {
                                      return x.first > y.first ||
                                             (x.first == y.first && x.second < y.second);
                                  });
                const std::size_t cap = cap_of(sources[from + b].size(), o);
                for (std::size_t c = 0; c < n && next[b].size() < k; ++c)
                {
                    const std::size_t j = cand[c].second / V;
                    const auto v = std::int64_t(cand[c].second % V);
                    hypothesis h{live[b][j].tokens, cand[c].first};
                    if (v == vocab::eos)
                    {
                        if (c < k) // only end tokens among the best k finish a hypothesis
                            finished[b].push_back(
                                {h.logp / length_penalty(h.tokens.size() + 1, o.alpha), h});
                        continue;
                    }
                    h.tokens.push_back(v);
                    reorder[b * k + next[b].size()] = std::int64_t(b * k + j);
                    next[b].push_back(std::move(h));
                }
                // Stop when the best finished one beats every live one, or at the cap.
                bool stop = t + 1 >= cap || next[b].empty();
                if (!stop && !finished[b].empty())
                {
                    double best = ninf;
                    for (const auto& f : finished[b])
                        best = std::max(best, f.first);
                    stop = true;
                    for (const auto& h : next[b])
                        if (h.logp / length_penalty(h.tokens.size(), o.alpha) > best)
                            stop = false;
                }
                if (stop)
                {
                    if (t + 1 >= cap)
                        for (auto& h : next[b])
                            finished[b].push_back(
                                {h.logp / length_penalty(h.tokens.size(), o.alpha), h});
                    // The best finished; the first found on a tie.
                    std::size_t best = 0;
                    for (std::size_t i = 1; i < finished[b].size(); ++i)
                        if (finished[b][i].first > finished[b][best].first)
                            best = i;
                    if (!finished[b].empty())
                        out[from + b] = finished[b][best].second.tokens;
                    done[b] = true;
                    --remaining;
                    continue;
                }
                while (next[b].size() < k) // fewer than k continuations (tiny vocabulary)
                {
                    next[b].push_back({{}, ninf});
                    reorder[b * k + next[b].size() - 1] = std::int64_t(b * k);
                }
                live[b] = std::move(next[b]);
                for (std::size_t j = 0; j < k; ++j)
                    prev[b * k + j] =
                        live[b][j].tokens.empty() ? vocab::eos : live[b][j].tokens.back();
            }
            if (remaining == 0)
                break;
            s = Seq2Seq::select(s, reorder);
        }
    }
    return out;
}

attended_translation greedy_with_attention(Seq2Seq& m, const std::vector<std::int64_t>& source,
                                           const decode_options& o)
{
    if (m.config().attention == "none")
        throw cli::usage_error("--attention-plot: the model has no attention (--attention none)");
    generator g(0);
    auto [e, s] = m.encode(pad_batch({&source}), g);
    attended_translation r;
    std::vector<std::int64_t> prev{vocab::bos};
    for (std::size_t t = 0; t < cap_of(source.size(), o); ++t)
    {
        Variable w;
        const std::vector<double> lp = step_log_probs(m, m.step(prev, s, e, g, &w), g);
        std::vector<double> row(source.size());
        for (std::size_t i = 0; i < row.size(); ++i)
            row[i] = w.data().flat(i); // weights [S, 1]
        r.weights.push_back(row);
        prev[0] = std::int64_t(std::max_element(lp.begin(), lp.end()) - lp.begin());
        if (prev[0] == vocab::eos)
            break;
        r.tokens.push_back(prev[0]);
    }
    return r;
}

std::vector<std::vector<std::int64_t>>
translate(Seq2Seq& m, const std::vector<std::vector<std::int64_t>>& sources,
          const decode_options& o)
{
    return o.beam <= 1 ? greedy(m, sources, o) : beam_search(m, sources, o);
}

} // namespace mt
