// custom_cell: a user-defined recurrent cell (mgu_cell.hpp or peephole_cell.hpp), trained as a
// 2-layer bidirectional network on a task that needs both directions (output the input sequence
// reversed, with variable lengths), then gradient-checked in float64: BPTT for free.
#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/custom_cell/mgu_cell.hpp"
#include "examples/custom_cell/peephole_cell.hpp"
#include "xgrad/layers/bidirectional.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/recurrent.hpp"
#include "xgrad/layers/stacked.hpp"
#include "xgrad/optim/adam.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace
{

struct Tagger : Module
{
    std::shared_ptr<Embedding> embed;
    std::shared_ptr<Stacked> rnn;
    std::shared_ptr<Linear> head;
    // cell: mgu, mgu-fused, peephole or peephole-fused.
    Tagger(std::size_t symbols, std::size_t hidden, const std::string& cell)
    {
        embed = register_module("embed", std::make_shared<Embedding>(symbols, 8));
        rnn = register_module(
            "rnn", std::make_shared<Stacked>(
                       2, [hidden, cell](std::size_t layer) -> std::shared_ptr<SequenceLayer> {
                           return std::make_shared<Bidirectional>([layer, hidden, cell] {
                               const std::size_t in = layer == 0 ? 8 : 2 * hidden;
                               const bool fused = cell.find("-fused") != std::string::npos;
                               if (cell.rfind("peephole", 0) == 0)
                                   return std::make_shared<Recurrent>(
                                       std::make_shared<PeepholeLSTMCell>(in, hidden, fused));
                               return std::make_shared<Recurrent>(
                                   std::make_shared<MGUCell>(in, hidden, fused));
                           });
                       }));
        head = register_module("head", std::make_shared<Linear>(2 * hidden, symbols));
    }
    Variable forward(const std::vector<std::int64_t>& ids, std::size_t steps, std::size_t batch,
                     const std::vector<std::size_t>& lengths)
    {
        return head->forward(rnn->forward(embed->forward(ids, {steps, batch}), lengths).output);
    }
};

// A batch of random sequences (lengths 2..steps) and their reversals as targets.
void make_batch(generator& g, std::size_t symbols, std::size_t steps, std::size_t batch,
                std::vector<std::int64_t>& ids, std::vector<std::int64_t>& targets,
                std::vector<std::size_t>& lengths)
{
    ids.assign(steps * batch, 0);
    targets.assign(steps * batch, -100);
    lengths.resize(batch);
    for (std::size_t b = 0; b < batch; ++b)
    {
        lengths[b] = 2 + g.below(steps - 1);
        std::vector<std::int64_t> seq(lengths[b]);
        for (auto& s : seq)
            s = static_cast<std::int64_t>(g.below(symbols));
        for (std::size_t t = 0; t < lengths[b]; ++t)
        {
            ids[t * batch + b] = seq[t];
            targets[t * batch + b] = seq[lengths[b] - 1 - t];
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    std::size_t steps = 2000, symbols = 8, length = 8, hidden = 32, batch = 32;
    std::uint64_t seed = 1;
    std::string cell = "mgu";
    cli::flags f("usage: custom_cell [options]\n"
                 "Trains a 2-layer bidirectional network of a user-defined cell (--cell: the\n"
                 "minimal gated unit of mgu_cell.hpp or the peephole LSTM of peephole_cell.hpp,\n"
                 "written with ops or with xgrad::fused) to reverse variable-length sequences,\n"
                 "then gradient-checks it in float64. Exits non-zero if the accuracy stays below\n"
                 "90% or a gradient mismatches.");
    // A toy task: the bounds keep it to sizes that fit in memory and finish.
    f.add("steps", steps, "training steps").in_range(1, 10000000);
    f.add("symbols", symbols, "alphabet size").in_range(2, 4096);
    f.add("length", length, "longest sequence").in_range(2, 4096);
    f.add("hidden", hidden, "hidden size per direction").in_range(1, 4096);
    f.add("batch", batch, "sequences per step").in_range(1, 4096);
    f.add("seed", seed, "random seed", 0);
    f.add("cell", cell,
          "the user-defined cell: mgu or peephole (an LSTM with peepholes), written with ops, or "
          "with xgrad::fused (-fused)")
        .one_of({"mgu", "mgu-fused", "peephole", "peephole-fused"});
    f.parse(argc, argv);
    manual_seed(seed);
    generator g(seed);
    Tagger model(symbols, hidden, cell);
    fmt::print("{} parameters; cell: {} (user code)\n", model.parameter_count(), cell);
    optim::Adam opt(model.parameters(), optim::adam_options{0.01});
    std::vector<std::int64_t> ids, targets;
    std::vector<std::size_t> lengths;
    double accuracy = 0;
    for (std::size_t step = 1; step <= steps; ++step)
    {
        make_batch(g, symbols, length, batch, ids, targets, lengths);
        opt.zero_grad();
        Variable logits = model.forward(ids, length, batch, lengths);
        Variable loss = cross_entropy(logits, targets);
        loss.backward();
        opt.step();
        if (step % std::max<std::size_t>(1, steps / 6) == 0 || step == steps)
        {
            // Accuracy on 256 fresh sequences, in evaluation mode.
            no_grad guard;
            std::vector<std::int64_t> eids, etargets;
            std::vector<std::size_t> elengths;
            make_batch(g, symbols, length, 256, eids, etargets, elengths);
            Variable eval = model.forward(eids, length, 256, elengths);
            std::size_t right = 0, total = 0;
            for (std::size_t i = 0; i < etargets.size(); ++i)
            {
                if (etargets[i] < 0)
                    continue;
                std::size_t best = 0;
                for (std::size_t c = 1; c < symbols; ++c)
                    if (eval.data().flat(i * symbols + c) > eval.data().flat(i * symbols + best))
                        best = c;
                right += static_cast<std::int64_t>(best) == etargets[i];
                ++total;
            }
            accuracy = double(right) / double(total);
            fmt::print("step {:>5}  loss {:.4f}  held-out accuracy {:.1f}%\n", step, loss.item(),
                       100 * accuracy);
        }
    }

    // The same network, small and in float64, against central differences.
    Tagger check(4, 3, cell);
    check.to(f64);
    make_batch(g, 4, 4, 2, ids, targets, lengths);
    gradcheck_options gopt;
    std::vector<Variable> params;
    for (auto& [name, p] : check.named_parameters())
    {
        params.push_back(p);
        gopt.names.push_back(name);
    }
    const auto report = gradcheck(
        [&](const std::vector<Variable>&) {
            return cross_entropy(check.forward(ids, 4, 2, lengths), targets);
        },
        params, gopt);
    fmt::print("\ngradient check of the bidirectional 2-layer {} network (float64):\n{}", cell,
               report.table());
    const bool ok = report.ok() && accuracy >= 0.9;
    fmt::print("{}\n",
               ok ? "ok: learned and gradients match"
                  : (report.ok() ? "FAILED: accuracy below 90%" : "FAILED: gradient mismatch"));
    return ok ? 0 : 1;
}
