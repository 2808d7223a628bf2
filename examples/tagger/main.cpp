// tagger: a BiLSTM sequence tagger with character features and a softmax or CRF output, for
// part-of-speech tags (UD English-EWT, CoNLL-U) and named entities (WNUT17, two columns).
//   tagger train    [options]   fit a model on --train, early-stopping on --dev
//   tagger tag      [options]   write "token gold pred" lines for a file (conlleval's input)
//   tagger evaluate [options]   accuracy (all, OOV, in-vocabulary) and chunk P/R/F1 of a file
#include <ostream>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/tagger/commands.hpp"
#include "examples/tagger/eval.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/safetensors.hpp"

using namespace xgrad;

namespace tagger
{

std::vector<sentence> read_corpus(const std::string& path, const std::string& format,
                                  const std::string& column)
{
    const std::string f = format == "auto" ? guess_format(path) : format;
    if (f == "conllu")
        return read_conllu(path, column == "xpos" ? conllu_column::xpos : conllu_column::upos);
    return read_two_column(path);
}

std::unique_ptr<tagger_model> load_model(const std::string& dir, generator& g)
{
    const io::checkpoint_dir ckpt(dir);
    const std::string path =
        (ckpt.exists() ? ckpt.verify({"best.safetensors"}) : dir) + "/best.safetensors";
    auto w = io::load_tensors(path);
    auto m = tagger_model::from_metadata(w.metadata, path, g);
    const auto bad = m->load_state_dict(w.tensors);
    if (!bad.empty())
        throw std::runtime_error(path + ": the weights do not match the model its metadata "
                                        "describes");
    m->eval();
    return m;
}

namespace
{

struct input_flags
{
    std::string model = "tagger-model", data, format = "auto", column = "upos";
    void add(cli::flags& f)
    {
        f.add("model", model, "checkpoint directory written by tagger train").not_empty();
        f.add("data", data, "file to tag (CoNLL-U or two-column CoNLL, with gold tags)")
            .not_empty()
            .hide_default();
        f.add("format", format, "file format (auto: conllu for *.conllu)")
            .one_of({"auto", "conllu", "conll"});
        f.add("column", column, "CoNLL-U tag column").one_of({"upos", "xpos"});
    }
    void require(const cli::flags& f) const
    {
        if (!f.given("data"))
            throw cli::usage_error("--data FILE is required");
    }
};

} // namespace

int tag_command(int argc, char** argv)
{
    input_flags in;
    std::string out;
    cli::flags f("usage: tagger tag --data FILE [options]\n"
                 "Tags every sentence of --data and writes conlleval's \"token gold pred\" lines\n"
                 "(an empty line after each sentence) to --out, or to stdout.");
    in.add(f);
    f.add("out", out, "output file (written whole or not at all; default stdout)");
    f.parse(argc, argv, 2);
    in.require(f);
    generator g(1);
    auto m = load_model(in.model, g);
    const auto data = read_corpus(in.data, in.format, in.column);
    const std::string lines = conll_lines(data, tag_all(*m, data, 64));
    if (out.empty())
        fmt::print("{}", lines);
    else
        io::write_file_atomically(out, [&](std::ostream& o) { o << lines; });
    return 0;
}

int evaluate_command(int argc, char** argv)
{
    input_flags in;
    cli::flags f("usage: tagger evaluate --data FILE [options]\n"
                 "Scores a trained model on --data: accuracy over all words, out-of-vocabulary\n"
                 "and in-vocabulary words, and for BIO tags conlleval's chunk report.");
    in.add(f);
    f.parse(argc, argv, 2);
    in.require(f);
    generator g(1);
    auto m = load_model(in.model, g);
    const auto data = read_corpus(in.data, in.format, in.column);
    const scores s = score(*m, data, tag_all(*m, data, 64));
    fmt::print("{}", format_scores(in.data, s));
    return 0;
}

} // namespace tagger

int main(int argc, char** argv)
{
    return cli::run_commands("tagger", argc, argv,
                             {{"train", tagger::train_command},
                              {"tag", tagger::tag_command},
                              {"evaluate", tagger::evaluate_command}});
}
