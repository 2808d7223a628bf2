// layers/ctc_decode.hpp: greedy and prefix beam search against brute force, edit distance and
// label error rate against hand-counted cases.
#include <cmath>
#include <map>

#include "tests/support.hpp"
#include "xgrad/layers/ctc_decode.hpp"

using namespace xgrad;
using namespace xgrad::nn;
using namespace xgrad::test;

namespace
{

// Every labelling's probability (summed over its alignments) for sample b, by enumerating all
// C^T alignments.
std::map<label_sequence, double> labelling_probabilities(const Tensor& lp, std::size_t b,
                                                         std::int64_t blank)
{
    const std::size_t T = lp.shape()[0], B = lp.shape()[1], C = lp.shape()[2];
    std::map<label_sequence, double> out;
    std::vector<std::size_t> path(T, 0);
    while (true)
    {
        label_sequence l;
        double logp = 0;
        std::int64_t previous = -1;
        for (std::size_t t = 0; t < T; ++t)
        {
            const auto k = static_cast<std::int64_t>(path[t]);
            logp += lp.flat((t * B + b) * C + path[t]);
            if (k != blank && k != previous)
                l.push_back(k);
            previous = k;
        }
        out[l] += std::exp(logp);
        std::size_t t = 0;
        while (t < T && ++path[t] == C)
            path[t++] = 0;
        if (t == T)
            break;
    }
    return out;
}

Tensor peaked_log_probs(const std::vector<std::vector<double>>& frames)
{
    // frames[t] = probabilities of one sample's frame t.
    const std::size_t T = frames.size(), C = frames[0].size();
    Tensor lp = Tensor::empty({T, 1, C}, f64);
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t c = 0; c < C; ++c)
            lp.data<double>()[t * C + c] = std::log(frames[t][c]);
    return lp;
}

} // namespace

TEST_CASE("ctc_greedy_decode takes each frame's argmax, merges repeats, drops blanks",
          "[layers][ctc]")
{
    // argmaxes: 1 1 0 1 2 2 0 0 -> [1, 1, 2]
    const Tensor lp = peaked_log_probs({{.1, .8, .1},
                                        {.2, .7, .1},
                                        {.8, .1, .1},
                                        {.1, .6, .3},
                                        {.1, .2, .7},
                                        {.3, .1, .6},
                                        {.9, .05, .05},
                                        {.9, .05, .05}});
    CHECK(ctc_greedy_decode(lp) == std::vector<label_sequence>{{1, 1, 2}});
    // Only the first 3 frames: [1].
    CHECK(ctc_greedy_decode(lp, {3}) == std::vector<label_sequence>{{1}});
    CHECK(ctc_greedy_decode(lp, {0}) == std::vector<label_sequence>{{}});
    // Blank 2: argmaxes 1 1 0 1 2 2 0 0 -> [1, 0, 1, 0].
    CHECK(ctc_greedy_decode(lp, {}, 2) == std::vector<label_sequence>{{1, 0, 1, 0}});
    CHECK_THROWS_WITH(ctc_greedy_decode(lp, {9}), Catch::Contains("input length 9"));
    CHECK_THROWS_WITH(ctc_greedy_decode(lp, {}, 3), Catch::Contains("blank 3"));
    CHECK_THROWS_WITH(ctc_greedy_decode(Tensor::zeros({8, 3})),
                      Catch::Contains("ctc_greedy_decode") && Catch::Contains("[8,3]"));
}

TEST_CASE("ctc_beam_search finds the most probable labellings, with their probabilities",
          "[layers][ctc]")
{
    // T = 6, C = 3, two samples: 729 alignments each, a few dozen labellings.
    const Tensor lp = log_softmax(randn({6, 2, 3}, 401, false)).data();
    for (std::size_t b = 0; b < 2; ++b)
    {
        const auto exact = labelling_probabilities(lp, b, 0);
        std::vector<std::pair<double, label_sequence>> ranked;
        for (const auto& [l, p] : exact)
            ranked.emplace_back(p, l);
        std::sort(ranked.rbegin(), ranked.rend());
        // A beam as wide as the number of labellings keeps them all: exact.
        const auto all = ctc_beam_search(lp, exact.size())[b];
        REQUIRE(all.size() == exact.size());
        for (std::size_t i = 0; i < 5; ++i)
        {
            INFO("sample " << b << " rank " << i);
            CHECK(all[i].labels == ranked[i].second);
            CHECK(std::exp(all[i].log_prob) == Approx(ranked[i].first).epsilon(1e-12));
        }
        // A narrow beam still finds the best here, and never reports more than it keeps.
        const auto narrow = ctc_beam_search(lp, 4)[b];
        REQUIRE(narrow.size() == 4);
        CHECK(narrow[0].labels == ranked[0].second);
        for (std::size_t i = 1; i < narrow.size(); ++i)
            CHECK(narrow[i - 1].log_prob >= narrow[i].log_prob);
    }
    SECTION("beam search beats greedy where many alignments share a labelling")
    {
        // Two frames of (blank 0.6, label 0.4): greedy reads blank, blank -> [] (p = 0.36),
        // but the alignments 1 1, blank 1 and 1 blank all give [1]: p = 0.16 + 2 * 0.24 = 0.64.
        const Tensor two = peaked_log_probs({{.6, .4}, {.6, .4}});
        CHECK(ctc_greedy_decode(two)[0].empty());
        const auto best = ctc_beam_search(two, 2)[0];
        CHECK(best[0].labels == label_sequence{1});
        CHECK(std::exp(best[0].log_prob) == Approx(0.64));
        CHECK(std::exp(best[1].log_prob) == Approx(0.36));
    }
    CHECK_THROWS_WITH(ctc_beam_search(lp, 0), Catch::Contains("beam"));
    // No frames: the empty labelling, with probability 1.
    const auto none = ctc_beam_search(lp, 3, {0, 6});
    REQUIRE(none[0].size() == 1);
    CHECK(none[0][0].labels.empty());
    CHECK(none[0][0].log_prob == 0.0);
}

TEST_CASE("edit_distance and label_error_rate", "[layers][ctc]")
{
    CHECK(edit_distance({}, {}) == 0);
    CHECK(edit_distance({1, 2, 3}, {1, 2, 3}) == 0);
    CHECK(edit_distance({1, 3}, {1, 2, 3}) == 1);       // a deletion
    CHECK(edit_distance({1, 2, 4, 3}, {1, 2, 3}) == 1); // an insertion
    CHECK(edit_distance({1, 5, 3}, {1, 2, 3}) == 1);    // a substitution
    CHECK(edit_distance({}, {1, 2}) == 2);
    CHECK(edit_distance({3, 2, 1}, {1, 2, 3}) == 2);
    // kitten -> sitting: 3.
    CHECK(edit_distance({'k', 'i', 't', 't', 'e', 'n'}, {'s', 'i', 't', 't', 'i', 'n', 'g'}) == 3);
    CHECK(label_error_rate({{1, 3}, {4}}, {{1, 2, 3}, {4, 4}}) == Approx(2.0 / 5));
    CHECK(label_error_rate({{}}, {{}}) == 0.0);
    CHECK(std::isinf(label_error_rate({{1}}, {{}})));
    CHECK_THROWS_WITH(label_error_rate({{1}}, {}), Catch::Contains("1 hypotheses for 0"));
}

// snippet ctc begin
// A CTC training step's loss and gradient, then both decoders. logits [T, B, C] come from a
// model (class 0 is the blank); each utterance has its own length.
struct decoded
{
    std::vector<label_sequence> greedy;            // per utterance
    std::vector<std::vector<ctc_hypothesis>> beam; // per utterance, the 8 best, most likely first
};

decoded ctc_step(const Variable& logits)
{
    const std::vector<std::vector<std::int64_t>> targets{{1, 2, 2}, {4}};
    const std::vector<std::int64_t> frames{50, 30};
    Variable loss = ctc_loss_from_logits(logits, targets, frames); // mean per target label
    loss.backward();                                               // softmax - posteriors
    return {ctc_greedy_decode(logits.data(), frames),
            ctc_beam_search(log_softmax(logits).data(), 8, frames)};
}
// snippet ctc end

TEST_CASE("ctc: training and decoding as docs/speech.md shows them", "[layers][ctc]")
{
    Variable logits = randn({50, 2, 5}, 409);
    const decoded d = ctc_step(logits);
    CHECK(d.greedy.size() == 2);
    const auto& best = d.beam;
    REQUIRE(best.size() == 2);
    CHECK(best[0].size() == 8);
    CHECK(best[0][0].log_prob >= best[0][7].log_prob);
    for (std::size_t t = 30; t < 50; ++t) // past utterance 1's end: no gradient
        CHECK(logits.grad().flat((t * 2 + 1) * 5 + 3) == 0.0);
    CHECK(logits.grad().flat((10 * 2 + 1) * 5 + 3) != 0.0);
}
