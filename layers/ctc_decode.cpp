#include "xgrad/layers/ctc_decode.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "xgrad/autograd/error.hpp"

namespace xgrad::nn
{
namespace
{

constexpr double ninf = -std::numeric_limits<double>::infinity();

double lse(double a, double b)
{
    if (a < b)
        std::swap(a, b);
    return b == ninf ? a : a + std::log1p(std::exp(b - a));
}

// The frames of each sample, checked against the scores' shape.
std::vector<std::size_t> frames_of(const char* op, const Tensor& x,
                                   const std::vector<std::int64_t>& input_lengths,
                                   std::int64_t blank)
{
    if (x.dim() != 3)
        fail<shape_error>("{}: expected [T, B, C] scores, got {}", op, to_string(x.shape()));
    if (!is_floating(x.dtype()))
        fail<value_error>("{}: scores must be float32 or float64, got {}", op,
                          dtype_name(x.dtype()));
    const std::size_t T = x.shape()[0], B = x.shape()[1], C = x.shape()[2];
    if (blank < 0 || static_cast<std::size_t>(blank) >= C)
        fail<value_error>("{}: blank {} is outside [0, {}) (scores {})", op, blank, C,
                          to_string(x.shape()));
    if (input_lengths.empty())
        return std::vector<std::size_t>(B, T);
    if (input_lengths.size() != B)
        fail<shape_error>("{}: scores {} hold a batch of {} but {} input lengths were given", op,
                          to_string(x.shape()), B, input_lengths.size());
    std::vector<std::size_t> out(B);
    for (std::size_t b = 0; b < B; ++b)
    {
        if (input_lengths[b] < 0 || static_cast<std::size_t>(input_lengths[b]) > T)
            fail<value_error>("{}: input length {} of sample {} is outside [0, {}]", op,
                              input_lengths[b], b, T);
        out[b] = static_cast<std::size_t>(input_lengths[b]);
    }
    return out;
}

// Score of class c at frame t of sample b, in double.
double score(const Tensor& x, std::size_t t, std::size_t b, std::size_t c)
{
    const std::size_t i = (t * x.shape()[1] + b) * x.shape()[2] + c;
    return x.dtype() == f32 ? static_cast<double>(x.data<float>()[i]) : x.data<double>()[i];
}

// Label prefixes as a trie: a prefix is a node id, extending it by a label is a lookup.
struct prefix_trie
{
    std::vector<std::int64_t> label{-1}; // node 0: the empty prefix
    std::vector<std::int32_t> parent{-1};
    std::unordered_map<std::uint64_t, std::int32_t> child;

    std::int32_t extend(std::int32_t node, std::int64_t c)
    {
        const std::uint64_t key =
            (static_cast<std::uint64_t>(node) << 32) | static_cast<std::uint64_t>(c);
        const auto [it, added] = child.try_emplace(key, static_cast<std::int32_t>(label.size()));
        if (added)
        {
            label.push_back(c);
            parent.push_back(node);
        }
        return it->second;
    }
    label_sequence labels(std::int32_t node) const
    {
        label_sequence out;
        for (; node > 0; node = parent[static_cast<std::size_t>(node)])
            out.push_back(label[static_cast<std::size_t>(node)]);
        std::reverse(out.begin(), out.end());
        return out;
    }
};

struct beam_entry
{
    std::int32_t node;
    double blank = ninf, label = ninf; // log p_b, log p_nb
    double total() const { return lse(blank, label); }
};

} // namespace

std::vector<label_sequence> ctc_greedy_decode(const Tensor& scores,
                                              const std::vector<std::int64_t>& input_lengths,
                                              std::int64_t blank)
{
    const auto frames = frames_of("ctc_greedy_decode", scores, input_lengths, blank);
    const std::size_t C = scores.shape()[2];
    std::vector<label_sequence> out(frames.size());
    for (std::size_t b = 0; b < frames.size(); ++b)
    {
        std::int64_t previous = blank;
        for (std::size_t t = 0; t < frames[b]; ++t)
        {
            std::size_t best = 0;
            for (std::size_t c = 1; c < C; ++c)
                if (score(scores, t, b, c) > score(scores, t, b, best))
                    best = c;
            const auto k = static_cast<std::int64_t>(best);
            if (k != blank && k != previous)
                out[b].push_back(k);
            previous = k;
        }
    }
    return out;
}

std::vector<std::vector<ctc_hypothesis>>
ctc_beam_search(const Tensor& log_probs, std::size_t beam,
                const std::vector<std::int64_t>& input_lengths, std::int64_t blank)
{
    const auto frames = frames_of("ctc_beam_search", log_probs, input_lengths, blank);
    if (beam == 0)
        fail<value_error>("ctc_beam_search: the beam must hold at least one prefix");
    const std::size_t C = log_probs.shape()[2];
    std::vector<std::vector<ctc_hypothesis>> out(frames.size());
    for (std::size_t b = 0; b < frames.size(); ++b)
    {
        prefix_trie trie;
        std::vector<beam_entry> kept{beam_entry{0, 0.0, ninf}};
        std::unordered_map<std::int32_t, beam_entry> next;
        std::vector<beam_entry> ranked;
        for (std::size_t t = 0; t < frames[b]; ++t)
        {
            next.clear();
            const auto at = [&](std::int32_t node) -> beam_entry& {
                return next.try_emplace(node, beam_entry{node}).first->second;
            };
            for (const beam_entry& e : kept)
            {
                const double p = e.total();
                beam_entry& same = at(e.node);
                same.blank = lse(same.blank, p + score(log_probs, t, b, blank));
                const std::int64_t last = trie.label[static_cast<std::size_t>(e.node)];
                for (std::size_t c = 0; c < C; ++c)
                {
                    const auto k = static_cast<std::int64_t>(c);
                    if (k == blank)
                        continue;
                    const double y = score(log_probs, t, b, c);
                    const std::int32_t longer = trie.extend(e.node, k);
                    if (k == last)
                    {
                        at(e.node).label = lse(at(e.node).label, e.label + y);
                        at(longer).label = lse(at(longer).label, e.blank + y);
                    }
                    else
                        at(longer).label = lse(at(longer).label, p + y);
                }
            }
            ranked.clear();
            for (const auto& entry : next)
                ranked.push_back(entry.second);
            // Ties broken by node id: the result does not depend on the hash map's order.
            const auto better = [](const beam_entry& x, const beam_entry& y) {
                const double px = x.total(), py = y.total();
                return px != py ? px > py : x.node < y.node;
            };
            const std::size_t keep = std::min(beam, ranked.size());
            std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep),
                              ranked.end(), better);
            kept.assign(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep));
        }
        for (const beam_entry& e : kept)
            out[b].push_back(ctc_hypothesis{trie.labels(e.node), e.total()});
    }
    return out;
}

std::size_t edit_distance(const label_sequence& hypothesis, const label_sequence& reference)
{
    // One row of the Levenshtein table at a time.
    std::vector<std::size_t> row(reference.size() + 1);
    for (std::size_t j = 0; j <= reference.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= hypothesis.size(); ++i)
    {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= reference.size(); ++j)
        {
            const std::size_t substitute =
                diagonal + (hypothesis[i - 1] == reference[j - 1] ? 0 : 1);
            diagonal = row[j];
            row[j] = std::min({substitute, row[j] + 1, row[j - 1] + 1});
        }
    }
    return row.back();
}

double label_error_rate(const std::vector<label_sequence>& hypotheses,
                        const std::vector<label_sequence>& references)
{
    if (hypotheses.size() != references.size())
        fail<shape_error>("label_error_rate: {} hypotheses for {} references", hypotheses.size(),
                          references.size());
    std::size_t edits = 0, length = 0;
    for (std::size_t i = 0; i < references.size(); ++i)
    {
        edits += edit_distance(hypotheses[i], references[i]);
        length += references[i].size();
    }
    if (length == 0)
        return edits == 0 ? 0.0 : std::numeric_limits<double>::infinity();
    return static_cast<double>(edits) / static_cast<double>(length);
}

} // namespace xgrad::nn
