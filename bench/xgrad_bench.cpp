// xgrad-bench: trains one benchmark workload for a number of steps and prints one JSON line
// (workload parameters, threads, ms per step, tokens/s, GFLOP/s, heap allocations per step,
// peak RSS). The named workloads W0-W5 are those of bench/README.md; every parameter can also be
// given directly.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sys/resource.h>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/common/heap_count.hpp"
#include "examples/rnnlm/model.hpp"
#include "examples/tagger/model.hpp"
#include "examples/translate/model.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/init.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/clip.hpp"
#include "xgrad/optim/sgd.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace
{

struct workload
{
    std::string id = "custom", cell = "lstm", optim = "sgd", state = "zero", dtype = "f32";
    std::size_t vocab = 50, embed = 16, hidden = 32, layers = 1, batch = 1, seq = 50, outputs = 0,
                threads = 1, steps = 0, reps = 3, warmup = 5;
    bool bidirectional = false;
    double lr = 0.1, clip = 0, min_time = 3.0;
    bool tutorial = false; // W0: one-hot input through U, no biases, summed loss
    // W6: examples/translate's model (bi-GRU encoder of `hidden` per direction, additive
    // attention, GRU decoder of dec_hidden with input feeding); seq is both source and target
    // length, vocab both vocabularies.
    bool seq2seq = false;
    std::size_t dec_hidden = 512;
    // W7: examples/tagger's model (character BiLSTM over the batch's distinct words, word
    // embedding, BiLSTM stack, CRF) on synthetic sentences of `seq` words from a lexicon of
    // `vocab` random words, `outputs` tags.
    bool tagger_crf = false;
    std::size_t char_embed = 32, char_hidden = 64;
    double char_macs_per_token = 0; // measured on the batch pool (distinct words only)
    // W8: examples/speech's recogniser (stacked BiLSTM over `embed` features per frame, linear
    // to `outputs` classes, fused CTC) on random frames and targets of 1-7 labels.
    bool speech_ctc = false;
};

workload named(const std::string& id)
{
    workload w;
    w.id = id;
    if (id == "W0")
    {
        w.tutorial = true;
        w.cell = "rnn";
        w.vocab = 8000, w.embed = 0, w.hidden = 100, w.batch = 1, w.seq = 20, w.lr = 0.005;
    }
    else if (id == "W1")
        w.vocab = 65, w.embed = 64, w.hidden = 256, w.layers = 2, w.batch = 32, w.seq = 100,
        w.optim = "adam", w.lr = 2e-3, w.clip = 5.0, w.state = "carried";
    else if (id == "W2")
        w.vocab = 50, w.embed = 16, w.hidden = 32, w.batch = 1, w.seq = 50, w.lr = 0.1;
    else if (id == "W3")
        w.vocab = 10000, w.embed = 512, w.hidden = 1024, w.batch = 64, w.seq = 35, w.lr = 1.0,
        w.state = "carried";
    else if (id == "W4")
        w.vocab = 5000, w.embed = 100, w.hidden = 128, w.layers = 2, w.bidirectional = true,
        w.batch = 16, w.seq = 40, w.outputs = 20, w.optim = "adam", w.lr = 1e-3;
    else if (id == "W5")
        w.cell = "gru", w.vocab = 8000, w.embed = 128, w.hidden = 256, w.batch = 32, w.seq = 35,
        w.optim = "adam", w.lr = 1e-3, w.state = "carried";
    else if (id == "W6")
        w.seq2seq = true, w.cell = "gru", w.vocab = 8000, w.embed = 256, w.hidden = 256,
        w.batch = 64, w.seq = 12, w.optim = "adam", w.lr = 1e-3;
    else if (id == "W7")
        w.tagger_crf = true, w.cell = "lstm", w.vocab = 5000, w.embed = 100, w.hidden = 128,
        w.layers = 2, w.bidirectional = true, w.batch = 32, w.seq = 40, w.outputs = 17,
        w.optim = "adam", w.lr = 1e-3;
    else if (id == "W8")
        w.speech_ctc = true, w.cell = "lstm", w.vocab = 12, w.embed = 120, w.hidden = 256,
        w.layers = 2, w.bidirectional = true, w.batch = 16, w.seq = 150, w.outputs = 12,
        w.optim = "adam", w.lr = 1e-3, w.clip = 5.0;
    else
        throw std::runtime_error("unknown --workload " + id + " (W0..W8)");
    return w;
}

// The model: embedding -> recurrent stack -> linear -> softmax; W0 is the tutorial's language
// model itself (examples/rnnlm): U x_t a row lookup, s_t = tanh(U x_t + W s_{t-1}), V s_t.
struct BenchModel : Module
{
    workload w;
    std::shared_ptr<rnnlm::Model> tutorial;
    std::shared_ptr<mt::Seq2Seq> translator;
    std::shared_ptr<tagger::tagger_model> tagger_net;
    std::vector<tagger::batch> tag_batches; // W7's pool
    std::size_t next_tag_batch = 0;
    // W8's pool: frames [seq, batch, embed] and each utterance's labels.
    std::vector<std::pair<Tensor, std::vector<std::vector<std::int64_t>>>> speech_batches;
    std::vector<std::int64_t> frame_counts; // W8's input lengths, every frame
    std::map<const std::int64_t*, std::pair<mt::padded, mt::padded>> padded_batches; // W6
    generator dropout_rng{7}; // unused: W6 runs without dropout
    std::shared_ptr<Embedding> embed;
    std::shared_ptr<RNNBase> rnn;
    std::shared_ptr<Linear> head;

    BenchModel(const workload& wl, generator& g) : w(wl)
    {
        if (w.tutorial)
        {
            tutorial = register_module("lm", std::make_shared<rnnlm::Model>(
                                                 rnnlm::config{"rnn", 1, w.hidden, w.vocab}, g));
            return;
        }
        if (w.tagger_crf)
        {
            build_tagger(g);
            return;
        }
        if (w.seq2seq)
        {
            mt::model_config c;
            c.cell = w.cell, c.attention = "additive", c.src_vocab = c.tgt_vocab = w.vocab;
            c.embed = w.embed, c.hidden = w.hidden, c.dec_hidden = w.dec_hidden;
            c.attention_size = w.hidden, c.dropout = 0;
            translator = register_module("mt", std::make_shared<mt::Seq2Seq>(c, g));
            return;
        }
        rnn_options o;
        o.num_layers = w.layers;
        o.bidirectional = w.bidirectional;
        const cell_type t = w.cell == "lstm"  ? cell_type::lstm
                            : w.cell == "gru" ? cell_type::gru
                                              : cell_type::rnn;
        if (w.speech_ctc)
            build_speech_pool(g);
        else
            embed = register_module("embed", std::make_shared<Embedding>(w.vocab, w.embed, g));
        rnn = register_module("rnn", std::make_shared<RNNBase>(t, w.embed, w.hidden, o, g));
        head =
            register_module("head", std::make_shared<Linear>((w.bidirectional ? 2 : 1) * w.hidden,
                                                             w.outputs, true, g));
    }

    // W7: 16 batches of `batch` sentences of `seq` words drawn uniformly from a lexicon of
    // `vocab` random lowercase words of 2-10 letters, tags uniform over `outputs` (names that
    // are not BIO, so the CRF has no forbidden moves). The data pool is built here, untimed.
    void build_tagger(generator& g)
    {
        std::vector<std::string> lexicon(w.vocab);
        for (auto& word : lexicon)
        {
            const std::size_t n = 2 + g.below(9);
            for (std::size_t i = 0; i < n; ++i)
                word += char('a' + g.below(26));
        }
        std::vector<tagger::sentence> data(16 * w.batch);
        for (auto& s : data)
            for (std::size_t t = 0; t < w.seq; ++t)
            {
                s.words.push_back(lexicon[g.below(w.vocab)]);
                s.tags.push_back(fmt::format("T{:02d}", g.below(w.outputs)));
            }
        tagger::model_config c;
        c.word_dim = w.embed, c.char_dim = w.char_embed, c.char_hidden = w.char_hidden;
        c.hidden = w.hidden, c.layers = w.layers, c.output = "crf", c.dropout = 0;
        auto words = tagger::vocabulary::build(data, 1);
        auto tags = tagger::tag_set::build(data);
        tagger_net = register_module(
            "tagger", std::make_shared<tagger::tagger_model>(c, words, tags, dropout_rng));
        double chars = 0;
        for (std::size_t k = 0; k < 16; ++k)
        {
            std::vector<std::size_t> which;
            for (std::size_t i = 0; i < w.batch; ++i)
                which.push_back(k * w.batch + i);
            tag_batches.push_back(tagger::make_batch(data, which, words, tags, c.max_chars));
            for (std::size_t n : tag_batches.back().char_lengths)
                chars += double(n);
        }
        // Both directions of the character LSTM over every character of the distinct words.
        const double per_char = 2.0 * 4 * w.char_hidden * double(w.char_embed + w.char_hidden);
        w.char_macs_per_token = per_char * chars / double(16 * w.batch * w.seq);
    }

    // W8: 16 batches of random N(0, 1) frames (as CMVN leaves features) with targets of 1-7
    // labels uniform over the non-blank classes; built here, untimed.
    void build_speech_pool(generator& g)
    {
        for (std::size_t k = 0; k < 16; ++k)
        {
            Tensor x = Tensor::empty({w.seq, w.batch, w.embed}, f32);
            for (std::size_t i = 0; i < x.numel(); ++i)
                x.data<float>()[i] = static_cast<float>(g.normal());
            std::vector<std::vector<std::int64_t>> labels(w.batch);
            for (auto& l : labels)
                for (std::size_t n = 1 + g.below(7); n > 0; --n)
                    l.push_back(static_cast<std::int64_t>(1 + g.below(w.outputs - 1)));
            speech_batches.emplace_back(x, labels);
        }
    }

    Variable loss(const std::vector<std::int64_t>& x, const std::vector<std::int64_t>& y,
                  state_list& carried)
    {
        if (w.speech_ctc)
        {
            const auto& [frames, labels] = speech_batches[next_tag_batch++ % 16];
            Variable in(w.dtype == "f64" ? frames.to(f64) : frames);
            ctc_options o;
            o.zero_infinity = true;
            frame_counts.assign(w.batch, std::int64_t(w.seq)); // capacity kept across steps
            return ctc_loss_from_logits(head->forward(rnn->forward(in).output), labels,
                                        frame_counts, o);
        }
        if (w.tagger_crf)
            return tagger_net->loss(tag_batches[next_tag_batch++ % tag_batches.size()]);
        if (w.seq2seq) // x: source ids, y: target ids, both [seq, batch]; teacher forcing
        {
            // The pool's batches as the translator takes them, built on first use (data
            // preparation, untimed in steady state like every harness's pool).
            auto [it, fresh] = padded_batches.try_emplace(x.data());
            if (fresh)
                it->second = {
                    mt::padded{x, std::vector<std::size_t>(w.batch, w.seq), w.seq, w.batch},
                    mt::padded{y, std::vector<std::size_t>(w.batch, w.seq), w.seq, w.batch}};
            return translator->loss(it->second.first, it->second.second, 1.0, dropout_rng);
        }
        cross_entropy_options o;
        if (w.tutorial)
        {
            o.reduce = reduction::sum; // the tutorial's BPTT gradient is the summed loss's
            return cross_entropy(tutorial->logits(x, w.seq, w.batch, {}, {}), y, o);
        }
        sequence_output out = rnn->forward(embed->forward(x, {w.seq, w.batch}), {},
                                           w.state == "carried" ? carried : state_list{});
        if (w.state == "carried")
        {
            carried = carry(out.states);
        }
        return cross_entropy(head->forward(out.output), y, o);
    }
};

double flops_per_step(const workload& w)
{
    // WORKLOADS.md: 6 x forward MACs per token x tokens (W0: W and V only).
    const double G = w.cell == "lstm" ? 4 : w.cell == "gru" ? 3 : 1;
    const double D = w.bidirectional ? 2 : 1;
    double macs = 0;
    if (w.tagger_crf)
    {
        // Character features (measured per token on the pool), the word BiLSTM layers on
        // [word embedding; 2 x char hidden], the output layer; the CRF's K^2 per word is not a
        // matrix product.
        macs = w.char_macs_per_token;
        for (std::size_t l = 0; l < w.layers; ++l)
        {
            const double in = l == 0 ? double(w.embed + 2 * w.char_hidden) : 2.0 * w.hidden;
            macs += 2.0 * 4 * w.hidden * (in + w.hidden);
        }
        macs += 2.0 * w.hidden * double(w.outputs);
        return 6.0 * macs * double(w.batch * w.seq);
    }
    if (w.seq2seq)
    {
        // Per source token: both encoder directions and the key projection; per target token:
        // the decoder GRU (input [embed; feed]), query projection, scores and context over
        // the source, the combine layer and the output layer.
        const double H = w.hidden, E = w.embed, Hd = w.dec_hidden, A = w.hidden, S = w.seq;
        const double src = 2 * 3 * H * (E + H) + 2 * H * A;
        const double tgt = 3 * Hd * (E + Hd + Hd) + Hd * A + S * (A + 2 * H) + (2 * H + Hd) * Hd +
                           Hd * double(w.outputs);
        return 6.0 * (src + tgt) * double(w.batch * w.seq);
    }
    if (w.tutorial)
        macs = double(w.hidden) * w.hidden + double(w.hidden) * w.outputs;
    else
    {
        for (std::size_t l = 0; l < w.layers; ++l)
        {
            const double in = l == 0 ? w.embed : D * w.hidden;
            macs += D * G * w.hidden * (in + w.hidden);
        }
        macs += D * w.hidden * w.outputs;
    }
    return 6.0 * macs * double(w.batch * w.seq);
}

} // namespace

int main(int argc, char** argv)
{
    std::string id;
    workload w;
    std::uint64_t seed = 0;
    // First pass: the workload fills the defaults, explicit flags override them.
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--workload")
            id = argv[i + 1];
    try
    {
        if (!id.empty())
            w = named(id);
        cli::flags f("usage: xgrad-bench [--workload W0..W8] [options]\n"
                     "Trains one workload (see bench/README.md) and prints one JSON line.");
        f.add("workload", id, "W0 | W1 | ... | W8 (fills every other option)");
        f.add("cell", w.cell, "rnn | lstm | gru");
        f.add("vocab", w.vocab, "vocabulary (input classes)");
        f.add("embed", w.embed, "embedding width");
        f.add("hidden", w.hidden, "hidden size per direction");
        f.add("layers", w.layers, "recurrent layers");
        f.add("bidirectional", w.bidirectional, "bidirectional layers");
        f.add("batch", w.batch, "batch size");
        f.add("seq", w.seq, "time steps per batch");
        f.add("outputs", w.outputs, "output classes (0: = vocab)");
        f.add("optim", w.optim, "sgd | adam");
        f.add("lr", w.lr, "learning rate");
        f.add("clip", w.clip, "global gradient-norm clip (0: none)");
        f.add("state", w.state, "zero | carried (detached final state of the previous step)");
        f.add("threads", w.threads, "BLAS threads");
        f.add("steps", w.steps, "timed steps per repetition (0: enough for --min-time)");
        f.add("min-time", w.min_time, "seconds per repetition when --steps is 0");
        f.add("reps", w.reps, "repetitions");
        f.add("warmup", w.warmup, "untimed steps first");
        f.add("dtype", w.dtype, "f32 | f64");
        f.add("seed", seed, "data and initialisation seed", 0);
        f.parse(argc, argv);
        if (w.outputs == 0)
            w.outputs = w.vocab;
        if (w.dtype != "f32" && w.dtype != "f64")
            throw std::runtime_error("--dtype must be f32 or f64");
        set_num_threads(static_cast<int>(w.threads));

        generator g(seed);
        BenchModel m(w, g);
        if (w.dtype == "f64")
            m.to(f64);
        std::vector<Variable> params;
        for (auto& p : m.parameters())
            if (p.requires_grad())
                params.push_back(p);
        std::size_t n_params = 0;
        for (auto& p : params)
            n_params += p.numel();
        std::unique_ptr<optim::Optimizer> opt;
        if (w.optim == "adam")
            opt = std::make_unique<optim::Adam>(params, optim::adam_options{w.lr});
        else
            opt = std::make_unique<optim::SGD>(params, optim::sgd_options{w.lr});

        // A pool of 16 batches of random ids; LM workloads read seq+1 tokens per column.
        struct batch_t
        {
            std::vector<std::int64_t> x, y;
        };
        std::vector<batch_t> pool(16);
        const bool tagger = w.outputs != w.vocab;
        for (auto& b : pool)
        {
            std::vector<std::int64_t> tokens((w.seq + 1) * w.batch);
            for (auto& t : tokens) // W6: ids past translate's 4 special ones
                t = static_cast<std::int64_t>(w.seq2seq ? 4 + g.below(w.vocab - 4)
                                                        : g.below(w.vocab));
            b.x.assign(tokens.begin(),
                       tokens.begin() + static_cast<std::ptrdiff_t>(w.seq * w.batch));
            if (w.seq2seq) // an independent target sentence
                for (std::size_t i = 0; i < w.seq * w.batch; ++i)
                    b.y.push_back(static_cast<std::int64_t>(4 + g.below(w.vocab - 4)));
            else if (tagger)
                for (std::size_t i = 0; i < w.seq * w.batch; ++i)
                    b.y.push_back(static_cast<std::int64_t>(g.below(w.outputs)));
            else
                b.y.assign(tokens.begin() + static_cast<std::ptrdiff_t>(w.batch), tokens.end());
        }

        state_list carried;
        std::size_t k = 0;
        double first_loss = -1;
        auto step = [&] {
            const batch_t& b = pool[k++ % pool.size()];
            opt->zero_grad();
            Variable loss = m.loss(b.x, b.y, carried);
            if (first_loss < 0)
                first_loss = loss.item() / (w.tutorial ? double(w.seq * w.batch) : 1.0);
            loss.backward();
            if (w.clip > 0)
                optim::clip_grad_norm(params, w.clip);
            opt->step();
        };
        using clock = std::chrono::steady_clock;
        for (std::size_t i = 0; i < w.warmup; ++i)
            step();
        std::size_t steps = w.steps;
        if (steps == 0)
        {
            const auto t0 = clock::now();
            std::size_t n = 0;
            while (std::chrono::duration<double>(clock::now() - t0).count() < 0.3 || n < 2)
            {
                step();
                ++n;
            }
            const double per = std::chrono::duration<double>(clock::now() - t0).count() / double(n);
            steps = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(w.min_time / per)));
        }
        std::vector<double> ms;
        ms.reserve(w.reps); // growing it in the last repetition would count as the steps'
        // Allocations are counted over the last repetition: the steady state, after the warm-up
        // and the earlier repetitions have seen the pool's batches (their shapes differ in W7, W8).
        std::uint64_t allocs0 = 0, fresh0 = 0;
        for (std::size_t r = 0; r < w.reps; ++r)
        {
            if (r + 1 == w.reps)
            {
                allocs0 = cli::heap_allocations();
                fresh0 = thread_memory_stats().fresh_allocations;
            }
            const auto t0 = clock::now();
            for (std::size_t i = 0; i < steps; ++i)
                step();
            ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count() /
                         double(steps));
        }
        const double allocs = double(cli::heap_allocations() - allocs0) / double(steps);
        const double fresh =
            double(thread_memory_stats().fresh_allocations - fresh0) / double(steps);
        std::vector<double> sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        const double med = sorted[sorted.size() / 2], lo = sorted.front(), hi = sorted.back();
        const double tokens = double(w.batch * w.seq);
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        fmt::print(
            "{{\"impl\": \"xgrad\", \"workload\": \"{}\", \"cell\": \"{}\", \"vocab\": {}, "
            "\"embed\": {}, \"hidden\": {}, \"layers\": {}, \"bidirectional\": {}, \"batch\": {}, "
            "\"seq\": {}, \"outputs\": {}, \"optim\": \"{}\", \"lr\": {}, \"clip\": {}, "
            "\"state\": \"{}\", \"dtype\": \"{}\", \"threads\": {}, \"steps\": {}, \"reps\": {}, "
            "\"ms_per_step\": {{\"median\": {:.4f}, \"min\": {:.4f}, \"max\": {:.4f}}}, "
            "\"tokens_per_s\": {{\"median\": {:.1f}, \"min\": {:.1f}, \"max\": {:.1f}}}, "
            "\"gflops\": {:.2f}, \"first_loss\": {:.4f}, \"ln_classes\": {:.4f}, "
            "\"heap_allocs_per_step\": {:.1f}, \"fresh_tensor_blocks_per_step\": {:.2f}, "
            "\"peak_rss_mb\": {:.1f}, \"params\": {}, \"blas_core\": \"{}\"}}\n",
            w.id, w.cell, w.vocab, w.embed, w.hidden, w.layers, w.bidirectional, w.batch, w.seq,
            w.outputs, w.optim, w.lr, w.clip, w.state, w.dtype, w.threads, steps, w.reps, med, lo,
            hi, tokens / med * 1e3, tokens / hi * 1e3, tokens / lo * 1e3,
            flops_per_step(m.w) / med * 1e-6, first_loss, std::log(double(w.outputs)), allocs,
            fresh, double(ru.ru_maxrss) / 1024.0, n_params, blas_core_name());
        return 0;
    }
    catch (const std::exception& e)
    {
        fmt::print(stderr, "xgrad-bench: error: {}\n", e.what());
        return 1;
    }
}
