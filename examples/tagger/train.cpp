// tagger train: minibatch Adam on the tagging loss, the dev set scored every epoch, the best
// model kept and training stopped after --patience epochs without improvement; the test set is
// scored once, with the best model, at the end.
#include <algorithm>
#include <random>
#include <sstream>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/common/plot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/resumable.hpp"
#include "examples/common/run_record.hpp"
#include "examples/tagger/commands.hpp"
#include "examples/tagger/eval.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/optim/adam.hpp"

using namespace xgrad;

namespace tagger
{

namespace
{

// Where training stands; saved in trainer.safetensors so --resume continues bit-exactly.
struct position
{
    std::size_t epoch = 0, step = 0, best_epoch = 0, bad_epochs = 0;
    double best = -1;
    std::size_t tokens = 0;
};

// The CRF's BIO constraints make a sentence that breaks them impossible (its NLL is infinite):
// refuse such training data up front, naming the sentence, rather than train into NaN. IOB1
// files (CoNLL-2003 as first released, where I- starts a chunk) fail here.
void check_bio(const std::vector<sentence>& train, const std::string& path)
{
    for (const sentence& s : train)
        for (std::size_t t = 0; t < s.tags.size(); ++t)
        {
            const std::string& tag = s.tags[t];
            if (tag[0] != 'I')
                continue;
            const std::string prev = t ? s.tags[t - 1] : "";
            if (prev.empty() || prev == "O" || prev.substr(2) != tag.substr(2))
                throw std::runtime_error(fmt::format(
                    "{}: the sentence at line {}: {} follows {}: the tags are not BIO (IOB2), "
                    "which --output crf's constraints require (convert the file, or use "
                    "--output softmax)",
                    path, s.line, tag, prev.empty() ? "the sentence start" : prev));
        }
}

} // namespace

int train_command(int argc, char** argv)
{
    const std::string data_dir = XGRAD_DATA_DIR;
    std::string train_path = data_dir + "/ud-english-ewt/en_ewt-ud-train.conllu",
                dev_path = data_dir + "/ud-english-ewt/en_ewt-ud-dev.conllu",
                test_path = data_dir + "/ud-english-ewt/en_ewt-ud-test.conllu",
                out = "tagger-model", format = "auto", column = "upos", plot_dir;
    model_config c;
    std::size_t batch_size = 32, epochs = 30, patience = 5, min_count = 1, max_sentences = 0,
                max_steps = 0, save_every = 0, plot_every = 0;
    double lr = 2e-3, clip = 5.0, alpha = 0.25, budget = 0;
    std::uint64_t seed = 1;
    bool resume = false;
    cli::flags f("usage: tagger train [options]\n"
                 "Trains a BiLSTM tagger with character features (POS or NER) on --train,\n"
                 "early-stopping on --dev, and scores --test once with the best model.\n"
                 "Checkpoints to --out after every epoch.");
    f.add("train", train_path, "training file (CoNLL-U or two-column CoNLL)").not_empty();
    f.add("dev", dev_path, "development file, scored every epoch").not_empty();
    f.add("test", test_path, "test file, scored once at the end (empty: none)");
    f.add("format", format, "file format (auto: conllu for *.conllu)")
        .one_of({"auto", "conllu", "conll"});
    f.add("column", column, "CoNLL-U tag column").one_of({"upos", "xpos"});
    f.add("out", out, "checkpoint directory").not_empty();
    f.add("word-dim", c.word_dim, "word embedding width").in_range(1, max_width);
    f.add("char-dim", c.char_dim, "character embedding width").in_range(1, max_width);
    f.add("char-hidden", c.char_hidden, "character LSTM size per direction").in_range(1, max_width);
    f.add("hidden", c.hidden, "word BiLSTM size per direction").in_range(1, max_width);
    f.add("layers", c.layers, "word BiLSTM layers").in_range(1, max_layers);
    f.add("max-chars", c.max_chars, "bytes of a word the character LSTM reads").in_range(1, 1000);
    f.add("output", c.output, "output layer (crf: BIO moves forbidden for NER tags)")
        .one_of({"softmax", "crf"});
    f.add("dropout", c.dropout, "dropout on the BiLSTM inputs and outputs").at_least(0).below(1);
    f.add("unk-alpha", alpha, "word dropout: a word seen c times is UNK w.p. a/(c+a)")
        .at_least(0)
        .at_most(1e6);
    f.add("min-count", min_count, "training count a word needs to get an embedding")
        .in_range(1, 1000000);
    f.add("batch", batch_size, "sentences per step").in_range(1, 4096);
    f.add("epochs", epochs, "maximum passes over the training data").in_range(1, 100000);
    f.add("patience", patience, "stop after this many epochs without a better dev score")
        .in_range(1, 100000);
    f.add("lr", lr, "Adam learning rate").positive().at_most(10);
    f.add("clip", clip, "global gradient-norm clip (0: off)").at_least(0).at_most(1e6);
    f.add("max-sentences", max_sentences, "use only the first N training sentences (0: all)");
    f.add("max-steps", max_steps, "stop (and save) after N steps in total (0: no limit)");
    f.add("save-every", save_every, "also save a checkpoint every N steps (0: per epoch only)");
    f.add("time-budget", budget, "stop (and save) after this many minutes (0: none)")
        .at_least(0)
        .at_most(1e6);
    f.add("seed", seed, "random seed", 0);
    f.add("resume", resume, "continue the run saved in --out");
    f.add("plot", plot_dir,
          "write the run's curves to DIR/tagger.csv and DIR/tagger.png (training loss, tokens/s, "
          "gradient norm, dev F1 or accuracy) at every checkpoint")
        .hide_default();
    f.add("plot-every", plot_every, "steps per plotted point (0: about 50 points an epoch)");
    f.parse(argc, argv, 2);
    cli::check_plot_dir(plot_dir);
    count_parameters(c, 2, 1); // sizes alone, before reading anything

    std::vector<sentence> train = read_corpus(train_path, format, column);
    if (max_sentences && train.size() > max_sentences)
        train.resize(max_sentences);
    const std::vector<sentence> dev = read_corpus(dev_path, format, column);
    std::vector<sentence> test;
    if (!test_path.empty())
        test = read_corpus(test_path, format, column);

    vocabulary words = vocabulary::build(train, min_count);
    tag_set tags = tag_set::build(train);
    if (c.output == "crf" && tags.is_bio())
        check_bio(train, train_path);
    std::size_t train_tokens = 0;
    for (const sentence& s : train)
        train_tokens += s.words.size();
    generator g(seed);
    tagger_model m(c, words, tags, g);
    optim::Adam opt(m.parameters(), optim::adam_options{lr});

    // What --resume must repeat to continue the same run (--epochs, --patience may change).
    cli::run_record record{{"format", format},
                           {"column", column},
                           {"word-dim", std::to_string(c.word_dim)},
                           {"char-dim", std::to_string(c.char_dim)},
                           {"char-hidden", std::to_string(c.char_hidden)},
                           {"hidden", std::to_string(c.hidden)},
                           {"layers", std::to_string(c.layers)},
                           {"max-chars", std::to_string(c.max_chars)},
                           {"output", c.output},
                           {"dropout", fmt::format("{}", c.dropout)},
                           {"unk-alpha", fmt::format("{}", alpha)},
                           {"min-count", std::to_string(min_count)},
                           {"batch", std::to_string(batch_size)},
                           {"lr", fmt::format("{}", lr)},
                           {"clip", fmt::format("{}", clip)},
                           {"max-sentences", std::to_string(max_sentences)},
                           {"seed", std::to_string(seed)}};
    cli::record_file(record, "train", train_path);
    cli::record_file(record, "dev", dev_path);

    io::checkpoint_dir ckpt(out);
    ckpt.clean(); // what a killed save left behind
    position at;
    if (resume)
    {
        const std::string dir = ckpt.verify({"model.safetensors", "best.safetensors",
                                             "optimizer.safetensors", "trainer.safetensors"});
        auto t = io::load_tensors(dir + "/trainer.safetensors");
        cli::check_run_record(t.metadata, record);
        auto w = io::load_tensors(dir + "/model.safetensors");
        if (w.metadata != m.metadata())
            throw std::runtime_error("--resume: " + dir +
                                     "/model.safetensors was trained with another vocabulary or "
                                     "configuration");
        m.load_state_dict(w.tensors);
        opt.load(dir + "/optimizer.safetensors");
        auto num = [&](const char* k) {
            return std::size_t(t.tensors.at(k).item());
        };
        at.epoch = num("epoch");
        at.step = num("step");
        at.best_epoch = num("best_epoch");
        at.bad_epochs = num("bad_epochs");
        at.tokens = num("tokens");
        at.best = t.tensors.at("best").item();
        cli::set_engine_state(g.engine(), t.metadata.at("rng"), dir + "/trainer.safetensors");
    }
    fmt::print("{}: {} sentences, {} words; dev {} sentences; test {} sentences\n", train_path,
               train.size(), train_tokens, dev.size(), test.size());
    fmt::print("{}, {} parameters\n", m.describe(), m.parameter_count());

    const auto batches = length_batches(train, batch_size);
    // Steps are numbered over the whole run: every epoch has batches.size() of them.
    cli::training_plot plot(plot_dir, "tagger",
                            plot_every ? plot_every
                                       : std::max<std::size_t>(1, batches.size() / 50));
    plot.resume(double(at.epoch * batches.size() + at.step));

    // The curves are written first: rows past a checkpoint that never committed are dropped
    // by --resume.
    auto save = [&](bool best_too) {
        plot.write();
        cli::run_record meta = record;
        meta["rng"] = cli::engine_state(g.engine());
        std::map<std::string, Tensor> t{{"epoch", Tensor::scalar(double(at.epoch), f64)},
                                        {"step", Tensor::scalar(double(at.step), f64)},
                                        {"best_epoch", Tensor::scalar(double(at.best_epoch), f64)},
                                        {"bad_epochs", Tensor::scalar(double(at.bad_epochs), f64)},
                                        {"tokens", Tensor::scalar(double(at.tokens), f64)},
                                        {"best", Tensor::scalar(at.best, f64)}};
        cli::save_generation(ckpt, m.state_dict(), m.metadata(), best_too, opt, t, meta);
    };

    cli::progress bar;
    bar.start();
    std::size_t steps_done = 0, tokens_now = 0;
    bool stopped = false;
    while (at.epoch < epochs && at.bad_epochs < patience && !stopped)
    {
        const auto order = cli::epoch_order(batches.size(), seed, at.epoch);
        double running = 0;
        for (; at.step < batches.size(); ++at.step)
        {
            const auto started = cli::training_plot::clock::now();
            const batch b = make_batch(train, batches[order[at.step]], m.words, m.tags, c.max_chars,
                                       alpha > 0 ? &g : nullptr, alpha);
            opt.zero_grad();
            Variable loss = m.loss(b);
            loss.backward();
            const double norm = plot.grad_norm(m.parameters(), clip);
            opt.step();
            const double l = loss.item();
            plot.step(at.epoch * batches.size() + at.step + 1, l, b.tokens, norm, started);
            running = at.step == 0 ? l : 0.95 * running + 0.05 * l;
            tokens_now += b.tokens;
            at.tokens += b.tokens;
            ++steps_done;
            bar.update(at.epoch + 1, epochs, at.step + 1, batches.size(), running, tokens_now);
            const bool last = at.step + 1 == batches.size();
            const bool out_of_time = budget > 0 && bar.elapsed() > budget * 60;
            if (!last && ((max_steps && steps_done >= max_steps) || out_of_time))
            {
                ++at.step; // the checkpoint says where to continue
                bar.finish();
                save(false);
                fmt::print("{}: saved to {} (continue with --resume)\n",
                           out_of_time ? "time budget reached" : "--max-steps reached", out);
                stopped = true;
                break;
            }
            if (!last && save_every && (at.step + 1) % save_every == 0)
            {
                ++at.step;
                save(false);
                --at.step;
            }
        }
        if (stopped)
            break;
        bar.finish();
        const scores d = score(m, dev, tag_all(m, dev, 64));
        const bool better = d.main() > at.best;
        plot.add(d.chunks ? "dev_f1" : "dev_accuracy", double((at.epoch + 1) * batches.size()),
                 d.main());
        fmt::print("epoch {}: training loss {:.4f}, dev {} {:.2f}{}\n", at.epoch + 1, running,
                   d.chunks ? "F1" : "accuracy", d.main(), better ? " (best so far)" : "");
        if (better)
        {
            at.best = d.main();
            at.best_epoch = at.epoch + 1;
            at.bad_epochs = 0;
        }
        else
            ++at.bad_epochs;
        ++at.epoch;
        at.step = 0;
        save(better);
        if ((max_steps && steps_done >= max_steps) || (budget > 0 && bar.elapsed() > budget * 60))
            stopped = at.epoch < epochs;
    }
    if (stopped && at.step == 0)
        fmt::print("stopped after epoch {}: saved to {} (continue with --resume)\n", at.epoch, out);
    // A stopped run is scored too (with the best model so far), so a time budget still ends
    // with test figures.
    if (at.best_epoch)
        fmt::print("best dev score {:.2f} at epoch {}; ", at.best, at.best_epoch);
    else
        fmt::print("no epoch completed (the test figures are of the last weights); ");
    fmt::print("{} training words in {:.0f} s ({:.0f} tokens/s)\n", tokens_now, bar.elapsed(),
               double(tokens_now) / std::max(1e-9, bar.elapsed()));
    if (!test.empty())
    {
        generator g2(seed);
        auto best = load_model(out, g2);
        const scores s = score(*best, test, tag_all(*best, test, 64));
        fmt::print("{}", format_scores("test", s));
        if (s.chunks)
            fmt::print("test F1 = {:.2f}\n", s.chunk.overall.f1);
        else
            fmt::print("test accuracy = {:.2f}\n", s.accuracy());
    }
    return 0;
}

} // namespace tagger
