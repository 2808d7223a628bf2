// caption train: Adam on DIR/train.tsv, the best epoch chosen by the exact-match rate on
// DIR/valid.tsv (the test splits are not read), checkpoints after every epoch, bit-exact
// --resume.
#include <algorithm>

#include <fmt/core.h>

#include "examples/caption/commands.hpp"
#include "examples/caption/data.hpp"
#include "examples/caption/eval.hpp"
#include "examples/caption/model.hpp"
#include "examples/common/flags.hpp"
#include "examples/common/plot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/resumable.hpp"
#include "examples/common/run_record.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/optim/adam.hpp"

using namespace xgrad;

namespace caption
{
namespace
{

struct position
{
    std::size_t epoch = 0, step = 0, best_epoch = 0, bad_epochs = 0;
    double best = -1; // valid exact match (higher is better); -1 = none yet
};

} // namespace

int train_command(int argc, char** argv)
{
    std::string data = "caption-data", out = "caption-model", plot_dir;
    model_config c;
    std::size_t batch_size = 32, epochs = 60, patience = 8, max_train = 0, max_steps = 0,
                plot_every = 0;
    double lr = 2e-3, clip = 5.0, budget = 18, decay = 1.0;
    std::uint64_t seed = 1;
    bool resume = false;
    cli::flags f("usage: caption train [options]\n"
                 "Trains a CNN encoder and an LSTM decoder (with attention over the encoder's\n"
                 "grid, or without) on DIR/train.tsv made by make-data, choosing the best epoch\n"
                 "by exact match on DIR/valid.tsv; checkpoints to --out after every epoch.");
    f.add("data", data, "dataset directory written by make-data").not_empty();
    f.add("out", out, "checkpoint directory").not_empty();
    f.add("variant", c.variant, "attend (Show, Attend and Tell) | tell (Show and Tell)")
        .one_of({"attend", "tell"});
    f.add("width", c.width, "channels of the first convolution (then 2x, 2x)").in_range(1, 1024);
    f.add("embed", c.embed, "word embedding width").in_range(1, 4096);
    f.add("hidden", c.hidden, "LSTM hidden size").in_range(1, 8192);
    f.add("attend", c.attend, "additive attention size").in_range(1, 8192);
    f.add("batch", batch_size, "images per step").in_range(1, 4096);
    f.add("epochs", epochs, "maximum passes over the training data").in_range(1, 100000);
    f.add("patience", patience, "stop after this many epochs without a better valid score")
        .in_range(1, 100000);
    f.add("lr", lr, "Adam learning rate").positive().at_most(10);
    f.add("clip", clip, "global gradient-norm clip (0: off)").at_least(0).at_most(1e6);
    f.add("lr-decay", decay,
          "multiply the learning rate by this after an epoch without a better "
          "valid score (1: never)")
        .positive()
        .at_most(1);
    f.add("max-train", max_train, "use only the first N training scenes (0: all)");
    f.add("max-steps", max_steps, "stop (and save) after N steps in total (0: no limit)");
    f.add("time-budget", budget, "stop (and save) after this many minutes (0: none)")
        .at_least(0)
        .at_most(1e6);
    f.add("seed", seed, "random seed", 0);
    f.add("resume", resume, "continue the run saved in --out");
    f.add("plot", plot_dir,
          "write the run's curves to DIR/caption.csv and DIR/caption.png (training loss, "
          "images/s, gradient norm, valid exact match) at every checkpoint")
        .hide_default();
    f.add("plot-every", plot_every, "steps per plotted point (0: about 50 points an epoch)");
    f.parse(argc, argv, 2);
    cli::check_plot_dir(plot_dir);

    std::vector<example> train = load_split(data + "/train.tsv");
    if (max_train && train.size() > max_train)
        train.resize(max_train);
    const std::vector<example> valid = load_split(data + "/valid.tsv");
    const vocabulary vocab;
    c.vocab = vocab.size();
    std::vector<std::vector<std::int64_t>> captions;
    for (const example& e : train)
        captions.push_back(vocab.encode(e.caption));
    generator g(seed);
    Captioner m(c, g);
    optim::Adam opt(m.parameters(), optim::adam_options{lr});

    cli::run_record record{{"variant", c.variant},
                           {"width", std::to_string(c.width)},
                           {"embed", std::to_string(c.embed)},
                           {"hidden", std::to_string(c.hidden)},
                           {"attend", std::to_string(c.attend)},
                           {"batch", std::to_string(batch_size)},
                           {"lr", fmt::format("{}", lr)},
                           {"clip", fmt::format("{}", clip)},
                           {"lr-decay", fmt::format("{}", decay)},
                           {"max-train", std::to_string(max_train)},
                           {"seed", std::to_string(seed)}};
    cli::record_file(record, "train", data + "/train.tsv");
    cli::record_file(record, "valid", data + "/valid.tsv");

    io::checkpoint_dir ckpt(out);
    ckpt.clean();
    position at;
    if (resume)
    {
        const std::string dir = ckpt.verify({"model.safetensors", "best.safetensors",
                                             "optimizer.safetensors", "trainer.safetensors"});
        auto t = io::load_tensors(dir + "/trainer.safetensors");
        cli::check_run_record(t.metadata, record);
        auto w = io::load_tensors(dir + "/model.safetensors");
        m.load_state_dict(w.tensors);
        opt.load(dir + "/optimizer.safetensors");
        const auto num = [&](const char* k) {
            return std::size_t(t.tensors.at(k).item());
        };
        at.epoch = num("epoch");
        at.step = num("step");
        at.best_epoch = num("best_epoch");
        at.bad_epochs = num("bad_epochs");
        at.best = t.tensors.at("best").item();
    }
    fmt::print("{}: {} training scenes, {} valid; {}, {} parameters\n", data, train.size(),
               valid.size(), m.describe(), m.parameter_count());

    const std::size_t batches = (train.size() + batch_size - 1) / batch_size;
    cli::training_plot plot(plot_dir, "caption",
                            plot_every ? plot_every : std::max<std::size_t>(1, batches / 50));
    plot.resume(double(at.epoch * batches + at.step));
    auto save = [&](bool best_too) {
        plot.write();
        std::map<std::string, Tensor> t{{"epoch", Tensor::scalar(double(at.epoch), f64)},
                                        {"step", Tensor::scalar(double(at.step), f64)},
                                        {"best_epoch", Tensor::scalar(double(at.best_epoch), f64)},
                                        {"bad_epochs", Tensor::scalar(double(at.bad_epochs), f64)},
                                        {"best", Tensor::scalar(at.best, f64)}};
        cli::save_generation(ckpt, m.state_dict(), c.to_metadata(), best_too, opt, t, record);
    };

    cli::progress bar(5.0, "img");
    bar.start();
    std::size_t steps_done = 0, images = 0;
    bool stopped = false;
    std::vector<std::size_t> order(train.size());
    while (at.epoch < epochs && at.bad_epochs < patience && !stopped)
    {
        // The epoch's order of examples: batches in epoch_order, examples within by index.
        const auto batch_order = cli::epoch_order(batches, seed, at.epoch);
        double running = 0;
        for (; at.step < batches; ++at.step)
        {
            const auto started = cli::training_plot::clock::now();
            const std::size_t first = batch_order[at.step] * batch_size;
            const std::size_t n = std::min(batch_size, train.size() - first);
            const std::vector<std::vector<std::int64_t>> caps(captions.begin() + first,
                                                              captions.begin() + first + n);
            opt.zero_grad();
            Variable loss = m.loss(Variable(render_batch(train, first, n)), caps);
            loss.backward();
            const double norm = plot.grad_norm(m.parameters(), clip);
            opt.step();
            const double l = loss.item();
            plot.step(at.epoch * batches + at.step + 1, l, n, norm, started);
            running = at.step == 0 ? l : 0.95 * running + 0.05 * l;
            images += n;
            ++steps_done;
            bar.update(at.epoch + 1, epochs, at.step + 1, batches, running, images);
            const bool last = at.step + 1 == batches;
            const bool out_of_time = budget > 0 && bar.elapsed() > budget * 60;
            if (!last && ((max_steps && steps_done >= max_steps) || out_of_time))
            {
                ++at.step;
                bar.finish();
                save(false);
                fmt::print("{}: saved to {} (continue with --resume)\n",
                           out_of_time ? "time budget reached" : "--max-steps reached", out);
                stopped = true;
                break;
            }
        }
        if (stopped)
            break;
        bar.finish();
        const scores s = evaluate(m, valid, false);
        const bool better = s.exact > at.best;
        plot.add("valid_exact", double((at.epoch + 1) * batches), s.exact);
        fmt::print("epoch {}: training loss {:.4f}, valid exact match {:.1f}%, BLEU-4 {:.1f}, lr "
                   "{:.2g}{}\n",
                   at.epoch + 1, running, 100 * s.exact, s.bleu, opt.lr(),
                   better ? " (best so far)" : "");
        if (better)
        {
            at.best = s.exact;
            at.best_epoch = at.epoch + 1;
            at.bad_epochs = 0;
        }
        else
        {
            ++at.bad_epochs;
            opt.set_lr(opt.lr() * decay); // saved with the optimizer: --resume continues it
        }
        ++at.epoch;
        at.step = 0;
        save(better);
        if ((max_steps && steps_done >= max_steps) || (budget > 0 && bar.elapsed() > budget * 60))
            stopped = at.epoch < epochs;
    }
    if (at.best_epoch)
        fmt::print("best valid exact match {:.1f}% at epoch {}; ", 100 * at.best, at.best_epoch);
    fmt::print("{} training images in {:.0f} s ({:.1f} images/s)\n", images, bar.elapsed(),
               double(images) / std::max(1e-9, bar.elapsed()));
    return 0;
}

} // namespace caption
