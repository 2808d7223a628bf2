// rnnlm: the RNN tutorial's language model. `train` fits it to a corpus; `score` says how likely
// sentences are; `generate` samples new sentences.
#include <algorithm>
#include <cmath>
#include <iostream>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/rnnlm/commands.hpp"
#include "examples/rnnlm/generate.hpp"
#include "examples/text/corpus.hpp"
#include "examples/text/tokenizer.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/safetensors.hpp"

using namespace xgrad;

namespace rnnlm
{

std::string default_corpus()
{
    return std::string(XGRAD_DATA_DIR) + "/tinyshakespeare.txt";
}

std::vector<std::vector<std::string>> load_sentences(const std::string& path, std::size_t limit)
{
    std::vector<std::vector<std::string>> out;
    for (const std::string& doc : text::read_corpus(path))
        for (auto& s : text::tokenize_document(doc))
        {
            if (limit && out.size() >= limit)
                return out;
            out.push_back(std::move(s));
        }
    if (out.empty())
        throw std::runtime_error("corpus '" + path + "' holds no sentences");
    return out;
}

model_files find_model(const std::string& path, bool for_resume)
{
    const io::checkpoint_dir ckpt(path);
    if (ckpt.exists() || for_resume)
    {
        std::vector<std::string> required{"model.safetensors", "vocab.txt"};
        if (for_resume)
            required.insert(required.end(), {"optimizer.safetensors", "trainer.safetensors"});
        return {ckpt.verify(required)};
    }
    return {path};
}

std::unique_ptr<Model> load_model(const model_files& files, text::vocabulary& vocab)
{
    io::tensor_file w = io::load_tensors(files.weights());
    const config c = config::from_metadata(w.metadata, files.weights());
    vocab = text::vocabulary::load(files.vocab());
    if (vocab.size() != c.vocab)
        throw std::runtime_error(fmt::format("{} has {} words but the model expects {}",
                                             files.vocab(), vocab.size(), c.vocab));
    // Same size is not enough: another corpus gives another vocabulary of the same size.
    const auto bound = w.metadata.find("vocab_fnv1a64");
    if (bound != w.metadata.end() &&
        bound->second != fmt::format("{:016x}", io::file_fnv1a64(files.vocab())))
        throw std::runtime_error(fmt::format("{} is not the vocabulary {} was trained with (its "
                                             "checksum differs from the one in the weights)",
                                             files.vocab(), files.weights()));
    generator g(0);
    auto m = std::make_unique<Model>(c, g);
    try
    {
        m->load_state_dict(w.tensors);
    }
    catch (const std::exception& e)
    {
        throw std::runtime_error(files.weights() + ": " + e.what()); // which file does not fit
    }
    m->eval();
    return m;
}

namespace
{

int score_command_impl(int argc, char** argv)
{
    std::string model_path = "rnnlm-model", data;
    cli::flags f("usage: rnnlm score [--model DIR] [SENTENCE ...]\n"
                 "Prints each sentence's log-probability (natural log, over its words and\n"
                 "SENTENCE_END), its per-word perplexity and its most surprising word. Sentences\n"
                 "come from the arguments, or one per line on standard input. With --data, prints\n"
                 "the perplexity of a whole corpus instead.");
    f.add("model", model_path, "model directory written by rnnlm train").not_empty();
    f.add("data", data, "corpus file whose perplexity to report");
    f.positionals("SENTENCE");
    std::vector<std::string> sentences = f.parse(argc, argv, 2);
    if (!data.empty() && !sentences.empty())
        throw cli::usage_error("give either --data or SENTENCE arguments, not both");
    text::vocabulary vocab;
    auto m = load_model(find_model(model_path), vocab);

    if (!data.empty())
    {
        double total = 0;
        std::size_t words = 0, n = 0;
        for (const auto& s : load_sentences(data, 0))
        {
            for (double lp : m->next_token_logprobs(vocab.encode(s)))
                total += lp;
            words += s.size() + 1;
            ++n;
        }
        fmt::print("{}: {} sentences, {} predicted tokens, cross-entropy {:.4f}, perplexity "
                   "{:.2f}\n",
                   data, n, words, -total / double(words), std::exp(-total / double(words)));
        return 0;
    }
    if (sentences.empty())
        for (std::string line; std::getline(std::cin, line);)
            if (line.find_first_not_of(" \t\r") != std::string::npos)
                sentences.push_back(line);
    for (const std::string& raw : sentences)
    {
        const auto tokens = text::tokenize(text::lowercase(raw));
        const auto ids = vocab.encode(tokens);
        const auto lps = m->next_token_logprobs(ids);
        double total = 0;
        std::size_t worst = 0;
        for (std::size_t i = 0; i < lps.size(); ++i)
        {
            total += lps[i];
            if (lps[i] < lps[worst])
                worst = i;
        }
        const std::string& word = vocab.word(ids[worst + 1]);
        fmt::print(
            "log-prob {:9.3f}  perplexity {:9.2f}  most surprising '{}'{} (p={:.2g})  | {}\n",
            total, std::exp(-total / double(lps.size())), word,
            word == text::unknown_token ? fmt::format(" for '{}'", tokens[worst]) : "",
            std::exp(lps[worst]), raw);
    }
    return 0;
}

int generate_command_impl(int argc, char** argv)
{
    std::string model_path = "rnnlm-model";
    std::size_t count = 10, min_length = 7, max_length = 60, top_k = 0;
    double temperature = 1.0;
    std::uint64_t seed = 1;
    cli::flags f("usage: rnnlm generate [options]\n"
                 "Samples sentences as the tutorial does: start from SENTENCE_START, draw each\n"
                 "next word from the model's distribution, redraw UNKNOWN_TOKEN, stop at\n"
                 "SENTENCE_END, and discard sentences shorter than --min-length words.");
    f.add("model", model_path, "model directory written by rnnlm train").not_empty();
    // Bounded so that the 1000 * --count sampling attempts cannot overflow.
    f.add("count", count, "sentences to print").in_range(1, 1000000);
    f.add("min-length", min_length, "discard sentences with fewer words").at_most(1000000);
    f.add("max-length", max_length, "give up on a sentence after this many words")
        .in_range(1, 1000000);
    f.add("temperature", temperature, "divide the logits by this (< 1: safer, > 1: wilder)")
        .positive()
        .at_most(1e6);
    f.add("top-k", top_k, "sample only among the k most likely words (0: all)");
    f.add("seed", seed, "random seed", 0);
    f.parse(argc, argv, 2);
    if (min_length > max_length)
        throw cli::usage_error(fmt::format("--min-length {} is more than --max-length {}: no "
                                           "sentence could be kept",
                                           min_length, max_length));
    text::vocabulary vocab;
    auto m = load_model(find_model(model_path), vocab);
    generator g(seed);
    const sampling how{temperature, top_k, max_length};
    std::size_t printed = 0, attempts = 0;
    while (printed < count)
    {
        if (++attempts > 1000 * count)
            throw std::runtime_error("could not sample enough sentences of --min-length words");
        const auto words = sample_sentence(*m, vocab, how, g);
        if (!words || words->size() < min_length)
            continue;
        std::string line;
        for (const auto& w : *words)
            line += (line.empty() ? "" : " ") + w;
        fmt::print("{}\n", line);
        ++printed;
    }
    return 0;
}

} // namespace

int score_command(int argc, char** argv)
{
    return score_command_impl(argc, argv);
}
int generate_command(int argc, char** argv)
{
    return generate_command_impl(argc, argv);
}

} // namespace rnnlm

int main(int argc, char** argv)
{
    return cli::run_commands("rnnlm", argc, argv,
                             {{"train", rnnlm::train_command},
                              {"score", rnnlm::score_command},
                              {"generate", rnnlm::generate_command}});
}
