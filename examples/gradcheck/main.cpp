// gradcheck: gradient-checks a recurrent configuration chosen on the command line, and the
// tutorial language model's loss, in float64 against central differences. Prints one table per
// check and exits non-zero on any mismatch.
#include <sstream>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/custom_cell/mgu_cell.hpp"
#include "examples/rnnlm/model.hpp"
#include "xgrad/layers/bidirectional.hpp"
#include "xgrad/layers/gru_cell.hpp"
#include "xgrad/layers/lstm_cell.hpp"
#include "xgrad/layers/recurrent.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/layers/stacked.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace
{

std::vector<std::size_t> parse_lengths(const std::string& s)
{
    std::vector<std::size_t> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');)
    {
        std::size_t v = 0;
        std::size_t used = 0;
        try
        {
            v = std::stoul(item, &used);
        }
        catch (const std::exception&)
        {
            used = 0;
        }
        if (used != item.size() || v == 0 || v > 1000 ||
            item.find_first_not_of("0123456789") != std::string::npos)
            throw cli::usage_error("--lengths: '" + item + "' is not an integer from 1 to 1000");
        out.push_back(v);
    }
    if (out.empty() || out.size() > 64)
        throw cli::usage_error("--lengths needs 1 to 64 values");
    return out;
}

std::shared_ptr<Cell> make_cell(const std::string& kind, std::size_t in, std::size_t hidden)
{
    if (kind == "rnn")
        return std::make_shared<RNNCell>(in, hidden);
    if (kind == "lstm")
        return std::make_shared<LSTMCell>(in, hidden);
    if (kind == "gru")
        return std::make_shared<GRUCell>(in, hidden);
    if (kind == "custom")
        return std::make_shared<MGUCell>(in, hidden);
    throw std::runtime_error("--cell must be rnn, lstm, gru or custom");
}

gradcheck_report check_module(Module& m, const std::vector<Variable>& extra,
                              const std::vector<std::string>& extra_names,
                              const std::function<Variable()>& f, const gradcheck_options& base)
{
    gradcheck_options opt = base;
    std::vector<Variable> inputs = extra;
    opt.names = extra_names;
    for (auto& [name, p] : m.named_parameters())
    {
        inputs.push_back(p);
        opt.names.push_back(name);
    }
    return gradcheck([&](const std::vector<Variable>&) { return f(); }, inputs, opt);
}

} // namespace

int main(int argc, char** argv)
{
    std::string cell = "lstm", lengths_s = "5,3,1";
    std::size_t layers = 2, input = 3, hidden = 4;
    bool bidirectional = false, skip_tutorial = false;
    double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
    std::uint64_t seed = 1;
    cli::flags f("usage: gradcheck [options]\n"
                 "Checks the tape's gradients of a recurrent network (a layer stack of the chosen\n"
                 "cell over a batch with the given sequence lengths) and of the tutorial language\n"
                 "model's loss against central differences in float64.");
    // A central-difference check costs two forward passes per parameter: the sizes are kept to
    // what finishes in minutes.
    f.add("cell", cell, "rnn | lstm | gru | custom (the user-defined MGU cell)")
        .one_of({"rnn", "lstm", "gru", "custom"});
    f.add("layers", layers, "stacked layers").in_range(1, 8);
    f.add("bidirectional", bidirectional, "make every layer bidirectional");
    f.add("lengths", lengths_s, "comma-separated sequence lengths: the batch").not_empty();
    f.add("input", input, "input width").in_range(1, 256);
    f.add("hidden", hidden, "hidden size").in_range(1, 256);
    f.add("eps", eps, "central-difference step").positive().at_most(1);
    f.add("atol", atol, "absolute tolerance").at_least(0);
    f.add("rtol", rtol, "relative tolerance").at_least(0);
    f.add("seed", seed, "random seed", 0);
    f.add("no-tutorial", skip_tutorial, "skip the tutorial model check");
    f.parse(argc, argv);
    try
    {
        const auto lengths = parse_lengths(lengths_s);
        manual_seed(seed);
        gradcheck_options opt;
        opt.eps = eps;
        opt.atol = atol;
        opt.rtol = rtol;
        opt.seed = seed;

        const std::size_t dirs = bidirectional ? 2 : 1;
        Stacked net(layers, [&](std::size_t l) -> std::shared_ptr<SequenceLayer> {
            const std::size_t in = l == 0 ? input : hidden * dirs;
            if (bidirectional)
                return std::make_shared<Bidirectional>(
                    [&, in] { return std::make_shared<Recurrent>(make_cell(cell, in, hidden)); });
            return std::make_shared<Recurrent>(make_cell(cell, in, hidden));
        });
        net.to(f64);
        const std::size_t steps = *std::max_element(lengths.begin(), lengths.end());
        generator g(seed);
        Tensor xt = Tensor::empty({steps, lengths.size(), input}, f64);
        for (std::size_t i = 0; i < xt.numel(); ++i)
            xt.data<double>()[i] = g.normal();
        Variable x(xt, true);
        const auto report = check_module(
            net, {x}, {"input"},
            [&] {
                sequence_output out = net.forward(x, lengths);
                std::vector<Variable> parts{reshape(out.output, {out.output.numel()})};
                for (const cell_state& s : out.states)
                    for (const Variable& v : s)
                        parts.push_back(reshape(v, {v.numel()}));
                return concat(parts, 0);
            },
            opt);
        fmt::print("{}, lengths {}: outputs and final states\n{}\n", net.describe(), lengths_s,
                   report.table());
        bool ok = report.ok();

        if (!skip_tutorial)
        {
            // The tutorial's own check: vocabulary 100, hidden 10, x = [0,1,2,3], y = [1,2,3,4].
            generator tg(seed);
            rnnlm::Model lm(rnnlm::config{"rnn", 1, 10, 100}, tg);
            lm.to(f64);
            text::batch b;
            b.steps = 4;
            b.size = 1;
            b.inputs = {0, 1, 2, 3};
            b.targets = {1, 2, 3, 4};
            b.lengths = {4};
            const auto tut = check_module(
                lm, {}, {},
                [&] {
                    cross_entropy_options sum;
                    sum.reduce = reduction::sum;
                    return cross_entropy(lm.logits(b.inputs, 4, 1, b.lengths, {}), b.targets, sum);
                },
                opt);
            fmt::print("tutorial RNN language model (V = 100, H = 10), summed loss over "
                       "x = [0,1,2,3], y = [1,2,3,4]\n{}\n",
                       tut.table());
            ok = ok && tut.ok();
        }
        fmt::print("{}\n", ok ? "all gradients match" : "GRADIENT MISMATCH");
        return ok ? 0 : 1;
    }
    catch (const cli::usage_error& e)
    {
        fmt::print(stderr, "gradcheck: error: {}\n", e.what());
        return 2;
    }
    catch (const std::exception& e)
    {
        fmt::print(stderr, "gradcheck: error: {}\n", e.what());
        return 1;
    }
}
