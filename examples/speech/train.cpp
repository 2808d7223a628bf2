// speech train: Adam on the CTC loss over minibatches of similar lengths, the dev set's label
// error rate (greedy) every epoch, the best model kept, early stopping after --patience epochs
// without improvement, and a time budget. The test split is never read here (see evaluate).
#include <algorithm>
#include <random>
#include <sstream>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/common/plot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/resumable.hpp"
#include "examples/common/run_record.hpp"
#include "examples/speech/commands.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/optim/adam.hpp"

using namespace xgrad;

namespace speech
{
namespace
{

// Where training stands; saved in trainer.safetensors so --resume continues bit-exactly.
struct position
{
    std::size_t epoch = 0, step = 0, best_epoch = 0, bad_epochs = 0, frames = 0;
    double best = 2; // dev LER (lower is better); 2 = none yet
};

} // namespace

int train_command(int argc, char** argv)
{
    std::string data = "speech-data", out = "speech-model", plot_dir;
    model_config c;
    c.front.stack = 3;
    c.front.stride = 3;
    std::size_t batch_size = 16, epochs = 40, patience = 6, max_train = 0, max_steps = 0,
                save_every = 0, plot_every = 0, threads = 2;
    double lr = 2e-3, clip = 5.0, budget = 18;
    std::uint64_t seed = 1;
    bool resume = false;
    cli::flags f("usage: speech train [options]\n"
                 "Trains a bidirectional LSTM (or GRU) recogniser with CTC on DIR/train.tsv made\n"
                 "by make-data, choosing the best epoch by the label error rate on DIR/dev.tsv.\n"
                 "Checkpoints to --out after every epoch; the test split is not read.");
    f.add("data", data, "corpus directory written by make-data").not_empty();
    f.add("out", out, "checkpoint directory").not_empty();
    f.add("cell", c.cell, "recurrent cell").one_of({"lstm", "gru"});
    f.add("hidden", c.hidden, "recurrent size per direction").in_range(1, max_width);
    f.add("layers", c.layers, "bidirectional layers").in_range(1, max_layers);
    f.add("dropout", c.dropout, "dropout between layers and before the output")
        .at_least(0)
        .below(1);
    f.add("mel-bands", c.front.mel_bands, "log-mel filterbank size").in_range(1, 256);
    f.add("mfcc", c.front.mfcc, "cepstral coefficients instead of log-mel (0: log-mel)")
        .in_range(0, 256);
    f.add("stack", c.front.stack, "consecutive 10 ms frames concatenated").in_range(1, 16);
    f.add("stride", c.front.stride, "keep every n-th stacked frame").in_range(1, 16);
    f.add("batch", batch_size, "utterances per step").in_range(1, 4096);
    f.add("epochs", epochs, "maximum passes over the training data").in_range(1, 100000);
    f.add("patience", patience, "stop after this many epochs without a better dev LER")
        .in_range(1, 100000);
    f.add("lr", lr, "Adam learning rate").positive().at_most(10);
    f.add("clip", clip, "global gradient-norm clip (0: off)").at_least(0).at_most(1e6);
    f.add("max-train", max_train, "use only the first N training utterances (0: all)");
    f.add("max-steps", max_steps, "stop (and save) after N steps in total (0: no limit)");
    f.add("save-every", save_every, "also save a checkpoint every N steps (0: per epoch only)");
    f.add("time-budget", budget, "stop (and save) after this many minutes (0: none)")
        .at_least(0)
        .at_most(1e6);
    f.add("threads", threads, "threads reading and featurising the audio").in_range(1, 256);
    f.add("seed", seed, "random seed", 0);
    f.add("resume", resume, "continue the run saved in --out");
    f.add("plot", plot_dir,
          "write the run's curves to DIR/speech.csv and DIR/speech.png (training loss, frames/s, "
          "gradient norm, dev LER) at every checkpoint")
        .hide_default();
    f.add("plot-every", plot_every, "steps per plotted point (0: about 50 points an epoch)");
    f.parse(argc, argv, 2);
    if (c.front.mfcc > c.front.mel_bands)
        throw cli::usage_error(
            fmt::format("--mfcc {} exceeds --mel-bands {}", c.front.mfcc, c.front.mel_bands));
    cli::check_plot_dir(plot_dir);
    count_parameters(c);

    const std::vector<example> train = load_split(data, "train", c.front, max_train, threads);
    const std::vector<example> dev = load_split(data, "dev", c.front, 0, threads);
    std::size_t train_frames = 0;
    for (const example& e : train)
        train_frames += e.x.frames;
    generator g(seed);
    speech_model m(c, g);
    optim::Adam opt(m.parameters(), optim::adam_options{lr});

    // What --resume must repeat to continue the same run (--epochs, --patience may change).
    cli::run_record record{{"cell", c.cell},
                           {"hidden", std::to_string(c.hidden)},
                           {"layers", std::to_string(c.layers)},
                           {"dropout", fmt::format("{}", c.dropout)},
                           {"mel-bands", std::to_string(c.front.mel_bands)},
                           {"mfcc", std::to_string(c.front.mfcc)},
                           {"stack", std::to_string(c.front.stack)},
                           {"stride", std::to_string(c.front.stride)},
                           {"batch", std::to_string(batch_size)},
                           {"lr", fmt::format("{}", lr)},
                           {"clip", fmt::format("{}", clip)},
                           {"max-train", std::to_string(max_train)},
                           {"seed", std::to_string(seed)}};
    cli::record_file(record, "train", data + "/train.tsv");
    cli::record_file(record, "dev", data + "/dev.tsv");

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
                                     "/model.safetensors was trained with another configuration");
        m.load_state_dict(w.tensors);
        opt.load(dir + "/optimizer.safetensors");
        const auto num = [&](const char* k) {
            return std::size_t(t.tensors.at(k).item());
        };
        at.epoch = num("epoch");
        at.step = num("step");
        at.best_epoch = num("best_epoch");
        at.bad_epochs = num("bad_epochs");
        at.frames = num("frames");
        at.best = t.tensors.at("best").item();
        cli::set_engine_state(g.engine(), t.metadata.at("rng"), dir + "/trainer.safetensors");
    }
    fmt::print("{}: {} training utterances ({} frames of {} features), {} dev\n", data,
               train.size(), train_frames, c.front.dim(), dev.size());
    fmt::print("{}, {} parameters\n", m.describe(), m.parameter_count());

    const auto batches = length_batches(train, batch_size);
    const auto dev_batches = length_batches(dev, 64);
    cli::training_plot plot(plot_dir, "speech",
                            plot_every ? plot_every
                                       : std::max<std::size_t>(1, batches.size() / 50));
    plot.resume(double(at.epoch * batches.size() + at.step));

    auto save = [&](bool best_too) {
        plot.write();
        cli::run_record meta = record;
        meta["rng"] = cli::engine_state(g.engine());
        std::map<std::string, Tensor> t{{"epoch", Tensor::scalar(double(at.epoch), f64)},
                                        {"step", Tensor::scalar(double(at.step), f64)},
                                        {"best_epoch", Tensor::scalar(double(at.best_epoch), f64)},
                                        {"bad_epochs", Tensor::scalar(double(at.bad_epochs), f64)},
                                        {"frames", Tensor::scalar(double(at.frames), f64)},
                                        {"best", Tensor::scalar(at.best, f64)}};
        cli::save_generation(ckpt, m.state_dict(), m.metadata(), best_too, opt, t, meta);
    };

    cli::progress bar(5.0, "frames");
    bar.start();
    std::size_t steps_done = 0, frames_now = 0;
    bool stopped = false;
    while (at.epoch < epochs && at.bad_epochs < patience && !stopped)
    {
        const auto order = cli::epoch_order(batches.size(), seed, at.epoch);
        double running = 0;
        for (; at.step < batches.size(); ++at.step)
        {
            const auto started = cli::training_plot::clock::now();
            const batch b = make_batch(train, batches[order[at.step]]);
            opt.zero_grad();
            Variable loss = m.loss(b);
            loss.backward();
            const double norm = plot.grad_norm(m.parameters(), clip);
            opt.step();
            const double l = loss.item();
            plot.step(at.epoch * batches.size() + at.step + 1, l, b.frames, norm, started);
            running = at.step == 0 ? l : 0.95 * running + 0.05 * l;
            frames_now += b.frames;
            at.frames += b.frames;
            ++steps_done;
            bar.update(at.epoch + 1, epochs, at.step + 1, batches.size(), running, frames_now);
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
        const double ler = label_error_rate(m, dev, dev_batches, 1);
        const bool better = ler < at.best;
        plot.add("dev_ler", double((at.epoch + 1) * batches.size()), ler);
        fmt::print("epoch {}: training loss {:.4f}, dev LER {:.2f}%{}\n", at.epoch + 1, running,
                   100 * ler, better ? " (best so far)" : "");
        if (better)
        {
            at.best = ler;
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
    if (at.best_epoch)
        fmt::print("best dev LER {:.2f}% at epoch {}; ", 100 * at.best, at.best_epoch);
    else
        fmt::print("no epoch completed; ");
    fmt::print("{} training frames in {:.0f} s ({:.0f} frames/s)\n", frames_now, bar.elapsed(),
               double(frames_now) / std::max(1e-9, bar.elapsed()));
    return 0;
}

} // namespace speech
