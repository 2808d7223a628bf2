// char_lm: a character-level language model (embedding, stacked LSTM, linear head) trained with
// truncated BPTT: the text is cut into --batch parallel streams, each step reads --seq characters
// of every stream, and the LSTM state is carried into the next step detached.
//   char_lm train  [options]    fit the model, checkpointing to --out every epoch
//   char_lm sample [options]    generate text from a priming string
#include <cmath>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/run_record.hpp"
#include "examples/common/sampling.hpp"
#include "examples/text/corpus.hpp"
#include "examples/text/vocabulary.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/clip.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace
{

struct config
{
    std::string chars;
    std::size_t embed = 64, hidden = 256, layers = 2;
};

class CharModel : public Module
{
public:
    CharModel(const config& c, generator& g) : cfg(c)
    {
        rnn_options o;
        o.num_layers = c.layers;
        embed = register_module("embed", std::make_shared<Embedding>(c.chars.size(), c.embed, g));
        rnn = register_module("rnn", std::make_shared<LSTM>(c.embed, c.hidden, o, g));
        head = register_module("head", std::make_shared<Linear>(c.hidden, c.chars.size(), true, g));
    }
    // ids time-major [steps * batch] -> logits [steps, batch, V]; states carried in and out.
    Variable forward(const std::vector<std::int64_t>& ids, std::size_t steps, std::size_t batch,
                     std::vector<cell_state>& states)
    {
        sequence_output out = rnn->forward(embed->forward(ids, {steps, batch}), {}, states);
        states = out.states;
        return head->forward(out.output);
    }
    std::string describe() const override
    {
        return fmt::format("char LSTM: {} characters, embed {}, hidden {}, {} layers",
                           cfg.chars.size(), cfg.embed, cfg.hidden, cfg.layers);
    }
    std::map<std::string, std::string> metadata() const
    {
        return {{"chars", cfg.chars},
                {"embed", std::to_string(cfg.embed)},
                {"hidden", std::to_string(cfg.hidden)},
                {"layers", std::to_string(cfg.layers)}};
    }
    static config from_metadata(std::map<std::string, std::string> m)
    {
        if (!m.count("chars") || !m.count("embed") || !m.count("hidden") || !m.count("layers"))
            throw std::runtime_error("the weight file does not describe a char_lm model");
        return {m["chars"], std::stoul(m["embed"]), std::stoul(m["hidden"]),
                std::stoul(m["layers"])};
    }

    config cfg;
    std::shared_ptr<Embedding> embed;
    std::shared_ptr<LSTM> rnn;
    std::shared_ptr<Linear> head;
};

// Token (t, b) of a step: stream b starts at b * stream_len; the step reads `seq` characters
// from `offset` into every stream, targets one further.
void step_data(const std::vector<std::int64_t>& ids, std::size_t streams, std::size_t stream_len,
               std::size_t offset, std::size_t seq, std::vector<std::int64_t>& x,
               std::vector<std::int64_t>& y)
{
    x.resize(seq * streams);
    y.resize(seq * streams);
    for (std::size_t t = 0; t < seq; ++t)
        for (std::size_t b = 0; b < streams; ++b)
        {
            x[t * streams + b] = ids[b * stream_len + offset + t];
            y[t * streams + b] = ids[b * stream_len + offset + t + 1];
        }
}

double evaluate(CharModel& m, const std::vector<std::int64_t>& ids, std::size_t seq)
{
    no_grad guard;
    m.eval();
    const std::size_t streams =
        std::min<std::size_t>(16, std::max<std::size_t>(1, (ids.size() - 1) / seq));
    const std::size_t len = (ids.size() - 1) / streams;
    std::vector<cell_state> states;
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
    std::string data = std::string(XGRAD_DATA_DIR) + "/tinyshakespeare.txt", out = "char-model";
    config c;
    std::size_t batch = 32, seq = 100, epochs = 10, max_chars = 0, save_every = 0;
    double lr = 2e-3, clip = 5.0, valid = 0.1, budget = 0;
    std::uint64_t seed = 1;
    bool resume = false;
    cli::flags f("usage: char_lm train [options]\n"
                 "Trains a character-level stacked LSTM with truncated BPTT, Adam and gradient\n"
                 "clipping; reports validation loss per epoch; checkpoints to --out.");
    f.add("data", data, "text file");
    f.add("out", out, "checkpoint directory");
    f.add("embed", c.embed, "embedding width");
    f.add("hidden", c.hidden, "LSTM hidden size");
    f.add("layers", c.layers, "LSTM layers");
    f.add("batch", batch, "parallel streams");
    f.add("seq", seq, "characters per truncated-BPTT step");
    f.add("epochs", epochs, "passes over the training text");
    f.add("lr", lr, "Adam learning rate");
    f.add("clip", clip, "global gradient-norm clip (0: off)");
    f.add("valid", valid, "fraction of the text (its end) held out");
    f.add("max-chars", max_chars, "use only the first N characters (0: all)");
    f.add("time-budget", budget, "stop (and save) after this many minutes (0: none)");
    f.add("save-every", save_every, "also save a checkpoint every N steps (0: per epoch only)");
    f.add("seed", seed, "random seed", 0);
    f.add("resume", resume, "continue the run saved in --out");
    f.parse(argc, argv, 2);

    std::string text = text::read_file(data);
    if (max_chars && text.size() > max_chars)
        text.resize(max_chars);
    if (text.size() < 2 * seq + 2)
        throw std::runtime_error(
            fmt::format("'{}' has {} characters: too short for --seq {}", data, text.size(), seq));
    const std::size_t cut = static_cast<std::size_t>(double(text.size()) * (1 - valid));
    text::char_vocabulary vocab(text);
    const auto all = vocab.encode(text);
    const std::vector<std::int64_t> train_ids(all.begin(), all.begin() + cut),
        valid_ids(all.begin() + cut, all.end());
    const std::size_t stream_len = (train_ids.size() - 1) / batch;
    const std::size_t steps = stream_len / seq;
    if (steps == 0)
        throw std::runtime_error("the training text is too short for --batch x --seq");

    c.chars = vocab.chars();
    generator g(seed);
    CharModel m(c, g);
    optim::Adam opt(m.parameters(), optim::adam_options{lr});
    // What --resume must repeat to continue the same run (--epochs may grow).
    cli::run_record record{
        {"batch", std::to_string(batch)},         {"seq", std::to_string(seq)},
        {"clip", fmt::format("{}", clip)},        {"valid", fmt::format("{}", valid)},
        {"max-chars", std::to_string(max_chars)}, {"seed", std::to_string(seed)},
        {"embed", std::to_string(c.embed)},       {"hidden", std::to_string(c.hidden)},
        {"layers", std::to_string(c.layers)}};
    cli::record_file(record, "data", data);
    // A save killed half-way leaves a staging folder: drop it (the committed checkpoint stays).
    io::checkpoint_dir ckpt(out);
    ckpt.clean();
    std::size_t epoch = 0, step = 0;
    std::vector<cell_state> states;
    if (resume)
    {
        const std::string dir =
            ckpt.verify({"model.safetensors", "optimizer.safetensors", "trainer.safetensors"});
        auto t = io::load_tensors(dir + "/trainer.safetensors");
        cli::check_run_record(t.metadata, record);
        auto w = io::load_tensors(dir + "/model.safetensors");
        if (CharModel::from_metadata(w.metadata).chars != c.chars)
            throw std::runtime_error("--resume: the checkpoint was trained on other text");
        m.load_state_dict(w.tensors);
        opt.load(dir + "/optimizer.safetensors");
        epoch = static_cast<std::size_t>(t.tensors.at("epoch").item());
        step = static_cast<std::size_t>(t.tensors.at("step").item());
        if (t.tensors.count("h_n"))
            states = m.rnn->initial_state(
                {Variable(t.tensors.at("h_n")), Variable(t.tensors.at("c_n"))});
    }
    fmt::print("{}: {} training and {} validation characters; {}, {} parameters\n", data,
               train_ids.size(), valid_ids.size(), m.describe(), m.parameter_count());
    if (!resume)
        fmt::print("initial validation loss {:.4f} (ln V = {:.4f})\n", evaluate(m, valid_ids, seq),
                   std::log(double(vocab.size())));

    // One checkpoint = one atomic unit: the three files of a generation, or the previous one.
    auto checkpoint = [&] {
        auto tx = ckpt.begin();
        io::save_tensors(tx.file("model.safetensors"), m.state_dict(), m.metadata());
        opt.save(tx.file("optimizer.safetensors"));
        std::map<std::string, Tensor> t{{"epoch", Tensor::scalar(double(epoch), f64)},
                                        {"step", Tensor::scalar(double(step), f64)}};
        if (!states.empty())
        {
            sequence_output so{Variable(), states};
            t["h_n"] = RNNBase::final_state(so, 0).data();
            t["c_n"] = RNNBase::final_state(so, 1).data();
        }
        io::save_tensors(tx.file("trainer.safetensors"), t, record);
        tx.commit();
    };

    cli::progress bar;
    std::size_t tokens = 0;
    std::vector<std::int64_t> x, y;
    for (; epoch < epochs; ++epoch)
    {
        double running = 0;
        for (; step < steps; ++step)
        {
            step_data(train_ids, batch, stream_len, step * seq, seq, x, y);
            opt.zero_grad();
            Variable loss = cross_entropy(m.forward(x, seq, batch, states), y);
            loss.backward();
            states = nn::detach(states); // truncated BPTT: the next step starts from a leaf
            if (clip > 0)
                optim::clip_grad_norm(m.parameters(), clip);
            opt.step();
            running = step == 0 ? loss.item() : 0.98 * running + 0.02 * loss.item();
            tokens += x.size();
            bar.update(epoch + 1, epochs, step + 1, steps, running, tokens);
            if (save_every && (step + 1) % save_every == 0 && step + 1 < steps)
            {
                ++step; // the checkpoint says where to continue
                checkpoint();
                --step;
            }
            if (budget > 0 && bar.elapsed() > budget * 60 && step + 1 < steps)
            {
                ++step;
                bar.finish();
                checkpoint();
                fmt::print("time budget reached: saved to {} (continue with --resume)\n", out);
                return 0;
            }
        }
        bar.finish();
        const double v = evaluate(m, valid_ids, seq);
        fmt::print("epoch {}: validation loss {:.4f} ({:.3f} bits per character)\n", epoch + 1, v,
                   v / std::log(2.0));
        step = 0;
        states.clear();
        ++epoch;
        checkpoint();
        --epoch;
    }
    fmt::print("model saved to {}\n", out);
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
    f.add("model", model, "checkpoint directory written by char_lm train");
    f.add("prime", prime, "text to start from");
    f.add("length", length, "characters to generate");
    f.add("temperature", temperature, "softmax temperature");
    f.add("seed", seed, "random seed", 0);
    f.parse(argc, argv, 2);
    if (!(temperature > 0))
        throw std::runtime_error("--temperature must be positive");
    // A checkpoint written by train (verified against its manifest), or a plain folder.
    const io::checkpoint_dir ckpt(model);
    auto w = io::load_tensors((ckpt.exists() ? ckpt.verify({"model.safetensors"}) : model) +
                              "/model.safetensors");
    generator g(seed);
    CharModel m(CharModel::from_metadata(w.metadata), g);
    m.load_state_dict(w.tensors);
    m.eval();
    text::char_vocabulary vocab(m.cfg.chars);
    no_grad guard;
    std::vector<cell_state> states;
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
