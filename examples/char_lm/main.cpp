// char_lm: a character-level language model (embedding, stacked LSTM, linear head) trained with
// truncated BPTT: the text is cut into --batch parallel streams, each step reads --seq characters
// of every stream, and the LSTM state is carried into the next step detached.
//   char_lm train  [options]    fit the model, checkpointing to --out every epoch
//   char_lm sample [options]    generate text from a priming string
#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "examples/common/data_parallel.hpp"
#include "examples/common/flags.hpp"
#include "examples/common/plot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/run_record.hpp"
#include "examples/common/sampling.hpp"
#include "examples/text/corpus.hpp"
#include "examples/text/vocabulary.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/json.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/optim/adam.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace
{

struct config
{
    std::string chars;
    std::size_t embed = 64, hidden = 256, layers = 2;
    // Variational dropout (input, state, output), zoneout and weight-drop in every LSTM layer.
    sequence_regularisers reg;
    // Checkpointed BPTT (not saved: it changes memory and time, never the numbers).
    std::size_t checkpoint_every = 0;
};

constexpr std::size_t max_width = 65536, max_layers = 64;

// The regularisers' metadata keys and flags ("state_dropout" is --state-dropout).
std::vector<std::pair<std::string, double*>> regulariser_fields(sequence_regularisers& r)
{
    return {{"input_dropout", &r.input_dropout},
            {"state_dropout", &r.state_dropout},
            {"output_dropout", &r.output_dropout},
            {"zoneout", &r.zoneout},
            {"weight_drop", &r.weight_drop}};
}

// Refuses sizes no machine here can hold, before anything is allocated; the count is computed
// without overflow.
std::size_t count_parameters(const config& c)
{
    if (c.chars.empty() || c.embed < 1 || c.embed > max_width || c.hidden < 1 ||
        c.hidden > max_width || c.layers < 1 || c.layers > max_layers)
        throw cli::usage_error(fmt::format("impossible sizes: {} characters, embed {}, hidden {}, "
                                           "{} layers",
                                           c.chars.size(), c.embed, c.hidden, c.layers));
    const std::string what = "char_lm model";
    auto mul = [&](std::size_t a, std::size_t b) {
        return cli::checked_mul(a, b, what);
    };
    auto add = [&](std::size_t a, std::size_t b) {
        return cli::checked_add(a, b, what);
    };
    const std::size_t V = c.chars.size(), E = c.embed, H = c.hidden, G = mul(4, H);
    // Embedding; the first LSTM layer (weight_ih [4H, E], weight_hh [4H, H], two biases [4H]);
    // the layers on it (weight_ih [4H, H]); the head (weight [V, H], bias [V]).
    std::size_t n = add(mul(V, E), add(mul(G, add(E, H)), mul(2, G)));
    n = add(n, mul(c.layers - 1, add(mul(G, mul(2, H)), mul(2, G))));
    n = add(n, add(mul(V, H), V));
    cli::check_parameter_count(n, fmt::format("embed {}, hidden {}, {} layers", E, H, c.layers));
    return n;
}

// The alphabet is a set of bytes; a UTF-8 text's bytes >= 0x80 are not valid UTF-8 one by one,
// and safetensors metadata must be. So byte b is stored as the code point U+00bb (ASCII stays
// as it is) and read back the same way.
std::string bytes_as_code_points(const std::string& bytes)
{
    std::string out;
    for (unsigned char b : bytes)
        xgrad::io::json::append_utf8(out, b);
    return out;
}

std::string code_points_as_bytes(const std::string& s, const std::string& source)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80)
            out += char(b);
        else if ((b == 0xC2 || b == 0xC3) && i + 1 < s.size() &&
                 (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80)
            out += char(((b & 0x03) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F));
        else
            throw std::runtime_error(source +
                                     ": metadata 'chars' holds a character above U+00FF "
                                     "at byte offset " +
                                     std::to_string(i) + " (it lists bytes)");
    }
    return out;
}

class CharModel : public Module
{
public:
    CharModel(const config& c, generator& g) : cfg(c)
    {
        count_parameters(c);
        rnn_options o;
        o.num_layers = c.layers;
        o.regularisers = c.reg;
        o.checkpoint_every = c.checkpoint_every;
        embed = register_module("embed", std::make_shared<Embedding>(c.chars.size(), c.embed, g));
        rnn = register_module("rnn", std::make_shared<LSTM>(c.embed, c.hidden, o, g));
        head = register_module("head", std::make_shared<Linear>(c.hidden, c.chars.size(), true, g));
    }
    // ids time-major [steps * batch] -> logits [steps, batch, V]; states carried in and out.
    Variable forward(const std::vector<std::int64_t>& ids, std::size_t steps, std::size_t batch,
                     state_list& states)
    {
        sequence_output out = rnn->forward(embed->forward(ids, {steps, batch}), {}, states);
        states = out.states;
        return head->forward(out.output);
    }
    std::string describe() const override
    {
        return fmt::format("char LSTM: {} characters, embed {}, hidden {}, {} layers{}",
                           cfg.chars.size(), cfg.embed, cfg.hidden, cfg.layers,
                           describe_options(cfg.reg));
    }
    std::map<std::string, std::string> metadata() const
    {
        std::map<std::string, std::string> m{{"chars", bytes_as_code_points(cfg.chars)},
                                             {"embed", std::to_string(cfg.embed)},
                                             {"hidden", std::to_string(cfg.hidden)},
                                             {"layers", std::to_string(cfg.layers)}};
        // Only the regularisers in use: files of models trained without them stay as they were.
        sequence_regularisers r = cfg.reg;
        for (const auto& [key, p] : regulariser_fields(r))
            if (*p > 0)
                m[key] = fmt::format("{}", *p);
        return m;
    }
    // Throws std::runtime_error naming `source` and the key that is missing or bad.
    static config from_metadata(const std::map<std::string, std::string>& m,
                                const std::string& source = "the weight file")
    {
        const auto chars = m.find("chars");
        if (chars == m.end())
            throw std::runtime_error(source +
                                     " does not describe a char_lm model (its metadata lacks "
                                     "'chars')");
        // char_vocabulary writes the alphabet's bytes once each, in increasing order.
        const std::string a = code_points_as_bytes(chars->second, source);
        for (std::size_t i = 1; i < a.size(); ++i)
            if (static_cast<unsigned char>(a[i - 1]) >= static_cast<unsigned char>(a[i]))
                throw std::runtime_error(source + ": metadata 'chars' is not an alphabet (its "
                                                  "bytes are not distinct and sorted)");
        if (a.empty())
            throw std::runtime_error(source + ": metadata 'chars' is empty");
        config c{a,
                 cli::metadata_size(m, "embed", source, 1, max_width),
                 cli::metadata_size(m, "hidden", source, 1, max_width),
                 cli::metadata_size(m, "layers", source, 1, max_layers),
                 {}};
        for (const auto& [key, p] : regulariser_fields(c.reg))
        {
            const auto it = m.find(key);
            if (it != m.end() && (!cli::parse_double(it->second, *p) || !(*p >= 0 && *p < 1)))
                throw std::runtime_error(source + ": metadata '" + key + "' is not in [0, 1)");
        }
        try
        {
            count_parameters(c);
        }
        catch (const std::exception& e)
        {
            throw std::runtime_error(source + ": " + e.what());
        }
        return c;
    }

    config cfg;
    std::shared_ptr<Embedding> embed;
    std::shared_ptr<LSTM> rnn;
    std::shared_ptr<Linear> head;
};

// Token (t, b) of a step: stream b starts at b * stream_len; the step reads `seq` characters
// from `offset` into every stream, targets one further.
// Streams [first, first + streams) of the text cut into streams of stream_len characters.
void step_data(const std::vector<std::int64_t>& ids, std::size_t streams, std::size_t stream_len,
               std::size_t offset, std::size_t seq, std::vector<std::int64_t>& x,
               std::vector<std::int64_t>& y, std::size_t first = 0)
{
    x.resize(seq * streams);
    y.resize(seq * streams);
    for (std::size_t t = 0; t < seq; ++t)
        for (std::size_t b = 0; b < streams; ++b)
        {
            x[t * streams + b] = ids[(first + b) * stream_len + offset + t];
            y[t * streams + b] = ids[(first + b) * stream_len + offset + t + 1];
        }
}

double evaluate(CharModel& m, const std::vector<std::int64_t>& ids, std::size_t seq)
{
    no_grad guard;
    m.eval();
    const std::size_t streams =
        std::min<std::size_t>(16, std::max<std::size_t>(1, (ids.size() - 1) / seq));
    const std::size_t len = (ids.size() - 1) / streams;
    state_list states;
    std::vector<std::int64_t> x, y;
    double total = 0;
    std::size_t n = 0;
    for (std::size_t off = 0; off + seq <= len; off += seq)
    {
        step_data(ids, streams, len, off, seq, x, y);
        total += cross_entropy(m.forward(x, seq, streams, states), y).item() * double(y.size());
        n += y.size();
    }
    m.train();
    return n ? total / double(n) : 0.0;
}

int train(int argc, char** argv)
{
    std::string data = std::string(XGRAD_DATA_DIR) + "/tinyshakespeare.txt", out = "char-model",
                plot_dir;
    config c;
    std::size_t batch = 32, seq = 100, epochs = 10, max_chars = 0, save_every = 0, max_steps = 0,
                plot_every = 0;
    double lr = 2e-3, clip = 5.0, valid = 0.1, budget = 0;
    std::uint64_t seed = 1;
    bool resume = false, distributed = false;
    cli::flags f("usage: char_lm train [options]\n"
                 "Trains a character-level stacked LSTM with truncated BPTT, Adam and gradient\n"
                 "clipping; reports validation loss per epoch; checkpoints to --out.");
    f.add("data", data, "text file").not_empty();
    f.add("out", out, "checkpoint directory").not_empty();
    f.add("embed", c.embed, "embedding width").in_range(1, max_width);
    f.add("hidden", c.hidden, "LSTM hidden size").in_range(1, max_width);
    f.add("layers", c.layers, "LSTM layers").in_range(1, max_layers);
    f.add("batch", batch, "parallel streams").in_range(1, 1 << 20);
    f.add("seq", seq, "characters per truncated-BPTT step").in_range(1, 1 << 20);
    f.add("epochs", epochs, "passes over the training text").in_range(1, 1000000);
    f.add("lr", lr, "Adam learning rate").positive().at_most(1e6);
    f.add("clip", clip, "global gradient-norm clip (0: off)").at_least(0);
    f.add("input-dropout", c.reg.input_dropout,
          "variational dropout on each layer's input (one mask per stream for a --seq step)")
        .at_least(0)
        .below(1);
    f.add("state-dropout", c.reg.state_dropout, "variational dropout on the h fed back")
        .at_least(0)
        .below(1);
    f.add("output-dropout", c.reg.output_dropout, "variational dropout on each layer's output")
        .at_least(0)
        .below(1);
    f.add("zoneout", c.reg.zoneout, "zoneout probability of h and c (evaluation: expectation)")
        .at_least(0)
        .below(1);
    f.add("weight-drop", c.reg.weight_drop, "DropConnect on weight_hh (AWD-LSTM's weight-drop)")
        .at_least(0)
        .below(1);
    f.add("distributed", distributed,
          "data-parallel training over the processes of `mpirun -np N`: each takes --batch / N "
          "of the streams (N must divide --batch); rank 0 logs and checkpoints");
    f.add("checkpoint-every", c.checkpoint_every,
          "checkpointed BPTT: keep the state every k steps and recompute the steps between in "
          "backward (memory for long --seq; bit-identical results); 0: off");
    // Both parts must be non-empty: the validation loss is reported every epoch.
    f.add("valid", valid, "fraction of the text (its end) held out").above(0).below(1);
    f.add("max-chars", max_chars, "use only the first N characters (0: all)");
    f.add("time-budget", budget, "stop (and save) after this many minutes (0: none)").at_least(0);
    f.add("max-steps", max_steps, "stop (and save) after this many steps (0: none)");
    f.add("save-every", save_every, "also save a checkpoint every N steps (0: per epoch only)");
    f.add("seed", seed, "random seed", 0);
    f.add("resume", resume, "continue the run saved in --out");
    f.add("plot", plot_dir,
          "write the run's curves to DIR/char_lm.csv and DIR/char_lm.png (training loss, "
          "tokens/s, gradient norm, validation loss and bits per character) at every checkpoint")
        .hide_default();
    f.add("plot-every", plot_every, "steps per plotted point (0: about 50 points an epoch)");
    f.parse(argc, argv, 2);
    cli::data_parallel dp(distributed, argc, argv);
    const bool root = dp.is_root();
    if (batch % dp.size() != 0)
        throw cli::usage_error(
            fmt::format("--batch {} does not divide among {} processes", batch, dp.size()));
    // This process's streams: [first, first + local) of the --batch.
    const std::size_t local = batch / dp.size(), first = dp.rank() * local;
    cli::check_plot_dir(plot_dir);
    count_parameters({std::string(256, ' '), c.embed, c.hidden, c.layers, {}}); // at most 256 chars

    std::string text = text::read_file(data);
    text::check_text(text, data);
    if (max_chars && text.size() > max_chars)
        text.resize(max_chars);
    if (text.empty())
        throw std::runtime_error("'" + data + "' is empty");
    if (text.size() < 2 * seq + 2)
        throw cli::usage_error(
            fmt::format("'{}' has {} characters: too short for --seq {}", data, text.size(), seq));
    const std::size_t cut = static_cast<std::size_t>(double(text.size()) * (1 - valid));
    if (text.size() - cut < seq + 1)
        throw cli::usage_error(fmt::format(
            "--valid {} holds out {} of {} characters: the validation part needs at least --seq "
            "+ 1 = {}",
            valid, text.size() - cut, text.size(), seq + 1));
    text::char_vocabulary vocab(text);
    const auto all = vocab.encode(text);
    const std::vector<std::int64_t> train_ids(all.begin(), all.begin() + cut),
        valid_ids(all.begin() + cut, all.end());
    const std::size_t stream_len = (train_ids.size() - 1) / batch;
    const std::size_t steps = stream_len / seq;
    if (steps == 0)
        throw cli::usage_error(fmt::format(
            "the {} training characters are too few for --batch {} x --seq {} (at least {})",
            train_ids.size(), batch, seq, cli::checked_mul(batch, seq, "--batch x --seq") + 1));

    c.chars = vocab.chars();
    generator g(seed);
    CharModel m(c, g);
    dp.setup(m); // every rank holds rank 0's weights
    if (dp.rank() > 0)
        g.seed(seed + 1000003 * dp.rank()); // its own dropout masks
    optim::Adam opt(m.parameters(), optim::adam_options{lr});
    // What --resume must repeat to continue the same run (--epochs may grow).
    cli::run_record record{
        {"batch", std::to_string(batch)},         {"seq", std::to_string(seq)},
        {"clip", fmt::format("{}", clip)},        {"valid", fmt::format("{}", valid)},
        {"max-chars", std::to_string(max_chars)}, {"seed", std::to_string(seed)},
        {"embed", std::to_string(c.embed)},       {"hidden", std::to_string(c.hidden)},
        {"layers", std::to_string(c.layers)}};
    for (const auto& [key, v] : regulariser_fields(c.reg))
    {
        std::string flag = key;
        std::replace(flag.begin(), flag.end(), '_', '-');
        record[flag] = fmt::format("{}", *v);
    }
    cli::record_file(record, "data", data);
    // A save killed half-way leaves a staging folder: drop it (the committed checkpoint stays).
    io::checkpoint_dir ckpt(out);
    if (root)
        ckpt.clean();
    dp.barrier();
    std::size_t epoch = 0, step = 0;
    state_list states;
    if (resume)
    {
        const std::string dir =
            ckpt.verify({"model.safetensors", "optimizer.safetensors", "trainer.safetensors"});
        auto t = io::load_tensors(dir + "/trainer.safetensors");
        cli::check_run_record(t.metadata, record);
        auto w = io::load_tensors(dir + "/model.safetensors");
        if (CharModel::from_metadata(w.metadata, dir + "/model.safetensors").chars != c.chars)
            throw std::runtime_error("--resume: the checkpoint was trained on other text");
        m.load_state_dict(w.tensors);
        opt.load(dir + "/optimizer.safetensors");
        epoch = static_cast<std::size_t>(t.tensors.at("epoch").item());
        step = static_cast<std::size_t>(t.tensors.at("step").item());
        // The states of all --batch streams; this process continues its own.
        if (t.tensors.count("h_n"))
            states = m.rnn->initial_state({narrow(Variable(t.tensors.at("h_n")), 1, first, local),
                                           narrow(Variable(t.tensors.at("c_n")), 1, first, local)});
    }
    if (root)
        fmt::print("{}: {} training and {} validation characters; {}, {} parameters{}\n", data,
                   train_ids.size(), valid_ids.size(), m.describe(), m.parameter_count(),
                   dp.on() ? fmt::format("; {} processes x {} streams", dp.size(), local) : "");
    if (!resume && root)
        fmt::print("initial validation loss {:.4f} (ln V = {:.4f})\n", evaluate(m, valid_ids, seq),
                   std::log(double(vocab.size())));

    // Steps are numbered over the whole run: every epoch has `steps` of them.
    cli::training_plot plot(plot_dir, "char_lm",
                            plot_every ? plot_every : std::max<std::size_t>(1, steps / 50));
    plot.resume(double(epoch * steps + step));

    // One checkpoint = one atomic unit: the three files of a generation, or the previous one.
    // The curves are written first: rows past a checkpoint that never committed are dropped
    // by --resume.
    auto checkpoint = [&] {
        // The states of every stream, gathered from the processes (all take part).
        Tensor h_n, c_n;
        if (!states.empty())
        {
            sequence_output so{Variable(), states};
            h_n = dp.gather(RNNBase::final_state(so, 0).data(), 1);
            c_n = dp.gather(RNNBase::final_state(so, 1).data(), 1);
        }
        if (!root)
        {
            dp.barrier(); // until rank 0 has committed
            return;
        }
        plot.write();
        auto tx = ckpt.begin();
        io::save_tensors(tx.file("model.safetensors"), m.state_dict(), m.metadata());
        opt.save(tx.file("optimizer.safetensors"));
        std::map<std::string, Tensor> t{{"epoch", Tensor::scalar(double(epoch), f64)},
                                        {"step", Tensor::scalar(double(step), f64)}};
        if (h_n.defined())
        {
            t["h_n"] = h_n;
            t["c_n"] = c_n;
        }
        io::save_tensors(tx.file("trainer.safetensors"), t, record);
        tx.commit();
        dp.barrier();
    };

    cli::progress bar;
    std::size_t tokens = 0, steps_done = 0;
    std::vector<std::int64_t> x, y;
    for (; epoch < epochs; ++epoch)
    {
        double running = 0;
        for (; step < steps; ++step)
        {
            const auto started = cli::training_plot::clock::now();
            step_data(train_ids, local, stream_len, step * seq, seq, x, y, first);
            opt.zero_grad();
            Variable loss = cross_entropy(m.forward(x, seq, local, states), y);
            loss.backward();
            // Equal shares: the mean of the processes' means is the mean over the batch.
            dp.average();
            states = nn::carry(states); // truncated BPTT: the next step starts from a leaf
            const double norm = plot.grad_norm(m.parameters(), clip); // the same on every rank
            opt.step();
            const double mean_loss = dp.sum(loss.item()) / double(dp.size());
            plot.step(epoch * steps + step + 1, mean_loss, x.size() * dp.size(), norm, started);
            running = step == 0 ? mean_loss : 0.98 * running + 0.02 * mean_loss;
            tokens += x.size() * dp.size();
            if (root)
                bar.update(epoch + 1, epochs, step + 1, steps, running, tokens);
            if (save_every && (step + 1) % save_every == 0 && step + 1 < steps)
            {
                ++step; // the checkpoint says where to continue
                checkpoint();
                --step;
            }
            ++steps_done;
            // Every process stops at the same step: rank 0's clock decides for all.
            const bool out_of_time = dp.any(root && budget > 0 && bar.elapsed() > budget * 60);
            if ((out_of_time || (max_steps && steps_done >= max_steps)) && step + 1 < steps)
            {
                ++step;
                if (root)
                    bar.finish();
                checkpoint();
                if (root)
                {
                    fmt::print("{} steps, {} characters in {:.1f} s: {:.0f} tok/s\n", steps_done,
                               tokens, bar.elapsed(), double(tokens) / bar.elapsed());
                    dp.report();
                    fmt::print("{}: saved to {} (continue with --resume)\n",
                               out_of_time ? "time budget reached" : "--max-steps reached", out);
                }
                return 0;
            }
        }
        if (root)
        {
            bar.finish();
            const double v = evaluate(m, valid_ids, seq); // the same model on every rank
            fmt::print("epoch {}: validation loss {:.4f} ({:.3f} bits per character)\n", epoch + 1,
                       v, v / std::log(2.0));
            plot.add("valid_loss", double((epoch + 1) * steps), v);
            plot.add("valid_bpc", double((epoch + 1) * steps), v / std::log(2.0));
        }
        step = 0;
        states.clear();
        ++epoch;
        checkpoint();
        --epoch;
    }
    if (root)
    {
        dp.report();
        fmt::print("model saved to {}\n", out);
    }
    return 0;
}

int sample(int argc, char** argv)
{
    std::string model = "char-model", prime = "\n";
    std::size_t length = 500;
    double temperature = 0.8;
    std::uint64_t seed = 1;
    cli::flags f("usage: char_lm sample [options]\n"
                 "Feeds --prime to a trained model, then samples --length characters.");
    f.add("model", model, "checkpoint directory written by char_lm train").not_empty();
    // The model predicts from the state the prime leaves: without one there is nothing to
    // sample from.
    f.add("prime", prime, "text to start from (characters of the training text)").not_empty();
    f.add("length", length, "characters to generate").at_most(100000000);
    f.add("temperature", temperature, "softmax temperature").positive().at_most(1e6);
    f.add("seed", seed, "random seed", 0);
    f.parse(argc, argv, 2);
    // A checkpoint written by train (verified against its manifest), or a plain folder.
    const io::checkpoint_dir ckpt(model);
    const std::string wpath =
        (ckpt.exists() ? ckpt.verify({"model.safetensors"}) : model) + "/model.safetensors";
    auto w = io::load_tensors(wpath);
    generator g(seed);
    CharModel m(CharModel::from_metadata(w.metadata, wpath), g);
    m.load_state_dict(w.tensors);
    m.eval();
    text::char_vocabulary vocab(m.cfg.chars);
    for (std::size_t i = 0; i < prime.size(); ++i)
        if (m.cfg.chars.find(prime[i]) == std::string::npos)
        {
            const auto byte = static_cast<unsigned char>(prime[i]);
            throw cli::usage_error(fmt::format(
                "--prime: the character {} at byte offset {} is not in the model's alphabet of {} "
                "characters (those of its training text)",
                byte >= 0x20 && byte < 0x7f ? fmt::format("'{}'", char(byte))
                                            : fmt::format("0x{:02X}", byte),
                i, m.cfg.chars.size()));
        }
    no_grad guard;
    state_list states;
    std::vector<double> logits;
    for (std::int64_t id : vocab.encode(prime))
        logits = m.forward({id}, 1, 1, states).data().to(f64).to_vector();
    std::string out = prime;
    std::vector<std::pair<double, std::int64_t>> cand;
    for (std::size_t i = 0; i < length; ++i)
    {
        cand.clear();
        for (std::size_t k = 0; k < logits.size(); ++k)
            cand.emplace_back(logits[k], static_cast<std::int64_t>(k));
        const std::int64_t pick = cli::sample_token(cand, temperature, 0, g);
        out += vocab.character(pick);
        logits = m.forward({pick}, 1, 1, states).data().to(f64).to_vector();
    }
    fmt::print("{}\n", out);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    return cli::run_commands("char_lm", argc, argv, {{"train", train}, {"sample", sample}});
}
