#include "examples/speech/model.hpp"

#include <algorithm>
#include <numeric>

#include <fmt/core.h>
#include <fmt/format.h>

#include "examples/common/flags.hpp"
#include "examples/speech/digits.hpp"
#include "xgrad/autograd/autograd.hpp"

using namespace xgrad;

namespace speech
{

batch make_batch(const std::vector<example>& data, const std::vector<std::size_t>& ids)
{
    batch b;
    std::size_t T = 0;
    const std::size_t F = data[ids[0]].x.dim;
    for (const std::size_t i : ids)
        T = std::max(T, data[i].x.frames);
    b.x = Tensor::zeros({T, ids.size(), F}, f32);
    float* x = b.x.data<float>();
    for (std::size_t j = 0; j < ids.size(); ++j)
    {
        const example& e = data[ids[j]];
        for (std::size_t t = 0; t < e.x.frames; ++t)
            std::copy(e.x.frame(t), e.x.frame(t) + F, x + (t * ids.size() + j) * F);
        b.lengths.push_back(e.x.frames);
        b.input_lengths.push_back(static_cast<std::int64_t>(e.x.frames));
        b.labels.push_back(e.labels);
        b.frames += e.x.frames;
    }
    return b;
}

std::vector<std::vector<std::size_t>> length_batches(const std::vector<example>& data,
                                                     std::size_t batch_size)
{
    std::vector<std::size_t> order(data.size());
    std::iota(order.begin(), order.end(), 0);
    // Stable: equal lengths keep the corpus order, so the batches depend on nothing else.
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return data[a].x.frames < data[b].x.frames;
    });
    std::vector<std::vector<std::size_t>> out;
    for (std::size_t i = 0; i < order.size(); i += batch_size)
        out.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(i),
                         order.begin() +
                             static_cast<std::ptrdiff_t>(std::min(order.size(), i + batch_size)));
    return out;
}

std::size_t count_parameters(const model_config& c)
{
    if (c.hidden < 1 || c.hidden > max_width || c.layers < 1 || c.layers > max_layers ||
        c.front.dim() < 1 || c.front.dim() > max_width)
        throw cli::usage_error(fmt::format("impossible sizes: hidden {}, {} layers, {} inputs",
                                           c.hidden, c.layers, c.front.dim()));
    const std::string what = "speech model";
    const auto mul = [&](std::size_t a, std::size_t b) {
        return cli::checked_mul(a, b, what);
    };
    const auto add = [&](std::size_t a, std::size_t b) {
        return cli::checked_add(a, b, what);
    };
    const std::size_t gates = c.cell == "gru" ? 3 : 4;
    // A bidirectional layer of input I: 2 x (G H x (I + H) + 2 G H).
    const auto layer = [&](std::size_t in) {
        return mul(2, add(mul(mul(gates, c.hidden), add(in, c.hidden)), mul(2 * gates, c.hidden)));
    };
    std::size_t n = layer(c.front.dim());
    n = add(n, mul(c.layers - 1, layer(mul(2, c.hidden))));
    n = add(n, add(mul(mul(2, c.hidden), digit_classes()), digit_classes()));
    cli::check_parameter_count(n, fmt::format("hidden {}, {} layers", c.hidden, c.layers));
    return n;
}

speech_model::speech_model(const model_config& c, generator& g) : cfg(c), gen_(&g)
{
    count_parameters(c);
    nn::rnn_options o;
    o.bidirectional = true;
    o.num_layers = c.layers;
    o.dropout = c.dropout;
    if (c.cell == "gru")
        rnn = register_module("rnn", std::make_shared<nn::GRU>(c.front.dim(), c.hidden, o, g));
    else
        rnn = register_module("rnn", std::make_shared<nn::LSTM>(c.front.dim(), c.hidden, o, g));
    head = register_module("head",
                           std::make_shared<nn::Linear>(2 * c.hidden, digit_classes(), true, g));
}

Variable speech_model::logits(const batch& b)
{
    Variable h = rnn->forward(Variable(b.x), b.lengths).output;
    h = dropout(h, cfg.dropout, is_training(), *gen_);
    return head->forward(h);
}

Variable speech_model::loss(const batch& b)
{
    ctc_options o;
    o.zero_infinity = true; // a too-fast utterance must not turn the step into NaN
    return ctc_loss_from_logits(logits(b), b.labels, b.input_lengths, o);
}

std::vector<nn::label_sequence> speech_model::recognise(const batch& b, std::size_t beam)
{
    no_grad guard;
    const bool was = is_training();
    eval();
    Variable z = logits(b);
    train(was);
    if (beam <= 1)
        return nn::ctc_greedy_decode(z.data(), b.input_lengths);
    const auto hyps = nn::ctc_beam_search(log_softmax(z).data(), beam, b.input_lengths);
    std::vector<nn::label_sequence> out;
    for (const auto& h : hyps)
        out.push_back(h.empty() ? nn::label_sequence{} : h[0].labels);
    return out;
}

std::map<std::string, std::string> speech_model::metadata() const
{
    const feature_options& f = cfg.front;
    return {{"format", "xgrad-speech-1"},
            {"cell", cfg.cell},
            {"hidden", std::to_string(cfg.hidden)},
            {"layers", std::to_string(cfg.layers)},
            {"dropout", fmt::format("{}", cfg.dropout)},
            {"mel_bands", std::to_string(f.mel_bands)},
            {"mfcc", std::to_string(f.mfcc)},
            {"stack", std::to_string(f.stack)},
            {"stride", std::to_string(f.stride)},
            {"words", fmt::format("{}", fmt::join(digit_words(), " "))}};
}

std::unique_ptr<speech_model>
speech_model::from_metadata(const std::map<std::string, std::string>& m, const std::string& source,
                            generator& g)
{
    const auto need = [&](const std::string& key) -> const std::string& {
        const auto it = m.find(key);
        if (it == m.end())
            throw std::runtime_error(source + " is not a speech model (its metadata lacks '" + key +
                                     "')");
        return it->second;
    };
    if (need("format") != "xgrad-speech-1")
        throw std::runtime_error(source + ": unknown format '" + need("format") + "'");
    if (need("words") != fmt::format("{}", fmt::join(digit_words(), " ")))
        throw std::runtime_error(source + ": a model of other words (" + need("words") + ")");
    model_config c;
    c.cell = need("cell");
    if (c.cell != "lstm" && c.cell != "gru")
        throw std::runtime_error(source + ": metadata 'cell' is '" + c.cell + "'");
    c.hidden = cli::metadata_size(m, "hidden", source, 1, max_width);
    c.layers = cli::metadata_size(m, "layers", source, 1, max_layers);
    if (!cli::parse_double(need("dropout"), c.dropout) || c.dropout < 0 || c.dropout >= 1)
        throw std::runtime_error(source + ": metadata 'dropout' is not in [0, 1)");
    c.front.mel_bands = cli::metadata_size(m, "mel_bands", source, 1, 1024);
    c.front.mfcc = cli::metadata_size(m, "mfcc", source, 0, c.front.mel_bands);
    c.front.stack = cli::metadata_size(m, "stack", source, 1, 64);
    c.front.stride = cli::metadata_size(m, "stride", source, 1, 64);
    try
    {
        count_parameters(c);
    }
    catch (const std::exception& e)
    {
        throw std::runtime_error(source + ": " + e.what());
    }
    return std::make_unique<speech_model>(c, g);
}

std::string speech_model::describe() const
{
    return fmt::format("CTC recogniser: {} x {} frames -> {} x Bi{} {} -> {} classes (blank + "
                       "{} words)",
                       cfg.front.mfcc ? fmt::format("{} MFCC", cfg.front.mfcc)
                                      : fmt::format("{} log-mel", cfg.front.mel_bands),
                       cfg.front.stack, cfg.layers, cfg.cell == "gru" ? "GRU" : "LSTM", cfg.hidden,
                       digit_classes(), digit_words().size());
}

} // namespace speech
