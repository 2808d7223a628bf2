// rnnlm train: fits the language model to a corpus, evaluating, checkpointing and resuming.
#include <cmath>
#include <memory>

#include <fmt/core.h>

#include "examples/common/data_parallel.hpp"
#include "examples/common/flags.hpp"
#include "examples/common/plot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/run_record.hpp"
#include "examples/rnnlm/commands.hpp"
#include "examples/text/batches.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/clip.hpp"
#include "xgrad/optim/schedule.hpp"
#include "xgrad/optim/sgd.hpp"

using namespace xgrad;

namespace rnnlm
{
namespace
{

struct options
{
    std::string data, out = "rnnlm-model", cell = "rnn", optim = "sgd", plot;
    std::size_t vocab = 8000, hidden = 100, layers = 1, batch = 1, epochs = 10, bptt = 0;
    std::size_t max_sentences = 0, max_length = 80, max_steps = 0, save_every = 0, plot_every = 0;
    double lr = -1, valid = 0.05, time_budget = 0, clip = 0;
    std::uint64_t seed = 1;
    bool resume = false, distributed = false;
};

// Where training stands: saved next to the weights so that --resume continues exactly.
struct position
{
    std::size_t epoch = 0, next_batch = 0;
    double lr = 0;
    bool has_ref = false;
    double ref = 0;
};

// What --resume must repeat for the continuation to be the same run: the data, how it is split,
// filtered and batched, and the update rule (--epochs may grow; the learning rate is part of
// the saved position).
cli::run_record make_record(const options& o)
{
    cli::run_record r{{"seed", std::to_string(o.seed)},
                      {"batch", std::to_string(o.batch)},
                      {"optim", o.optim},
                      {"valid", fmt::format("{}", o.valid)},
                      {"max-sentences", std::to_string(o.max_sentences)},
                      {"max-length", std::to_string(o.max_length)},
                      {"bptt", std::to_string(o.bptt)},
                      {"clip", fmt::format("{}", o.clip)}};
    cli::record_file(r, "data", o.data);
    return r;
}

void save_position(const std::string& path, const position& p, const cli::run_record& record)
{
    io::save_tensors(path,
                     {{"epoch", Tensor::scalar(double(p.epoch), f64)},
                      {"next_batch", Tensor::scalar(double(p.next_batch), f64)},
                      {"lr", Tensor::scalar(p.lr, f64)},
                      {"has_ref", Tensor::scalar(p.has_ref ? 1.0 : 0.0, f64)},
                      {"ref", Tensor::scalar(p.ref, f64)}},
                     record);
}

position load_position(const std::string& path, const cli::run_record& record)
{
    auto f = io::load_tensors(path);
    cli::check_run_record(f.metadata, record);
    position p;
    p.epoch = static_cast<std::size_t>(f.tensors.at("epoch").item());
    p.next_batch = static_cast<std::size_t>(f.tensors.at("next_batch").item());
    p.lr = f.tensors.at("lr").item();
    p.has_ref = f.tensors.at("has_ref").item() != 0;
    p.ref = f.tensors.at("ref").item();
    return p;
}

double evaluate(Model& m, const std::vector<text::sequence>& data, std::size_t batch)
{
    no_grad guard;
    m.eval();
    double total = 0;
    std::size_t tokens = 0;
    for (const auto& which :
         text::epoch_batches(data, std::max<std::size_t>(batch, 16), 0, 0, false))
    {
        text::batch b = text::make_batch(data, which);
        total += m.run_batch(b, 0, false) * static_cast<double>(b.tokens());
        tokens += b.tokens();
    }
    m.train();
    return tokens ? total / static_cast<double>(tokens) : 0.0;
}

} // namespace

int train_command(int argc, char** argv)
{
    options o;
    o.data = default_corpus();
    cli::flags f("usage: rnnlm train [options]\n"
                 "Trains the RNN tutorial's language model (or an LSTM/GRU variant) on a corpus,\n"
                 "evaluating validation loss and perplexity every epoch and saving the model,\n"
                 "vocabulary and optimizer state to --out after every epoch.");
    f.add("data", o.data, "corpus: a text file, or a .csv with a 'body' column").not_empty();
    f.add("out", o.out, "model directory to write (created if needed)").not_empty();
    f.add("cell", o.cell, "rnn (the tutorial's model) | lstm | gru").one_of({"rnn", "lstm", "gru"});
    f.add("layers", o.layers, "recurrent layers").in_range(1, config::max_layers);
    f.add("hidden", o.hidden, "hidden size H").in_range(1, config::max_hidden);
    f.add("vocab", o.vocab, "vocabulary size V, including UNKNOWN_TOKEN")
        .in_range(config::min_vocab, config::max_vocab);
    f.add("optim", o.optim, "sgd (tutorial: lr 0.005, halved when validation loss rises) | adam")
        .one_of({"sgd", "adam"});
    // The default -1 means "chosen from --optim"; only a given value is checked.
    f.add("lr", o.lr, "learning rate (default 0.005 for sgd, 0.002 for adam)")
        .positive()
        .at_most(1e6)
        .hide_default();
    f.add("batch", o.batch, "sentences per step (1 reproduces the tutorial)").in_range(1, 1 << 20);
    f.add("epochs", o.epochs, "passes over the training sentences").in_range(1, 1000000);
    f.add("bptt", o.bptt, "truncate BPTT to chunks of N steps (0: full sentences)");
    f.add("clip", o.clip, "clip the global gradient norm (0: off)").at_least(0);
    // text::split holds out every round(1/valid)-th sentence, at least every second one: 0.5 is
    // the most it can do. 0 is fine: the epoch reports the training loss instead.
    f.add("valid", o.valid, "fraction of sentences held out for validation (0: none)")
        .in_range(0, 0.5);
    f.add("max-sentences", o.max_sentences, "use only the first N sentences (0: all)");
    // A sentence predicts at least two tokens (a word and SENTENCE_END): 1 would drop them all.
    f.add("max-length", o.max_length, "drop training sentences longer than N tokens (0: keep all)")
        .at_least(2)
        .or_zero();
    f.add("time-budget", o.time_budget, "stop (and save) after this many minutes (0: none)")
        .at_least(0);
    f.add("max-steps", o.max_steps, "stop (and save) after this many steps in this run (0: none)");
    f.add("save-every", o.save_every, "also save a checkpoint every N steps (0: per epoch only)");
    f.add("seed", o.seed, "seed for initialisation and shuffling", 0);
    f.add("distributed", o.distributed,
          "data-parallel training over the processes of `mpirun -np N`: each takes every N-th "
          "sentence of a --batch, the loss scaled by the batch's token count; rank 0 logs and "
          "checkpoints");
    f.add("resume", o.resume, "continue the run saved in --out exactly where it stopped");
    f.add("plot", o.plot,
          "write the run's curves to DIR/rnnlm.csv and DIR/rnnlm.png (training loss, tokens/s, "
          "gradient norm, validation loss and perplexity, learning rate) at every checkpoint")
        .hide_default();
    f.add("plot-every", o.plot_every, "steps per plotted point (0: about 50 points an epoch)");
    f.parse(argc, argv, 2);
    cli::data_parallel dp(o.distributed, argc, argv);
    const bool root = dp.is_root();
    cli::check_plot_dir(o.plot);
    if (o.lr < 0)
        o.lr = o.optim == "adam" ? 0.002 : 0.005;
    // Sizes first: an impossible model is refused before the corpus is read.
    config{o.cell, o.layers, o.hidden, o.vocab}.parameter_count();

    // Data: sentences -> vocabulary (from the training part) -> id sequences.
    const auto sentences = load_sentences(o.data, o.max_sentences);
    std::vector<std::vector<std::string>> train_s, valid_s;
    text::split(sentences, o.valid, train_s, valid_s);
    if (train_s.empty())
        throw std::runtime_error("the corpus has no training sentences");
    // A save killed half-way leaves a staging folder: drop it (the committed checkpoint stays).
    io::checkpoint_dir ckpt(o.out);
    if (root)
        ckpt.clean();
    dp.barrier();
    const auto record = make_record(o);
    const model_files dir = o.resume ? find_model(o.out, true) : model_files{o.out};
    text::vocabulary vocab =
        o.resume ? text::vocabulary::load(dir.vocab()) : text::vocabulary::build(train_s, o.vocab);
    if (vocab.size() != o.vocab)
        throw std::runtime_error(fmt::format("--resume: the saved vocabulary has {} words, not "
                                             "--vocab {}",
                                             vocab.size(), o.vocab));
    std::vector<text::sequence> train, valid;
    std::size_t dropped = 0;
    for (const auto& s : train_s)
    {
        if (o.max_length && s.size() + 1 > o.max_length)
        {
            ++dropped;
            continue;
        }
        train.push_back(vocab.encode(s));
    }
    if (train.empty())
        throw cli::usage_error(
            fmt::format("--max-length {} drops all {} training sentences (each is longer)",
                        o.max_length, train_s.size()));
    for (const auto& s : valid_s)
        valid.push_back(vocab.encode(s));
    std::size_t train_tokens = 0;
    for (const auto& s : train)
        train_tokens += s.size() - 1;
    if (root)
        fmt::print(
            "corpus {}: {} sentences ({} training, {} validation{}), {} training tokens\n", o.data,
            sentences.size(), train.size(), valid.size(),
            dropped ? fmt::format(", {} longer than {} tokens dropped", dropped, o.max_length) : "",
            train_tokens);

    generator g(o.seed);
    config c{o.cell, o.layers, o.hidden, o.vocab};
    Model m(c, g);
    dp.setup(m); // every rank holds rank 0's weights
    if (root)
        fmt::print("{}, {} parameters{}\n", c.describe(), m.parameter_count(),
                   dp.on() ? fmt::format("; {} processes", dp.size()) : "");

    std::unique_ptr<optim::Optimizer> opt;
    if (o.optim == "sgd")
        opt = std::make_unique<optim::SGD>(m.parameters(), optim::sgd_options{o.lr});
    else
        opt = std::make_unique<optim::Adam>(m.parameters(), optim::adam_options{o.lr});
    auto rule = optim::halve_on_rise(*opt);

    position pos;
    pos.lr = o.lr;
    if (o.resume)
    {
        io::tensor_file w = io::load_tensors(dir.weights());
        if (config::from_metadata(w.metadata, dir.weights()).to_metadata() != c.to_metadata())
            throw std::runtime_error("--resume: " + dir.weights() + " holds a " +
                                     config::from_metadata(w.metadata, dir.weights()).describe() +
                                     ", not the requested " + c.describe());
        if (w.metadata["vocab_fnv1a64"] != fmt::format("{:016x}", io::file_fnv1a64(dir.vocab())))
            throw std::runtime_error("--resume: " + dir.vocab() +
                                     " is not the vocabulary the weights were trained with");
        pos = load_position(dir.trainer(), record);
        m.load_state_dict(w.tensors);
        opt->load(dir.optimizer());
        if (pos.has_ref)
            rule.step(pos.ref); // restore the rule's reference value
        if (root)
            fmt::print("resuming at epoch {} batch {} (lr {})\n", pos.epoch + 1, pos.next_batch,
                       opt->lr());
    }
    else if (root)
    {
        const double initial = evaluate(
            m,
            train.size() > 200 ? std::vector<text::sequence>(train.begin(), train.begin() + 200)
                               : train,
            o.batch);
        fmt::print("initial training loss {:.4f} (ln V = {:.4f})\n", initial,
                   std::log(double(o.vocab)));
        std::fflush(stdout);
    }

    // Steps are numbered over the whole run (every epoch has the same number of batches).
    const std::size_t per_epoch = text::epoch_batches(train, o.batch, o.seed, 0).size();
    auto global_step = [&] {
        return pos.epoch * per_epoch + pos.next_batch;
    };
    cli::training_plot plot(o.plot, "rnnlm",
                            o.plot_every ? o.plot_every : std::max<std::size_t>(1, per_epoch / 50));
    plot.resume(double(global_step()));

    // One checkpoint = one atomic unit: all four files of a generation, or the previous one.
    // The curves are written first: a crash between leaves rows past the checkpoint, which
    // --resume drops.
    auto checkpoint = [&] {
        if (!root)
        {
            dp.barrier(); // until rank 0 has committed
            return;
        }
        plot.write();
        auto tx = ckpt.begin();
        vocab.save(tx.file("vocab.txt"));
        auto meta = c.to_metadata();
        meta["vocab_fnv1a64"] = fmt::format("{:016x}", io::file_fnv1a64(tx.file("vocab.txt")));
        io::save_tensors(tx.file("model.safetensors"), m.state_dict(), meta);
        opt->save(tx.file("optimizer.safetensors"));
        pos.lr = opt->lr();
        save_position(tx.file("trainer.safetensors"), pos, record);
        tx.commit();
        dp.barrier();
    };

    cli::progress bar;
    std::size_t tokens_done = 0, steps_done = 0;
    bool out_of_time = false;
    for (; pos.epoch < o.epochs && !out_of_time; ++pos.epoch)
    {
        const auto batches = text::epoch_batches(train, o.batch, o.seed, pos.epoch);
        double running = 0;
        std::size_t running_tokens = 0;
        for (; pos.next_batch < batches.size(); ++pos.next_batch)
        {
            const auto started = cli::training_plot::clock::now();
            // This process's sentences: every size()-th of the batch, from its rank. The loss is
            // summed over them and divided by the whole batch's token count, so the reduced
            // gradient is the one of the batch's mean (sentences differ in length).
            const std::vector<std::size_t>& all = batches[pos.next_batch];
            std::vector<std::size_t> mine;
            std::size_t batch_tokens = 0;
            for (std::size_t i = 0; i < all.size(); ++i)
            {
                batch_tokens += train[all[i]].size() - 1;
                if (i % dp.size() == dp.rank())
                    mine.push_back(all[i]);
            }
            opt->zero_grad();
            double mean = 0, summed = 0; // this process's mean and summed loss
            if (!mine.empty())
            {
                const text::batch b = text::make_batch(train, mine);
                mean = m.run_batch(b, o.bptt, true, batch_tokens);
                summed = mean * double(b.tokens());
            }
            dp.reduce(1.0);
            const double loss = dp.on() ? dp.sum(summed) / double(batch_tokens) : mean;
            const double norm = plot.grad_norm(m.parameters(), o.clip);
            opt->step();
            plot.step(global_step() + 1, loss, batch_tokens, norm, started);
            running += loss * double(batch_tokens);
            running_tokens += batch_tokens;
            tokens_done += batch_tokens;
            if (root)
                bar.update(pos.epoch + 1, o.epochs, pos.next_batch + 1, batches.size(),
                           running / double(running_tokens), tokens_done);
            ++steps_done;
            if (o.save_every && steps_done % o.save_every == 0 &&
                pos.next_batch + 1 < batches.size())
            {
                ++pos.next_batch; // the checkpoint says where to continue
                checkpoint();
                --pos.next_batch;
            }
            // Every process stops at the same step: rank 0's clock decides for all.
            if (dp.any(root && o.time_budget > 0 && bar.elapsed() > o.time_budget * 60) ||
                (o.max_steps > 0 && steps_done >= o.max_steps))
            {
                ++pos.next_batch;
                out_of_time = true;
                break;
            }
        }
        if (root)
            bar.finish();
        if (out_of_time && pos.next_batch < batches.size())
        {
            checkpoint();
            dp.report();
            if (root)
                fmt::print("stopped in epoch {} at batch {} (time or step budget): saved to {} "
                           "(continue with --resume)\n",
                           pos.epoch + 1, pos.next_batch, o.out);
            return 0;
        }
        const double vloss =
            valid.empty() ? running / double(running_tokens) : evaluate(m, valid, o.batch);
        const bool halved = o.optim == "sgd" && rule.step(vloss);
        pos.has_ref = true;
        pos.ref = vloss;
        const double at = double((pos.epoch + 1) * per_epoch);
        plot.add(valid.empty() ? "epoch_train_loss" : "valid_loss", at, vloss);
        plot.add(valid.empty() ? "epoch_train_ppl" : "valid_ppl", at, std::exp(vloss));
        plot.add("lr", at, opt->lr());
        if (root) // every process evaluated (the same model): the rule acts the same on all
            fmt::print(
                "epoch {}: training loss {:.4f}, validation loss {:.4f}, perplexity {:.1f}{}\n",
                pos.epoch + 1, running / double(running_tokens), vloss, std::exp(vloss),
                halved ? fmt::format(" (loss rose: learning rate halved to {})", opt->lr()) : "");
        pos.next_batch = 0;
        const std::size_t done = pos.epoch;
        pos.epoch = done + 1; // the checkpoint says where to continue
        checkpoint();
        pos.epoch = done;
    }
    if (root)
    {
        dp.report();
        fmt::print("model saved to {}\n", o.out);
    }
    return 0;
}

} // namespace rnnlm
