// translate train: builds the vocabularies on the training part, trains with Adam, clipping,
// dropout and teacher forcing, scores validation BLEU (greedy) every epoch, keeps the best model
// in OUT/best and checkpoints OUT atomically; --resume continues bit-exactly.
#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/common/plot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/run_record.hpp"
#include "examples/translate/commands.hpp"
#include "examples/translate/store.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/optim/adam.hpp"

namespace mt
{
namespace
{

struct encoded_pair
{
    std::vector<std::int64_t> src, tgt; // tgt ends with </s>
};

// The batches of one epoch: a permutation drawn from (seed, epoch), cut into chunks of 32
// batches sorted by source length (less padding), then the batches shuffled. A pure function of
// its arguments, so a resumed run sees the same batches.
std::vector<std::vector<std::size_t>> epoch_batches(std::size_t n, std::size_t batch,
                                                    std::uint64_t seed, std::size_t epoch,
                                                    const std::vector<encoded_pair>& data)
{
    generator g(seed * 1000003u + epoch + 1);
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i)
        order[i] = i;
    for (std::size_t i = n; i > 1; --i)
        std::swap(order[i - 1], order[g.below(i)]);
    const std::size_t chunk = batch * 32;
    for (std::size_t from = 0; from < n; from += chunk)
        std::stable_sort(
            order.begin() + std::ptrdiff_t(from),
            order.begin() + std::ptrdiff_t(std::min(n, from + chunk)),
            [&](std::size_t a, std::size_t b) { return data[a].src.size() < data[b].src.size(); });
    std::vector<std::vector<std::size_t>> out;
    for (std::size_t from = 0; from < n; from += batch)
        out.emplace_back(order.begin() + std::ptrdiff_t(from),
                         order.begin() + std::ptrdiff_t(std::min(n, from + batch)));
    for (std::size_t i = out.size(); i > 1; --i)
        std::swap(out[i - 1], out[g.below(i)]);
    return out;
}

} // namespace

int train_command(int argc, char** argv)
{
    std::string data = default_data(), out = "mt-model", plot_dir;
    model_config c;
    bool reverse = false, resume = false;
    std::size_t src_vocab = 8000, tgt_vocab = 8000, min_count = 2, batch = 64, epochs = 10;
    std::size_t valid_count = 1000, test_count = 1000, max_length = 30, max_steps = 0;
    std::size_t save_every = 0, plot_every = 0;
    double lr = 1e-3, clip = 5, teacher = 1, budget = 0;
    std::uint64_t seed = 1;
    cli::flags f("usage: translate train [options]\n"
                 "Trains an attention encoder-decoder on source<TAB>target pairs; checkpoints to\n"
                 "--out (the best validation BLEU in OUT/best).");
    f.add("data", data, "tab-separated pairs: source<TAB>target[<TAB>...]").not_empty();
    f.add("reverse", reverse, "translate the second column into the first");
    f.add("out", out, "checkpoint directory").not_empty();
    f.add("cell", c.cell, "encoder and decoder cell").one_of({"gru", "lstm"});
    f.add("attention", c.attention, "attention score (none: no attention, the baseline)")
        .one_of({"additive", "dot", "general", "concat", "none"});
    f.add("embed", c.embed, "embedding width").in_range(1, max_width);
    f.add("hidden", c.hidden, "encoder hidden size per direction").in_range(1, max_width);
    f.add("dec-hidden", c.dec_hidden, "decoder hidden size").in_range(1, max_width);
    f.add("attention-size", c.attention_size, "additive/concat attention width")
        .in_range(1, max_width);
    f.add("dropout", c.dropout, "dropout on embeddings and the attentional vector")
        .at_least(0)
        .below(1);
    f.add("src-vocab", src_vocab, "largest source vocabulary").in_range(5, 1 << 24);
    f.add("tgt-vocab", tgt_vocab, "largest target vocabulary").in_range(5, 1 << 24);
    f.add("min-count", min_count, "words seen fewer times are <unk>").in_range(1, 1u << 30);
    f.add("batch", batch, "sentence pairs per step").in_range(1, 1 << 16);
    f.add("epochs", epochs, "passes over the training pairs").in_range(1, 1000000);
    f.add("lr", lr, "Adam learning rate").positive().at_most(10);
    f.add("clip", clip, "global gradient-norm clip (0: off)").at_least(0);
    f.add("teacher-forcing", teacher, "probability of feeding the gold previous token")
        .in_range(0, 1);
    f.add("valid", valid_count, "held-out source sentences for validation").in_range(1, 1u << 30);
    f.add("test", test_count, "held-out source sentences for the test").in_range(1, 1u << 30);
    f.add("max-length", max_length, "drop training pairs with a side longer (tokens)")
        .in_range(2, 1000);
    f.add("time-budget", budget, "stop (and save) after this many minutes (0: none)").at_least(0);
    f.add("max-steps", max_steps, "stop (and save) after this many steps in all (0: none)");
    f.add("save-every", save_every, "also save a checkpoint every N steps (0: per epoch only)");
    f.add("seed", seed, "random seed (initialisation, split, batches, dropout)", 0);
    f.add("resume", resume, "continue the run saved in --out");
    f.add("plot", plot_dir,
          "write the run's curves to DIR/translate.csv and DIR/translate.png (training loss, "
          "tokens/s, gradient norm, validation BLEU) at every checkpoint")
        .hide_default();
    f.add("plot-every", plot_every, "steps per plotted point (0: about 50 points an epoch)");
    f.parse(argc, argv, 2);
    cli::check_plot_dir(plot_dir);

    const auto pairs = read_pairs(data, reverse);
    const corpus_split split = split_by_source(pairs, valid_count, test_count, seed);
    std::vector<std::vector<std::string>> src_tok, tgt_tok;
    for (const auto& p : split.train)
    {
        src_tok.push_back(tokenize(p.source));
        tgt_tok.push_back(tokenize(p.target));
    }
    translator t;
    t.src = vocab::build(src_tok, src_vocab, min_count);
    t.tgt = vocab::build(tgt_tok, tgt_vocab, min_count);
    c.src_vocab = t.src.size();
    c.tgt_vocab = t.tgt.size();
    std::vector<encoded_pair> train_data;
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < src_tok.size(); ++i)
    {
        if (src_tok[i].empty() || tgt_tok[i].empty() || src_tok[i].size() > max_length ||
            tgt_tok[i].size() > max_length)
        {
            ++dropped;
            continue;
        }
        encoded_pair e{t.src.encode(src_tok[i]), t.tgt.encode(tgt_tok[i])};
        e.tgt.push_back(vocab::eos);
        train_data.push_back(std::move(e));
    }
    if (train_data.empty())
        throw cli::usage_error(
            fmt::format("no training pair of at most --max-length {} tokens", max_length));
    generator g(seed);
    t.model = std::make_unique<Seq2Seq>(c, g);
    Seq2Seq& m = *t.model;
    optim::Adam opt(m.parameters(), optim::adam_options{lr});

    // What --resume must repeat (--epochs, --time-budget, --max-steps may change).
    cli::run_record record{{"reverse", reverse ? "1" : "0"},
                           {"cell", c.cell},
                           {"attention", c.attention},
                           {"embed", std::to_string(c.embed)},
                           {"hidden", std::to_string(c.hidden)},
                           {"dec-hidden", std::to_string(c.dec_hidden)},
                           {"attention-size", std::to_string(c.attention_size)},
                           {"dropout", fmt::format("{}", c.dropout)},
                           {"src-vocab", std::to_string(src_vocab)},
                           {"tgt-vocab", std::to_string(tgt_vocab)},
                           {"min-count", std::to_string(min_count)},
                           {"batch", std::to_string(batch)},
                           {"lr", fmt::format("{}", lr)},
                           {"clip", fmt::format("{}", clip)},
                           {"teacher-forcing", fmt::format("{}", teacher)},
                           {"valid", std::to_string(valid_count)},
                           {"test", std::to_string(test_count)},
                           {"max-length", std::to_string(max_length)},
                           {"seed", std::to_string(seed)}};
    cli::record_file(record, "data", data);
    const std::map<std::string, std::string> split_record{
        {"data_fnv1a64", record.at("data_fnv1a64")},
        {"reverse", record.at("reverse")},
        {"seed", record.at("seed")},
        {"valid", record.at("valid")},
        {"test", record.at("test")}};

    io::checkpoint_dir ckpt(out), best_ckpt(out + "/best");
    ckpt.clean();
    std::size_t epoch = 0, step = 0, global = 0;
    double best_bleu = -1;
    if (resume)
    {
        const std::string dir = ckpt.verify({"model.safetensors", "src_vocab.txt", "tgt_vocab.txt",
                                             "optimizer.safetensors", "trainer.safetensors"});
        auto tr = io::load_tensors(dir + "/trainer.safetensors");
        cli::check_run_record(tr.metadata, record);
        translator saved = load_translator(out);
        if (saved.src.checksum() != t.src.checksum() || saved.tgt.checksum() != t.tgt.checksum())
            throw std::runtime_error("--resume: the checkpoint's vocabularies differ from this "
                                     "data's");
        m.load_state_dict(saved.model->state_dict());
        opt.load(dir + "/optimizer.safetensors");
        epoch = std::size_t(tr.tensors.at("epoch").item());
        step = std::size_t(tr.tensors.at("step").item());
        global = std::size_t(tr.tensors.at("global_step").item());
        best_bleu = tr.tensors.at("best_bleu").item();
    }
    else if (best_ckpt.exists() || ckpt.exists())
        fmt::print("note: starting afresh over the checkpoint in {} (use --resume to continue)\n",
                   out);
    best_ckpt.clean();
    std::size_t train_tokens = 0;
    for (const auto& e : train_data)
        train_tokens += e.tgt.size();
    fmt::print("{}: {} pairs after deduplication; {} training pairs ({} longer than {} tokens "
               "dropped, {} target tokens), {} validation and {} test sources\n",
               data, pairs.size(), train_data.size(), dropped, max_length, train_tokens,
               split.valid.sources.size(), split.test.sources.size());
    fmt::print("{}, {} parameters\n", m.describe(), m.parameter_count());

    // Points are numbered by the run's optimizer step, `global`, across --resume.
    const std::size_t per_epoch = (train_data.size() + batch - 1) / batch;
    cli::training_plot plot(plot_dir, "translate",
                            plot_every ? plot_every : std::max<std::size_t>(1, per_epoch / 50));
    plot.resume(double(global));

    // The curves are written first: rows past a checkpoint that never committed are dropped
    // by --resume.
    auto checkpoint = [&] {
        plot.write();
        auto tx = ckpt.begin();
        save_translator(tx, t, split_record);
        opt.save(tx.file("optimizer.safetensors"));
        io::save_tensors(tx.file("trainer.safetensors"),
                         {{"epoch", Tensor::scalar(double(epoch), f64)},
                          {"step", Tensor::scalar(double(step), f64)},
                          {"global_step", Tensor::scalar(double(global), f64)},
                          {"best_bleu", Tensor::scalar(best_bleu, f64)}},
                         record);
        tx.commit();
    };
    decode_options greedy_opt;
    greedy_opt.batch = 64;
    auto validate = [&] {
        no_grad guard;
        m.eval();
        const bleu_score b = score_held_out(m, t.src, t.tgt, split.valid.sources,
                                            split.valid.references, greedy_opt);
        m.train();
        return b;
    };

    // Validation BLEU decides which model is kept (best loss is not the best translator).
    auto validate_and_keep = [&](const std::string& when, double loss) {
        const bleu_score b = validate();
        plot.add("valid_bleu", double(global), b.score);
        fmt::print("{}: training loss {:.4f}, validation {} (greedy)\n", when, loss, b.format());
        if (b.score > best_bleu)
        {
            best_bleu = b.score;
            auto tx = best_ckpt.begin();
            save_translator(tx, t, split_record);
            tx.commit();
            fmt::print("best validation BLEU so far: saved to {}/best\n", out);
        }
    };

    cli::progress bar;
    std::size_t tokens = 0;
    m.train();
    for (; epoch < epochs; ++epoch)
    {
        const auto batches = epoch_batches(train_data.size(), batch, seed, epoch, train_data);
        double running = 0;
        for (; step < batches.size(); ++step)
        {
            const auto started = cli::training_plot::clock::now();
            std::vector<const std::vector<std::int64_t>*> s, y;
            for (auto i : batches[step])
            {
                s.push_back(&train_data[i].src);
                y.push_back(&train_data[i].tgt);
            }
            // Dropout and teacher forcing draw from a generator of this step alone: a resumed
            // run draws the same numbers without saving a generator's state.
            generator sg(seed * 0x9E3779B97F4A7C15ull + global);
            opt.zero_grad();
            Variable loss = m.loss(pad_batch(s), pad_batch(y), teacher, sg);
            loss.backward();
            const double norm = plot.grad_norm(m.parameters(), clip);
            opt.step();
            ++global;
            running = step == 0 ? loss.item() : 0.98 * running + 0.02 * loss.item();
            std::size_t step_tokens = 0;
            for (const auto* v : y)
                step_tokens += v->size();
            tokens += step_tokens;
            plot.step(global, loss.item(), step_tokens, norm, started);
            bar.update(epoch + 1, epochs, step + 1, batches.size(), running, tokens);
            const bool stop =
                (max_steps && global >= max_steps) || (budget > 0 && bar.elapsed() > budget * 60);
            if ((stop || (save_every && global % save_every == 0)) && step + 1 < batches.size())
            {
                ++step; // where to continue
                if (stop)
                {
                    bar.finish();
                    validate_and_keep(fmt::format("step {}", global), running);
                }
                checkpoint();
                if (stop)
                {
                    fmt::print("stopped after {} steps: saved to {} (continue with --resume)\n",
                               global, out);
                    return 0;
                }
                --step;
            }
            if (stop) // at an epoch's end: validated and saved below
                epochs = epoch + 1;
        }
        bar.finish();
        validate_and_keep(fmt::format("epoch {}", epoch + 1), running);
        step = 0;
        ++epoch;
        checkpoint();
        --epoch;
    }
    fmt::print("model saved to {} (best validation BLEU {:.2f} in {}/best)\n", out, best_bleu, out);
    return 0;
}

} // namespace mt
