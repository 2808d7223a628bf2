// layers/crf.hpp: log Z, the Viterbi path and the marginals against brute-force enumeration of
// every tag sequence, float64 gradchecks, padding, forbidden transitions, errors.
#include <cmath>
#include <limits>

#include "tests/support.hpp"
#include "xgrad/layers/crf.hpp"
#include "xgrad/layers/gradcheck.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;

namespace
{

// Every tag sequence of sentence b, scored from the CRF's parameters directly.
struct crf_brute_force
{
    double log_z = -std::numeric_limits<double>::infinity();
    std::vector<std::int64_t> best;
    std::vector<std::vector<double>> marginals; // [t][k]
};

crf_brute_force
crf_enumerate(const CRF& crf, const Tensor& emissions, std::size_t b, std::size_t n,
              const std::vector<std::pair<std::size_t, std::size_t>>& forbidden = {},
              std::size_t forbidden_start = SIZE_MAX)
{
    const std::size_t B = emissions.shape()[1], K = crf.num_tags();
    const auto e = emissions.to(f64).to_vector();
    const auto tr = crf.transitions.data().to(f64).to_vector();
    const auto st = crf.start_transitions.data().to(f64).to_vector();
    const auto en = crf.end_transitions.data().to(f64).to_vector();
    std::size_t count = 1;
    for (std::size_t t = 0; t < n; ++t)
        count *= K;
    std::vector<double> scores(count);
    std::vector<std::vector<std::int64_t>> paths(count, std::vector<std::int64_t>(n));
    double best = -std::numeric_limits<double>::infinity();
    crf_brute_force r;
    for (std::size_t c = 0; c < count; ++c)
    {
        std::size_t code = c;
        for (std::size_t t = 0; t < n; ++t, code /= K)
            paths[c][t] = std::int64_t(code % K);
        const auto& y = paths[c];
        double s = st[y[0]] + en[y[n - 1]];
        bool allowed = std::size_t(y[0]) != forbidden_start;
        for (std::size_t t = 0; t < n; ++t)
        {
            s += e[(t * B + b) * K + y[t]];
            if (t > 0)
            {
                s += tr[y[t - 1] * K + y[t]];
                for (const auto& [from, to] : forbidden)
                    allowed =
                        allowed && !(std::size_t(y[t - 1]) == from && std::size_t(y[t]) == to);
            }
        }
        scores[c] = allowed ? s : -std::numeric_limits<double>::infinity();
        if (scores[c] > best)
        {
            best = scores[c];
            r.best = y;
        }
    }
    double total = 0;
    for (double s : scores)
        total += std::exp(s - best);
    r.log_z = best + std::log(total);
    r.marginals.assign(n, std::vector<double>(K, 0.0));
    for (std::size_t c = 0; c < count; ++c)
        for (std::size_t t = 0; t < n; ++t)
            r.marginals[t][paths[c][t]] += std::exp(scores[c] - r.log_z);
    return r;
}

} // namespace

TEST_CASE("CRF log Z, Viterbi and marginals equal brute-force enumeration", "[layers][crf]")
{
    CRF crf(3);
    crf.to(f64);
    // Larger than the init, so that the paths differ clearly.
    crf.load_state_dict({{"start_transitions", randn({3}, 902, false).data()},
                         {"end_transitions", randn({3}, 903, false).data()},
                         {"transitions", randn({3, 3}, 904, false).data()}});
    const std::vector<std::size_t> lengths{4, 2, 1, 3};
    Variable e = randn({4, 4, 3}, 901);
    Variable log_z = crf.log_partition(e, lengths);
    const auto paths = crf.decode(e, lengths);
    sum(log_z).backward(); // d log Z / d e = the marginals
    const auto z = log_z.data().to_vector();
    const auto g = e.grad().to_vector();
    for (std::size_t b = 0; b < lengths.size(); ++b)
    {
        INFO("sentence " << b);
        const crf_brute_force r = crf_enumerate(crf, e.data(), b, lengths[b]);
        CHECK(std::abs(z[b] - r.log_z) < 1e-10);
        CHECK(paths[b] == r.best);
        for (std::size_t t = 0; t < 4; ++t)
        {
            double total = 0;
            for (std::size_t k = 0; k < 3; ++k)
            {
                const double m = g[(t * 4 + b) * 3 + k];
                total += m;
                if (t < lengths[b])
                    CHECK(std::abs(m - r.marginals[t][k]) < 1e-10);
            }
            CHECK(std::abs(total - (t < lengths[b] ? 1.0 : 0.0)) < 1e-12); // padding: 0
        }
    }
    // The gold path's score: nll is log Z minus it.
    std::vector<std::int64_t> tags{0, 1, 2, 0, 2, 2, 1, 1, 1, 0, 0, 2, 2, 1, 0, 0};
    const double nll0 = crf.nll(e, tags, lengths, false).item();
    double expect = 0;
    for (double v : z)
        expect += v;
    expect -= crf.score(e, tags, lengths).data().to_vector()[0] +
              crf.score(e, tags, lengths).data().to_vector()[1] +
              crf.score(e, tags, lengths).data().to_vector()[2] +
              crf.score(e, tags, lengths).data().to_vector()[3];
    CHECK(std::abs(nll0 - expect) < 1e-10);
    CHECK(nll0 > 0);
}

TEST_CASE("CRF gradchecks in float64 and ignores padding", "[layers][crf]")
{
    CRF crf(3);
    crf.to(f64);
    const std::vector<std::size_t> lengths{4, 2, 1};
    const std::vector<std::int64_t> tags{0, 1, 2, 2, 0, 1, 1, 1, 0, 0, 2, 2};
    Variable e = randn({4, 3, 3}, 911);
    check_gradients([&](auto& x) { return crf.nll(x[0], tags, lengths); }, {e});
    const gradcheck_report r =
        gradcheck_module(crf, [&] { return crf.nll(Variable(e.data()), tags, lengths); });
    INFO(r.table());
    CHECK(r.ok());
    // Emissions past a sentence's end (and tags there) change nothing.
    auto shifted = e.data().to_vector();
    for (std::size_t t = 2; t < 4; ++t)
        shifted[(t * 3 + 1) * 3 + 2] += 50.0; // sentence 1 has length 2
    Variable e2(Tensor::from_values(shifted, {4, 3, 3}, f64));
    auto tags2 = tags;
    tags2[3 * 3 + 1] = 2;
    CHECK(max_diff(crf.log_partition(e2, lengths).data(), crf.log_partition(e, lengths).data()) ==
          0.0);
    CHECK(crf.nll(e2, tags2, lengths).item() == crf.nll(e, tags, lengths).item());
    CHECK(crf.decode(e2, lengths) == crf.decode(e, lengths));
}

TEST_CASE("CRF forbidden transitions have probability 0", "[layers][crf]")
{
    CRF crf(3);
    crf.to(f64);
    crf.forbid_transition(0, 1); // O -> I, as BIO forbids
    crf.forbid_transition(2, 1);
    crf.forbid_start(1);
    const std::vector<std::size_t> lengths{4, 3};
    Variable e = randn({4, 2, 3}, 921);
    // Make tag 1 tempting everywhere: the constraints must still keep it out after 0 and 2.
    auto v = e.data().to_vector();
    for (std::size_t i = 1; i < v.size(); i += 3)
        v[i] += 2.0;
    e = Variable(Tensor::from_values(v, {4, 2, 3}, f64), true);
    Variable log_z = crf.log_partition(e, lengths);
    const auto paths = crf.decode(e, lengths);
    for (std::size_t b = 0; b < 2; ++b)
    {
        const crf_brute_force r = crf_enumerate(crf, e.data(), b, lengths[b], {{0, 1}, {2, 1}}, 1);
        CHECK(std::abs(log_z.data().to_vector()[b] - r.log_z) < 1e-10);
        CHECK(paths[b] == r.best);
        CHECK(paths[b][0] != 1);
        for (std::size_t t = 1; t < paths[b].size(); ++t)
            CHECK_FALSE((paths[b][t] == 1 && paths[b][t - 1] != 1));
    }
    // A gold path with a forbidden move is impossible: +inf; an allowed one gradchecks.
    CHECK(std::isinf(crf.nll(e, {1, 0, 0, 0, 0, 0, 0, 0}, lengths).item()));
    const std::vector<std::int64_t> ok{0, 2, 2, 0, 2, 2, 0, 0};
    check_gradients([&](auto& x) { return crf.nll(x[0], ok, lengths); }, {e});
    const gradcheck_report r =
        gradcheck_module(crf, [&] { return crf.nll(Variable(e.data()), ok, lengths); });
    INFO(r.table());
    CHECK(r.ok());
}

TEST_CASE("CRF refuses inputs that do not fit", "[layers][crf]")
{
    CRF crf(3);
    Variable e(Tensor::zeros({4, 2, 3}));
    CHECK_THROWS_WITH(crf.log_partition(Variable(Tensor::zeros({4, 2, 5}))),
                      Catch::Contains("[4,2,5]") && Catch::Contains("[T, B, 3]"));
    CHECK_THROWS_AS(crf.log_partition(Variable(Tensor::zeros({4, 3}))), shape_error);
    CHECK_THROWS_WITH(crf.decode(e, {4}), Catch::Contains("1 lengths"));
    CHECK_THROWS_WITH(crf.nll(e, {0, 0, 0}, {4, 1}), Catch::Contains("3 tags"));
    CHECK_THROWS_WITH(crf.nll(e, {0, 0, 3, 0, 0, 0, 0, 0}), Catch::Contains("tag 3"));
    CHECK_THROWS_AS(crf.nll(e, std::vector<std::int64_t>(8, 0), {5, 1}), value_error);
    CHECK_THROWS_AS(crf.nll(e, std::vector<std::int64_t>(8, 0), {0, 1}), value_error);
    CHECK_THROWS_AS(crf.forbid_transition(0, 3), value_error);
    CHECK_THROWS_AS(CRF(0), value_error);
}
