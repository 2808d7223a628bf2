#include "examples/rnnlm/model.hpp"

#include <cmath>
#include <stdexcept>

#include "examples/common/flags.hpp"
#include "xgrad/layers/init.hpp"
#include "xgrad/layers/recurrent.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/layers/stacked.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace rnnlm
{
namespace
{

// The tutorial's recurrence, s_t = tanh(p_t + W s_{t-1}), where p_t = U[:, x_t] was gathered for
// every step beforehand (the input "projection" of a one-hot input is a column lookup).
class TutorialCell : public Cell
{
public:
    TutorialCell(std::size_t hidden, generator& g) : hidden_(hidden)
    {
        W = register_parameter("W", Tensor::empty({hidden, hidden}));
        const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
        init::uniform(W, -k, k, g);
    }
    std::size_t input_size() const override { return hidden_; }
    std::size_t hidden_size() const override { return hidden_; }
    cell_state forward(const Variable& p, const cell_state& s) override
    {
        return {tanh(p + linear(s[0], W))};
    }
    std::string describe() const override { return "tutorial RNN cell"; }
    Variable W;

private:
    std::size_t hidden_;
};

} // namespace

std::map<std::string, std::string> config::to_metadata() const
{
    return {{"cell", cell},
            {"layers", std::to_string(layers)},
            {"hidden", std::to_string(hidden)},
            {"vocab", std::to_string(vocab)}};
}

config config::from_metadata(const std::map<std::string, std::string>& m, const std::string& source)
{
    config c;
    const auto cell = m.find("cell");
    if (cell == m.end())
        throw std::runtime_error(source + " does not describe an rnnlm model (its metadata lacks "
                                          "'cell')");
    c.cell = cell->second;
    if (c.cell != "rnn" && c.cell != "lstm" && c.cell != "gru")
        throw std::runtime_error(source + ": metadata 'cell' is '" + c.cell +
                                 "', not rnn, lstm or gru");
    c.layers = cli::metadata_size(m, "layers", source, 1, max_layers);
    c.hidden = cli::metadata_size(m, "hidden", source, 1, max_hidden);
    c.vocab = cli::metadata_size(m, "vocab", source, min_vocab, max_vocab);
    try
    {
        c.parameter_count();
    }
    catch (const std::exception& e)
    {
        // A file, not the command line, is at fault: a runtime error naming it.
        throw std::runtime_error(source + ": " + e.what());
    }
    return c;
}

std::size_t config::parameter_count() const
{
    if (cell != "rnn" && cell != "lstm" && cell != "gru")
        throw cli::usage_error("unknown --cell '" + cell + "' (rnn, lstm or gru)");
    if (layers < 1 || layers > max_layers)
        throw cli::usage_error("--layers " + std::to_string(layers) + " is not from 1 to " +
                               std::to_string(max_layers));
    if (hidden < 1 || hidden > max_hidden)
        throw cli::usage_error("--hidden " + std::to_string(hidden) + " is not from 1 to " +
                               std::to_string(max_hidden));
    if (vocab < min_vocab || vocab > max_vocab)
        throw cli::usage_error("--vocab " + std::to_string(vocab) + " is not from " +
                               std::to_string(min_vocab) + " to " + std::to_string(max_vocab));
    const std::string what = describe();
    auto mul = [&](std::size_t a, std::size_t b) {
        return cli::checked_mul(a, b, what);
    };
    auto add = [&](std::size_t a, std::size_t b) {
        return cli::checked_add(a, b, what);
    };
    const std::size_t H = hidden, C = vocab;
    const std::size_t hh = mul(H, H), ch = mul(C, H);
    std::size_t n = mul(2, ch); // U or the embedding, and V
    if (cell == "rnn")
        n = add(n, add(hh, mul(layers - 1, mul(2, hh)))); // W; bias-free RNN layers on top
    else
    {
        const std::size_t gates = cell == "lstm" ? 4 : 3;
        // Per layer: weight_ih and weight_hh [gates H, H], bias_ih and bias_hh [gates H].
        const std::size_t per_layer = add(mul(2, mul(gates, hh)), mul(2, mul(gates, H)));
        n = add(n, mul(layers, per_layer));
    }
    cli::check_parameter_count(n, "vocabulary " + std::to_string(C) + ", hidden " +
                                      std::to_string(H) + ", " + std::to_string(layers) +
                                      (layers == 1 ? " layer" : " layers"));
    return n;
}

std::string config::describe() const
{
    return fmt::format("{} language model: vocabulary {}, hidden {}, {} layer{}", cell, vocab,
                       hidden, layers, layers == 1 ? "" : "s");
}

Model::Model(const config& c, generator& g) : cfg_(c)
{
    c.parameter_count(); // refuses impossible sizes before allocating
    const std::size_t H = c.hidden, C = c.vocab;
    std::vector<std::shared_ptr<SequenceLayer>> layers;
    if (c.cell == "rnn")
    {
        // U is kept transposed, [C, H]: U x_t is then row x_t, a contiguous lookup whose
        // gradient touches only the rows of the sentence (row-sparse SGD updates).
        U = register_parameter("U", Tensor::empty({C, H}));
        init::uniform(U, -1.0 / std::sqrt(double(C)), 1.0 / std::sqrt(double(C)), g);
        // The weight file keeps the tutorial's names: "W" for the first layer, PyTorch's
        // "rnn.weight_ih_l1", ... for the layers stacked on it.
        auto cell = std::make_shared<TutorialCell>(H, g);
        register_flat_parameters(*cell, "");
        layers.push_back(std::make_shared<Recurrent>(cell));
        for (std::size_t l = 1; l < c.layers; ++l)
        {
            auto deep = std::make_shared<RNNCell>(H, H, nonlinearity::tanh, false, g);
            register_flat_parameters(*deep, "rnn.", fmt::format("_l{}", l));
            layers.push_back(std::make_shared<Recurrent>(deep));
        }
        body_ = register_module("stack", std::make_shared<Stacked>(layers), false);
    }
    else
    {
        embed_ = register_module("embed", std::make_shared<Embedding>(C, H, g));
        rnn_options o;
        o.num_layers = c.layers;
        if (c.cell == "lstm")
            body_ = register_module("rnn", std::make_shared<LSTM>(H, H, o, g));
        else
            body_ = register_module("rnn", std::make_shared<GRU>(H, H, o, g));
    }
    V = register_parameter("V", Tensor::empty({C, H}));
    init::uniform(V, -1.0 / std::sqrt(double(H)), 1.0 / std::sqrt(double(H)), g);
}

Variable Model::inputs(const std::vector<std::int64_t>& ids, std::size_t steps, std::size_t batch)
{
    if (embed_)
        return embed_->forward(ids, {steps, batch});
    // U x_t for every position: rows of the stored U^T, laid out [T, B, H].
    return reshape(index_select(U, ids, 0), {steps, batch, cfg_.hidden});
}

Variable Model::logits(const std::vector<std::int64_t>& ids, std::size_t steps, std::size_t batch,
                       const std::vector<std::size_t>& lengths, const state_list& initial,
                       state_list* states)
{
    sequence_output out = body_->forward(inputs(ids, steps, batch), lengths, initial);
    if (states)
        *states = out.states;
    return linear(out.output, V); // o_t = V s_t for every step: one GEMM
}

double Model::run_batch(const text::batch& b, std::size_t bptt, bool train, std::size_t normaliser)
{
    const double over = static_cast<double>(normaliser ? normaliser : b.tokens());
    const std::size_t chunk = bptt == 0 ? b.steps : bptt;
    state_list carried;
    double total = 0;
    std::size_t counted = 0;
    for (std::size_t t0 = 0; t0 < b.steps; t0 += chunk)
    {
        const std::size_t n = std::min(chunk, b.steps - t0);
        std::vector<std::int64_t> ids(b.inputs.begin() + t0 * b.size,
                                      b.inputs.begin() + (t0 + n) * b.size);
        std::vector<std::int64_t> targets(b.targets.begin() + t0 * b.size,
                                          b.targets.begin() + (t0 + n) * b.size);
        std::vector<std::size_t> lengths;
        std::size_t tokens = 0;
        for (std::size_t l : b.lengths)
        {
            lengths.push_back(l > t0 ? std::min(l - t0, n) : 0);
            tokens += lengths.back();
        }
        if (tokens == 0)
            break;
        state_list next;
        cross_entropy_options sum;
        sum.reduce = reduction::sum;
        Variable loss =
            cross_entropy(logits(ids, n, b.size, lengths, carried, &next), targets, sum);
        total += loss.item();
        counted += tokens;
        if (train)
            (loss / over).backward();
        carried = nn::carry(next); // truncated BPTT: the next chunk starts from a leaf
    }
    return counted ? total / static_cast<double>(counted) : 0.0;
}

std::vector<double> Model::next_token_logprobs(const std::vector<std::int64_t>& ids)
{
    no_grad guard;
    std::vector<std::int64_t> in(ids.begin(), ids.end() - 1);
    Variable lp = log_softmax(logits(in, in.size(), 1, {}, {}));
    std::vector<double> out;
    for (std::size_t t = 0; t < in.size(); ++t)
        out.push_back(lp.data().flat(t * cfg_.vocab + static_cast<std::size_t>(ids[t + 1])));
    return out;
}

std::vector<double> Model::step(std::int64_t token, state_list& state)
{
    no_grad guard;
    state_list next;
    Variable l = logits({token}, 1, 1, {}, state, &next);
    state = next;
    return l.data().to(f64).to_vector();
}

} // namespace rnnlm
