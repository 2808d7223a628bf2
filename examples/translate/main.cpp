// translate: an attention encoder-decoder for sentence pairs (Tatoeba English-German by default).
//   translate train    [options]              fit the model, checkpointing to --out
//   translate translate --model DIR [SENTENCE ...]   (sentences from stdin without arguments)
//   translate evaluate --model DIR            held-out BLEU with the sacreBLEU-style signature
#include <iostream>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/common/run_record.hpp"
#include "examples/translate/commands.hpp"
#include "examples/translate/plot.hpp"
#include "examples/translate/store.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"

namespace mt
{

std::string default_data()
{
    return std::string(XGRAD_DATA_DIR) + "/eng-deu-tatoeba-50k.tsv";
}

namespace
{

std::vector<std::vector<std::int64_t>> encode_sources(const vocab& src,
                                                      const std::vector<std::string>& sentences)
{
    std::vector<std::vector<std::int64_t>> ids;
    for (const auto& s : sentences)
    {
        auto v = src.encode(tokenize(s));
        if (v.empty())
            v.push_back(vocab::unk); // an empty line still gets a (meaningless) translation
        ids.push_back(std::move(v));
    }
    return ids;
}

void add_decode_flags(cli::flags& f, decode_options& o)
{
    f.add("beam", o.beam, "beam width (1: greedy)").in_range(1, 1000);
    f.add("alpha", o.alpha, "GNMT length penalty exponent (beam search)").in_range(0, 10);
    f.add("max-output", o.max_length, "longest translation in tokens").in_range(1, 10000);
}

} // namespace

bleu_score score_held_out(Seq2Seq& m, const vocab& src, const vocab& tgt,
                          const std::vector<std::string>& sources,
                          const std::vector<std::vector<std::string>>& references,
                          const decode_options& o, std::vector<std::string>* hypotheses)
{
    const auto out = translate(m, encode_sources(src, sources), o);
    std::vector<std::string> hyps;
    for (const auto& ids : out)
        hyps.push_back(detokenize(tgt.decode(ids)));
    if (hypotheses)
        *hypotheses = hyps;
    return corpus_bleu(hyps, references);
}

int translate_command(int argc, char** argv)
{
    std::string model = "mt-model/best", plot;
    decode_options o;
    cli::flags f("usage: translate translate [options] [--] [SENTENCE ...]\n"
                 "Prints the translation of each SENTENCE (of each line of stdin without any).");
    f.add("model", model, "checkpoint folder (train's OUT/best or OUT)").not_empty();
    f.add("attention-plot", plot,
          "write the attention weights of the (one) sentence's greedy translation as an SVG "
          "heatmap");
    add_decode_flags(f, o);
    f.positionals("SENTENCE");
    std::vector<std::string> sentences = f.parse(argc, argv, 2);
    if (!plot.empty() && sentences.size() != 1)
        throw cli::usage_error("--attention-plot takes exactly one SENTENCE argument");
    translator t = load_translator(model);
    if (!plot.empty())
    {
        xgrad::no_grad guard;
        const auto src = encode_sources(t.src, sentences)[0];
        const attended_translation a = greedy_with_attention(*t.model, src, o);
        auto src_tokens = tokenize(sentences[0]);
        for (auto& w : src_tokens)
            if (t.src.id(w) == vocab::unk)
                w = "<unk>:" + w;
        write_attention_svg(plot, src_tokens, t.tgt.decode(a.tokens), a.weights);
        fmt::print("{}\n", detokenize(t.tgt.decode(a.tokens)));
        return 0;
    }
    const bool from_stdin = sentences.empty();
    if (from_stdin)
        for (std::string line; std::getline(std::cin, line);)
            sentences.push_back(line);
    xgrad::no_grad guard;
    for (const auto& ids : translate(*t.model, encode_sources(t.src, sentences), o))
        fmt::print("{}\n", detokenize(t.tgt.decode(ids)));
    return 0;
}

int evaluate_command(int argc, char** argv)
{
    std::string model = "mt-model/best", data = default_data(), part = "test", output;
    decode_options o;
    cli::flags f("usage: translate evaluate [options]\n"
                 "Translates the held-out part of --data the model was trained with (the split\n"
                 "is recomputed from the seed and counts in its metadata) and prints corpus BLEU.");
    f.add("model", model, "checkpoint folder").not_empty();
    f.add("data", data, "the pairs file the model was trained on").not_empty();
    f.add("split", part, "held-out part to score").one_of({"test", "valid"});
    f.add("output", output, "also write the translations to this file");
    add_decode_flags(f, o);
    f.parse(argc, argv, 2);
    translator t = load_translator(model);
    auto need = [&](const std::string& key) {
        const auto it = t.metadata.find("split." + key);
        if (it == t.metadata.end())
            throw std::runtime_error("'" + model + "': the model does not record its data split");
        return it->second;
    };
    cli::run_record now;
    cli::record_file(now, "data", data);
    if (now.at("data_fnv1a64") != need("data_fnv1a64"))
        throw std::runtime_error(fmt::format("'{}' is not the file the model in '{}' was trained "
                                             "on (its held-out part would be another)",
                                             data, model));
    std::uint64_t seed = 0, valid = 0, test = 0;
    if (!cli::parse_unsigned(need("seed"), seed) || !cli::parse_unsigned(need("valid"), valid) ||
        !cli::parse_unsigned(need("test"), test))
        throw std::runtime_error("'" + model + "': bad split metadata");
    const corpus_split split =
        split_by_source(read_pairs(data, need("reverse") == "1"), valid, test, seed);
    const auto& held = part == "test" ? split.test : split.valid;
    std::vector<std::string> hyps;
    xgrad::no_grad guard;
    const bleu_score b =
        score_held_out(*t.model, t.src, t.tgt, held.sources, held.references, o, &hyps);
    if (!output.empty())
    {
        std::string s;
        for (const auto& h : hyps)
            s += h + "\n";
        xgrad::io::write_file_atomically(output, [&](std::ostream& os) { os << s; });
    }
    fmt::print("{} sources ({} {}, {})\n", held.sources.size(), part,
               o.beam == 1 ? "greedy" : fmt::format("beam {} alpha {}", o.beam, o.alpha),
               t.model->describe());
    fmt::print("{}\n{}\n", b.format(), b.signature);
    return 0;
}

} // namespace mt

int main(int argc, char** argv)
{
    return cli::run_commands("translate", argc, argv,
                             {{"train", mt::train_command},
                              {"translate", mt::translate_command},
                              {"evaluate", mt::evaluate_command}});
}
