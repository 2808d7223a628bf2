#include "examples/tagger/model.hpp"

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "xgrad/autograd/autograd.hpp"

using namespace xgrad;

namespace tagger
{

namespace
{

constexpr std::size_t char_ids = 257; // byte + 1, 0 is padding

std::string join(const std::vector<std::string>& v)
{
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i)
        out += (i ? "\n" : "") + v[i];
    return out;
}

std::vector<std::string> split_lines(const std::string& s)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true)
    {
        const std::size_t nl = s.find('\n', start);
        out.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
        if (nl == std::string::npos)
            return out;
        start = nl + 1;
    }
}

} // namespace

std::size_t count_parameters(const model_config& c, std::size_t words, std::size_t tags)
{
    if (c.word_dim < 1 || c.word_dim > max_width || c.char_dim < 1 || c.char_dim > max_width ||
        c.char_hidden < 1 || c.char_hidden > max_width || c.hidden < 1 || c.hidden > max_width ||
        c.layers < 1 || c.layers > max_layers || tags < 1 || words < 2)
        throw cli::usage_error(fmt::format(
            "impossible sizes: word-dim {}, char-dim {}, char-hidden {}, hidden {}, {} layers, "
            "{} words, {} tags",
            c.word_dim, c.char_dim, c.char_hidden, c.hidden, c.layers, words, tags));
    const std::string what = "tagger model";
    auto mul = [&](std::size_t a, std::size_t b) {
        return cli::checked_mul(a, b, what);
    };
    auto add = [&](std::size_t a, std::size_t b) {
        return cli::checked_add(a, b, what);
    };
    // A bidirectional LSTM layer of input I and hidden H: 2 x (4H x (I + H) + 2 x 4H).
    auto bilstm = [&](std::size_t in, std::size_t h) {
        return mul(2, add(mul(mul(4, h), add(in, h)), mul(8, h)));
    };
    std::size_t n = add(mul(words, c.word_dim), mul(char_ids, c.char_dim));
    n = add(n, bilstm(c.char_dim, c.char_hidden));
    n = add(n, bilstm(add(c.word_dim, mul(2, c.char_hidden)), c.hidden));
    n = add(n, mul(c.layers - 1, bilstm(mul(2, c.hidden), c.hidden)));
    n = add(n, add(mul(mul(2, c.hidden), tags), tags));
    if (c.output == "crf")
        n = add(n, add(mul(tags, tags), mul(2, tags))); // transitions, start, end
    cli::check_parameter_count(n, fmt::format("{} words x word-dim {}, hidden {}, {} layers", words,
                                              c.word_dim, c.hidden, c.layers));
    return n;
}

tagger_model::tagger_model(const model_config& c, vocabulary w, tag_set t, generator& g)
    : cfg(c), words(std::move(w)), tags(std::move(t)), gen_(&g)
{
    count_parameters(c, words.size(), tags.size());
    using namespace xgrad::nn;
    word_embed =
        register_module("word_embed", std::make_shared<Embedding>(words.size(), c.word_dim,
                                                                  std::int64_t(pad_id), g));
    char_embed =
        register_module("char_embed", std::make_shared<Embedding>(char_ids, c.char_dim, 0, g));
    rnn_options co;
    co.bidirectional = true;
    char_rnn =
        register_module("char_rnn", std::make_shared<LSTM>(c.char_dim, c.char_hidden, co, g));
    rnn_options wo;
    wo.bidirectional = true;
    wo.num_layers = c.layers;
    wo.dropout = c.dropout;
    rnn = register_module("rnn",
                          std::make_shared<LSTM>(c.word_dim + 2 * c.char_hidden, c.hidden, wo, g));
    head = register_module("head", std::make_shared<Linear>(2 * c.hidden, tags.size(), true, g));
    if (c.output == "crf")
    {
        crf = register_module("crf", std::make_shared<CRF>(tags.size(), g));
        if (tags.is_bio())
        {
            for (const auto& [from, to] : tags.forbidden_bio_transitions())
                crf->forbid_transition(from, to);
            for (std::size_t s : tags.forbidden_bio_starts())
                crf->forbid_start(s);
        }
    }
}

Variable tagger_model::emissions(const batch& b)
{
    const bool training = is_training();
    // Character features of the distinct words: [W, 2 * char_hidden].
    Variable ce = char_embed->forward(b.chars, {b.char_steps, b.distinct});
    nn::sequence_output co = char_rnn->forward(ce, b.char_lengths);
    Variable cf = concat({co.states[0][0], co.states[1][0]}, 1);
    // ... gathered per token, time-major, next to the word embeddings: [T, B, E + 2Hc].
    Variable per_token =
        reshape(index_select(cf, b.token_word, 0), {b.steps, b.size, 2 * cfg.char_hidden});
    Variable x = concat({word_embed->forward(b.words, {b.steps, b.size}), per_token}, 2);
    x = dropout(x, cfg.dropout, training, *gen_);
    Variable h = rnn->forward(x, b.lengths).output;
    h = dropout(h, cfg.dropout, training, *gen_);
    return head->forward(h);
}

Variable tagger_model::loss(const batch& b)
{
    Variable e = emissions(b);
    if (crf)
        return div(crf->nll(e, b.tags, b.lengths, false), double(b.tokens));
    cross_entropy_options o;
    o.mask = b.mask;
    return cross_entropy(e, b.tags, o);
}

std::vector<std::vector<std::int64_t>> tagger_model::predict(const batch& b)
{
    no_grad guard;
    const bool was = is_training();
    eval();
    Variable e = emissions(b);
    train(was);
    if (crf)
        return crf->decode(e, b.lengths);
    const Tensor best = argmax(e.data(), 2); // [T, B]
    const std::vector<double> v = best.to(f64).to_vector();
    std::vector<std::vector<std::int64_t>> out(b.size);
    for (std::size_t j = 0; j < b.size; ++j)
        for (std::size_t t = 0; t < b.lengths[j]; ++t)
            out[j].push_back(std::int64_t(v[t * b.size + j]));
    return out;
}

std::map<std::string, std::string> tagger_model::metadata() const
{
    return {{"format", "xgrad-tagger-1"},
            {"word_dim", std::to_string(cfg.word_dim)},
            {"char_dim", std::to_string(cfg.char_dim)},
            {"char_hidden", std::to_string(cfg.char_hidden)},
            {"hidden", std::to_string(cfg.hidden)},
            {"layers", std::to_string(cfg.layers)},
            {"max_chars", std::to_string(cfg.max_chars)},
            {"output", cfg.output},
            {"dropout", fmt::format("{}", cfg.dropout)},
            {"words", join(words.words())},
            {"tags", join(tags.tags())}};
}

std::unique_ptr<tagger_model>
tagger_model::from_metadata(const std::map<std::string, std::string>& m, const std::string& source,
                            generator& g)
{
    const auto need = [&](const std::string& key) -> const std::string& {
        const auto it = m.find(key);
        if (it == m.end())
            throw std::runtime_error(source + " is not a tagger model (its metadata lacks '" + key +
                                     "')");
        return it->second;
    };
    if (need("format") != "xgrad-tagger-1")
        throw std::runtime_error(source + ": unknown format '" + need("format") + "'");
    model_config c;
    c.word_dim = cli::metadata_size(m, "word_dim", source, 1, max_width);
    c.char_dim = cli::metadata_size(m, "char_dim", source, 1, max_width);
    c.char_hidden = cli::metadata_size(m, "char_hidden", source, 1, max_width);
    c.hidden = cli::metadata_size(m, "hidden", source, 1, max_width);
    c.layers = cli::metadata_size(m, "layers", source, 1, max_layers);
    c.max_chars = cli::metadata_size(m, "max_chars", source, 1, 1 << 20);
    c.output = need("output");
    if (c.output != "softmax" && c.output != "crf")
        throw std::runtime_error(source + ": metadata 'output' is '" + c.output + "'");
    if (!cli::parse_double(need("dropout"), c.dropout) || c.dropout < 0 || c.dropout >= 1)
        throw std::runtime_error(source + ": metadata 'dropout' is not in [0, 1)");
    vocabulary w = vocabulary::from_list(split_lines(need("words")), source);
    tag_set t = tag_set::from_list(split_lines(need("tags")), source);
    try
    {
        count_parameters(c, w.size(), t.size());
    }
    catch (const std::exception& e)
    {
        throw std::runtime_error(source + ": " + e.what());
    }
    return std::make_unique<tagger_model>(c, std::move(w), std::move(t), g);
}

std::string tagger_model::describe() const
{
    return fmt::format("BiLSTM tagger: {} words x {}, char BiLSTM {} -> 2x{}, {} x BiLSTM {}, "
                       "{} tags, {} output",
                       words.size(), cfg.word_dim, cfg.char_dim, cfg.char_hidden, cfg.layers,
                       cfg.hidden, tags.size(), cfg.output);
}

} // namespace tagger
