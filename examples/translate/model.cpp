#include "examples/translate/model.hpp"

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/scratch.hpp"
#include "xgrad/layers/gru_cell.hpp"
#include "xgrad/layers/lstm_cell.hpp"

namespace mt
{

std::size_t check_config(const model_config& c)
{
    auto bad = [&](const std::string& why) {
        throw cli::usage_error(why);
    };
    if (c.cell != "gru" && c.cell != "lstm")
        bad("cell '" + c.cell + "' is not gru or lstm");
    if (c.attention != "none" && c.attention != "additive" && c.attention != "dot" &&
        c.attention != "general" && c.attention != "concat")
        bad("attention '" + c.attention + "' is not additive, dot, general, concat or none");
    for (auto [name, v] : {std::pair{"embed", c.embed},
                           {"hidden", c.hidden},
                           {"dec-hidden", c.dec_hidden},
                           {"attention-size", c.attention_size}})
        if (v < 1 || v > max_width)
            bad(fmt::format("--{} {} is outside 1..{}", name, v, max_width));
    if (c.src_vocab < 5 || c.tgt_vocab < 5 || c.src_vocab > (1u << 24) || c.tgt_vocab > (1u << 24))
        bad(fmt::format("vocabularies of {} and {} words: each needs 5..2^24", c.src_vocab,
                        c.tgt_vocab));
    if (c.attention == "dot" && c.dec_hidden != 2 * c.hidden)
        bad(fmt::format("--attention dot compares the decoder state with the encoder outputs: "
                        "--dec-hidden {} must be 2 x --hidden = {}",
                        c.dec_hidden, 2 * c.hidden));
    const std::string what = "translation model";
    auto mul = [&](std::size_t a, std::size_t b) {
        return cli::checked_mul(a, b, what);
    };
    auto add = [&](std::size_t a, std::size_t b) {
        return cli::checked_add(a, b, what);
    };
    const std::size_t G = c.cell == "gru" ? 3 : 4, H = c.hidden, D = c.dec_hidden, E = c.embed;
    const std::size_t K = mul(2, H), att = c.attention != "none";
    std::size_t n = add(mul(c.src_vocab, E), mul(c.tgt_vocab, E));
    n = add(n, mul(2, mul(mul(G, H), add(add(E, H), 2))));           // encoder, 2 directions
    n = add(n, mul(G == 4 ? 2 : 1, mul(D, add(K, 1))));              // bridge
    n = add(n, mul(mul(G, D), add(add(add(E, mul(att, D)), D), 2))); // decoder cell
    n = add(n, mul(att, add(mul(D, add(K, D)), mul(c.attention_size, add(add(D, K), 1)))));
    n = add(n, mul(c.tgt_vocab, add(D, 1))); // output layer
    cli::check_parameter_count(n, fmt::format("vocabularies {}/{}, embed {}, hidden {}, decoder {}",
                                              c.src_vocab, c.tgt_vocab, E, H, D));
    return n;
}

model_config config_from_metadata(const std::map<std::string, std::string>& m,
                                  const std::string& source)
{
    model_config c;
    for (const char* key : {"cell", "attention"})
        if (!m.count(key))
            throw std::runtime_error(source +
                                     " does not describe a translation model (its "
                                     "metadata lacks '" +
                                     key + "')");
    c.cell = m.at("cell");
    c.attention = m.at("attention");
    c.src_vocab = cli::metadata_size(m, "src_vocab", source, 5, 1u << 24);
    c.tgt_vocab = cli::metadata_size(m, "tgt_vocab", source, 5, 1u << 24);
    c.embed = cli::metadata_size(m, "embed", source, 1, max_width);
    c.hidden = cli::metadata_size(m, "hidden", source, 1, max_width);
    c.dec_hidden = cli::metadata_size(m, "dec_hidden", source, 1, max_width);
    c.attention_size = cli::metadata_size(m, "attention_size", source, 1, max_width);
    try
    {
        check_config(c);
    }
    catch (const std::exception& e)
    {
        throw std::runtime_error(source + ": " + e.what());
    }
    return c;
}

Seq2Seq::Seq2Seq(const model_config& c, generator& g) : cfg_(c)
{
    check_config(c);
    const bool lstm = c.cell == "lstm";
    src_embed_ = register_module(
        "src_embed", std::make_shared<nn::Embedding>(c.src_vocab, c.embed, vocab::pad, g));
    tgt_embed_ = register_module(
        "tgt_embed", std::make_shared<nn::Embedding>(c.tgt_vocab, c.embed, vocab::pad, g));
    nn::rnn_options o;
    o.bidirectional = true;
    encoder_ =
        lstm ? std::shared_ptr<nn::RNNBase>(std::make_shared<nn::LSTM>(c.embed, c.hidden, o, g))
             : std::make_shared<nn::GRU>(c.embed, c.hidden, o, g);
    register_module("encoder", encoder_);
    bridge_ = register_module(
        "bridge", std::make_shared<nn::Bridge>(c.hidden, 2, c.dec_hidden, lstm ? 2 : 1, g));
    const std::size_t K = 2 * c.hidden, D = c.dec_hidden;
    const bool att = c.attention != "none";
    const std::size_t in = c.embed + (att ? D : 0);
    decoder_ =
        lstm ? std::shared_ptr<nn::ProjectedCell>(std::make_shared<nn::LSTMCell>(in, D, true, g))
             : std::make_shared<nn::GRUCell>(in, D, true, g);
    register_module("decoder", decoder_);
    if (c.attention == "additive")
        attention_ = std::make_shared<nn::AdditiveAttention>(D, K, c.attention_size, g);
    else if (att)
        attention_ = std::make_shared<nn::LuongAttention>(nn::parse_luong_score(c.attention), D, K,
                                                          c.attention_size, g);
    if (att)
    {
        register_module("attention", attention_);
        combine_ = register_module("combine", std::make_shared<nn::Linear>(K + D, D, false, g));
    }
    out_ = register_module("out", std::make_shared<nn::Linear>(D, c.tgt_vocab, true, g));
}

Variable Seq2Seq::drop(const Variable& x, generator& g) const
{
    return cfg_.dropout > 0 && is_training() ? dropout(x, cfg_.dropout, true, g) : x;
}

std::pair<encoded, decoder_state> Seq2Seq::encode(const padded& src, generator& g)
{
    Variable x = drop(src_embed_->forward(src.ids, {src.steps, src.batch}), g);
    nn::sequence_output enc = encoder_->forward(x, src.lengths);
    encoded e;
    e.outputs = transpose(enc.output, 0, 1);
    if (attention_)
        e.memory = attention_->prepare(enc.output, enc.output, src.lengths);
    decoder_state s;
    s.state = bridge_->forward(enc.states);
    if (attention_)
        s.feed = Variable(Tensor::zeros({src.batch, cfg_.dec_hidden}, s.state[0].dtype()));
    return {std::move(e), std::move(s)};
}

Variable Seq2Seq::step(const std::vector<std::int64_t>& prev, decoder_state& s, const encoded& e,
                       generator& g, Variable* weights)
{
    Variable y = drop(tgt_embed_->forward(prev), g);
    s.state = decoder_->forward(attention_ ? concat({y, s.feed}, 1) : y, s.state);
    if (!attention_)
        return s.state[0];
    nn::attention_output a = attention_->forward(s.state[0], e.memory);
    if (weights)
        *weights = a.weights;
    s.feed = tanh(combine_->forward(concat({a.context, s.state[0]}, 1)));
    return s.feed;
}

Variable Seq2Seq::logits(const Variable& attentional, generator& g)
{
    return out_->forward(drop(attentional, g));
}

Variable Seq2Seq::loss(const padded& src, const padded& tgt, double teacher_forcing, generator& g)
{
    auto [e, s] = encode(src, g);
    const std::size_t B = tgt.batch, T = tgt.steps;
    // Pooled lists (xgrad::scratch_vector): a training step allocates none.
    xgrad::scratch_vector<std::int64_t> prev_s;
    xgrad::scratch_vector<Variable> outs_s;
    std::vector<std::int64_t>& prev = *prev_s;
    std::vector<Variable>& outs = *outs_s;
    prev.assign(B, vocab::bos);
    for (std::size_t t = 0; t < T; ++t)
    {
        Variable h = step(prev, s, e, g);
        if (teacher_forcing >= 1)
            outs.push_back(h);
        else
            outs.push_back(logits(h, g));
        for (std::size_t b = 0; b < B; ++b)
            prev[b] = tgt.ids[t * B + b];
        if (teacher_forcing < 1)
        {
            // Rows that read their own prediction next (the draw is made for every row, so the
            // generator's sequence does not depend on the data).
            const Tensor best = argmax(outs.back().data(), 1);
            for (std::size_t b = 0; b < B; ++b)
                if (g.uniform() >= teacher_forcing)
                    prev[b] = static_cast<std::int64_t>(best.flat(b));
        }
    }
    // Teacher forcing: one output GEMM over every step.
    Variable all = teacher_forcing >= 1 ? logits(stack(outs, 0), g) : stack(outs, 0);
    cross_entropy_options o;
    o.ignore_index = vocab::pad;
    return cross_entropy(all, tgt.ids, o);
}

encoded Seq2Seq::select(const encoded& e, const std::vector<std::int64_t>& rows)
{
    encoded r;
    r.outputs = index_select(e.outputs, rows, 0);
    if (e.memory.keys.defined())
    {
        r.memory.keys = index_select(e.memory.keys, rows, 0);
        r.memory.values = index_select(e.memory.values, rows, 0);
        r.memory.mask = index_select(Variable(e.memory.mask), rows, 0).data();
    }
    return r;
}

decoder_state Seq2Seq::select(const decoder_state& s, const std::vector<std::int64_t>& rows)
{
    decoder_state r;
    for (const auto& v : s.state)
        r.state.push_back(index_select(v, rows, 0));
    if (s.feed.defined())
        r.feed = index_select(s.feed, rows, 0);
    return r;
}

std::map<std::string, std::string> Seq2Seq::metadata() const
{
    return {{"cell", cfg_.cell},
            {"attention", cfg_.attention},
            {"src_vocab", std::to_string(cfg_.src_vocab)},
            {"tgt_vocab", std::to_string(cfg_.tgt_vocab)},
            {"embed", std::to_string(cfg_.embed)},
            {"hidden", std::to_string(cfg_.hidden)},
            {"dec_hidden", std::to_string(cfg_.dec_hidden)},
            {"attention_size", std::to_string(cfg_.attention_size)}};
}

std::string Seq2Seq::describe() const
{
    return fmt::format("seq2seq: bi-{} encoder {}x2, {} decoder {}, attention {}, embed {}, "
                       "vocabularies {}/{}",
                       cfg_.cell, cfg_.hidden, cfg_.cell, cfg_.dec_hidden, cfg_.attention,
                       cfg_.embed, cfg_.src_vocab, cfg_.tgt_vocab);
}

} // namespace mt
