// xgrad::distributed under mpirun (tests/CMakeLists.txt runs it on 2 and on 3 ranks): the same
// global batch on N ranks as on one gives the same parameters (1e-12 relative, float64) after
// several steps of SGD and of Adam with clipping after the allreduce, every rank holding
// bit-identical parameters after every step; variable-length sequences scaled by the global
// token count; embedding (row-sparse) gradients; a parameter no rank uses; ranks that built
// different models fail together with the difference named.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/clip.hpp"
#include "xgrad/optim/distributed/environment.hpp"
#include "xgrad/optim/distributed/gradient_reducer.hpp"
#include "xgrad/optim/sgd.hpp"

using namespace xgrad;
using namespace xgrad::nn;
using namespace xgrad::distributed;

namespace
{

environment* env = nullptr;

constexpr std::size_t vocab = 17;

struct tiny_lm : Module
{
    std::shared_ptr<Embedding> embed;
    std::shared_ptr<LSTM> rnn;
    std::shared_ptr<Linear> head, unused;
    tiny_lm(std::size_t hidden, std::uint64_t seed)
    {
        generator g(seed);
        embed = register_module("embed", std::make_shared<Embedding>(vocab, 5, g));
        rnn = register_module("rnn", std::make_shared<LSTM>(5, hidden, rnn_options{}, g));
        head = register_module("head", std::make_shared<Linear>(hidden, vocab, true, g));
        unused = register_module("unused", std::make_shared<Linear>(3, 2, true, g));
        to(f64);
    }
    // Summed cross-entropy of next-token prediction over the sequences (each predicts its
    // tokens [1, L] from [0, L - 1]); *tokens = the number of predictions.
    Variable loss(const std::vector<std::vector<std::int64_t>>& seqs, std::size_t* tokens)
    {
        std::size_t steps = 0;
        for (const auto& s : seqs)
            steps = std::max(steps, s.size() - 1);
        const std::size_t b = seqs.size();
        std::vector<std::int64_t> ids(steps * b, 0), targets(steps * b, -100);
        std::vector<std::size_t> lengths;
        *tokens = 0;
        for (std::size_t j = 0; j < b; ++j)
        {
            lengths.push_back(seqs[j].size() - 1);
            for (std::size_t t = 0; t + 1 < seqs[j].size(); ++t)
            {
                ids[t * b + j] = seqs[j][t];
                targets[t * b + j] = seqs[j][t + 1];
                ++*tokens;
            }
        }
        const Variable x = embed->forward(ids, {steps, b});
        const Variable logits = (*head)(rnn->forward(x, lengths).output);
        cross_entropy_options o;
        o.reduce = reduction::sum;
        return cross_entropy(logits, targets, o);
    }
};

// Step s's global batch: 5 sequences of 3 to 10 tokens.
std::vector<std::vector<std::int64_t>> global_batch(std::size_t s)
{
    generator g(100 + s);
    std::vector<std::vector<std::int64_t>> out(5);
    for (auto& seq : out)
    {
        seq.resize(3 + std::size_t(g.uniform() * 8));
        for (auto& t : seq)
            t = std::int64_t(g.uniform() * double(vocab));
    }
    return out;
}

// Whether every rank holds bit-for-bit rank 0's values of every parameter.
bool ranks_identical(const Module& m)
{
    double differs = 0;
    for (const Variable& p : m.parameters())
    {
        Tensor copy = p.data().clone();
        env->broadcast(copy, 0);
        for (std::size_t i = 0; i < copy.numel(); ++i)
            differs += copy.flat(i) != p.data().flat(i);
    }
    return env->allreduce_max(differs) == 0;
}

double max_relative_difference(const Module& a, const Module& b)
{
    double worst = 0;
    const auto pa = a.parameters(), pb = b.parameters();
    for (std::size_t k = 0; k < pa.size(); ++k)
    {
        double diff = 0, scale = 0;
        for (std::size_t i = 0; i < pa[k].numel(); ++i)
        {
            diff = std::max(diff, std::abs(pa[k].data().flat(i) - pb[k].data().flat(i)));
            scale = std::max(scale, std::abs(pb[k].data().flat(i)));
        }
        worst = std::max(worst, diff / scale);
    }
    return worst;
}

template <class MakeOptimizer>
void train_and_compare(MakeOptimizer make, const reducer_options& ro)
{
    const auto rank = std::size_t(env->rank()), size = std::size_t(env->size());
    tiny_lm reference(6, 1);      // one process, the whole global batch
    tiny_lm replica(6, 1 + rank); // a different start on every rank but 0 ...
    env->check_same_model(replica.state_dict());
    env->broadcast(replica.state_dict()); // ... until rank 0's weights are broadcast
    REQUIRE(max_relative_difference(replica, reference) == 0);
    auto ref_opt = make(reference.parameters());
    auto opt = make(replica.parameters());
    gradient_reducer reduce(*env, replica.parameters(), ro);
    const double clip = 0.05;
    bool clipped = false;
    for (std::size_t step = 0; step < 4; ++step)
    {
        const auto batch = global_batch(step);
        // The reference: the global mean over tokens.
        ref_opt->zero_grad();
        std::size_t total = 0;
        Variable ref_loss = reference.loss(batch, &total);
        (ref_loss / double(total)).backward();
        clipped |= optim::clip_grad_norm(reference.parameters(), clip) > clip;
        ref_opt->step();
        // The replicas: sequences rank, rank + N, ...; summed loss over the global count.
        std::vector<std::vector<std::int64_t>> mine;
        for (std::size_t i = rank; i < batch.size(); i += size)
            mine.push_back(batch[i]);
        opt->zero_grad();
        std::size_t local = 0;
        Variable loss = replica.loss(mine, &local);
        const double global = env->allreduce_sum(double(local));
        REQUIRE(global == double(total));
        (loss / global).backward();
        reduce.reduce(1.0);
        optim::clip_grad_norm(replica.parameters(), clip);
        opt->step();
        INFO("step " << step);
        REQUIRE(ranks_identical(replica));
        CHECK(!replica.unused->parameters()[0].has_grad()); // no rank used it
        CHECK(env->allreduce_sum(loss.item()) / global == Approx(ref_loss.item() / double(total)));
    }
    CHECK(clipped); // the clip was active: it ran on the reduced gradient
    CHECK(max_relative_difference(replica, reference) < 1e-12);
    CHECK(reduce.stats().calls == 4);
}

} // namespace

TEST_CASE("N ranks train as one process: SGD, small buckets", "[distributed]")
{
    reducer_options ro;
    ro.bucket_bytes = 512; // several buckets, and parameters larger than one reduced alone
    train_and_compare(
        [](const std::vector<Variable>& p) {
            return std::make_unique<optim::SGD>(p, optim::sgd_options{0.5});
        },
        ro);
}

TEST_CASE("N ranks train as one process: Adam, one bucket", "[distributed]")
{
    train_and_compare(
        [](const std::vector<Variable>& p) {
            return std::make_unique<optim::Adam>(p, optim::adam_options{0.01});
        },
        reducer_options{});
}

TEST_CASE("ranks that built different models fail together, the difference named", "[distributed]")
{
    tiny_lm m(env->rank() == 1 ? 7 : 6, 1);
    if (env->size() == 1)
        return;
    try
    {
        env->check_same_model(m.state_dict());
        FAIL("no error");
    }
    catch (const distributed_error& e)
    {
        const std::string what = e.what();
        if (env->rank() == 1)
            CHECK_THAT(what, Catch::Contains("rank 1's model differs from rank 0's: 'head.weight "
                                             "float64 [17,7]' here, 'head.weight float64 [17,6]' "
                                             "on rank 0"));
        else
            CHECK_THAT(what, Catch::Contains("rank 1's model differs from rank 0's"));
    }
    CHECK_THROWS_AS(env->broadcast(m.state_dict()), distributed_error);
    // A collective after the failures still works: no rank was left waiting.
    CHECK(env->allreduce_sum(1.0) == double(env->size()));
}

int main(int argc, char** argv)
{
    environment e(argc, argv);
    env = &e;
    // Every rank reports; any rank's failure fails the run.
    Catch::Session session;
    const int rc = session.run(argc, argv);
    const double worst = e.allreduce_max(double(rc));
    return worst == 0 ? 0 : 1;
}
