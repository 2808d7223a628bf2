// libtorch-bench: the anchor workloads W0-W8 (bench/README.md) in LibTorch, PyTorch's C++ API,
// the alternative a C++ user actually has. Same flags and JSON fields as xgrad-bench, so
// bench/compare can run the two alternately. Written the way LibTorch's examples (and
// bench/pytorch_reference.py's torch-fused models, line for line) write them: W1-W5 as a
// language model or tagger with torch::nn::Embedding, the fused torch::nn::LSTM/GRU, Linear,
// cross_entropy, torch::optim::SGD/Adam, clip_grad_norm_, the final state detached and carried;
// W0 the tutorial RNN as PyTorch realises it (WORKLOADS.md: Embedding holding U^T, nn::RNN with
// its input weight frozen to the identity, V without bias, SGD on the summed loss); W6 the
// translator (GRU encoder, a GRUCell decoder loop with additive attention and input feeding);
// W7 the tagger (a packed LSTM over the batch's distinct words' characters, a 2-layer BiLSTM,
// a batched CRF forward algorithm); W8 the recogniser (2-layer BiLSTM, log_softmax, ctc_loss).
//
// Threads: Debian's libtorch computes GEMMs in the pthread OpenBLAS, whose pool is sized from
// OPENBLAS_NUM_THREADS when it loads, and elementwise ops in its own OpenMP pool. The setting
// bench/pytorch_reference.py measured fastest on this 2-core machine is used: OpenBLAS with
// --threads threads, torch's intra-op pool at 1 thread, passive OpenMP waits. The program
// re-executes itself once to put that environment in place before the libraries load.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "examples/common/heap_count.hpp"

namespace
{

struct workload
{
    std::string id, cell;
    long vocab, embed, hidden, layers;
    bool bidirectional;
    long batch, seq, outputs;
    std::string optim;
    double lr, clip;
    std::string state;
};

// WORKLOADS.md, as bench/pytorch_reference.py's table.
const std::map<std::string, workload> table = {
    {"W0", {"W0", "rnn", 8000, 0, 100, 1, false, 1, 20, 8000, "sgd", 0.005, 0, "zero"}},
    {"W1", {"W1", "lstm", 65, 64, 256, 2, false, 32, 100, 65, "adam", 2e-3, 5, "carried"}},
    {"W2", {"W2", "lstm", 50, 16, 32, 1, false, 1, 50, 50, "sgd", 0.1, 0, "zero"}},
    {"W3", {"W3", "lstm", 10000, 512, 1024, 1, false, 64, 35, 10000, "sgd", 1.0, 0, "carried"}},
    {"W4", {"W4", "lstm", 5000, 100, 128, 2, true, 16, 40, 20, "adam", 1e-3, 0, "zero"}},
    {"W5", {"W5", "gru", 8000, 128, 256, 1, false, 32, 35, 8000, "adam", 1e-3, 0, "carried"}},
    {"W6", {"W6", "gru", 8000, 256, 256, 1, true, 64, 12, 8000, "adam", 1e-3, 0, "zero"}},
    {"W7", {"W7", "lstm", 5000, 100, 128, 2, true, 32, 40, 17, "adam", 1e-3, 0, "zero"}},
    {"W8", {"W8", "lstm", 12, 120, 256, 2, true, 16, 150, 12, "adam", 1e-3, 5, "zero"}},
};
// W6's decoder and W7's character model, as bench/pytorch_reference.py.
constexpr long w6_dec_hidden = 512;
constexpr long w7_char_embed = 32, w7_char_hidden = 64, w7_max_chars = 20;
constexpr long w8_max_labels = 7;

[[noreturn]] void usage(int code)
{
    std::fprintf(code ? stderr : stdout,
                 "usage: libtorch-bench --workload W0..W8 [--threads N] [--steps N] [--reps N]\n"
                 "                      [--warmup N] [--min-time S] [--seed N]\n"
                 "Trains one workload in LibTorch and prints one JSON line (the fields of "
                 "xgrad-bench).\n");
    std::exit(code);
}

struct options
{
    std::string workload = "W1";
    int threads = 1;
    long steps = 0, reps = 3, warmup = 5, seed = 0;
    double min_time = 3;
};

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i)
    {
        const std::string a = argv[i];
        if (a == "--help")
            usage(0);
        if (i + 1 >= argc)
            usage(2);
        const std::string v = argv[++i];
        try
        {
            if (a == "--workload")
                o.workload = v;
            else if (a == "--threads")
                o.threads = std::stoi(v);
            else if (a == "--steps")
                o.steps = std::stol(v);
            else if (a == "--reps")
                o.reps = std::stol(v);
            else if (a == "--warmup")
                o.warmup = std::stol(v);
            else if (a == "--min-time")
                o.min_time = std::stod(v);
            else if (a == "--seed")
                o.seed = std::stol(v);
            else
                usage(2);
        }
        catch (const std::exception&)
        {
            std::fprintf(stderr, "libtorch-bench: %s: not a number: %s\n", a.c_str(), v.c_str());
            std::exit(2);
        }
    }
    if (!table.count(o.workload))
    {
        std::fprintf(stderr, "libtorch-bench: --workload %s: this program has W0..W8\n",
                     o.workload.c_str());
        std::exit(2);
    }
    if (o.threads < 1 || o.reps < 1 || o.warmup < 1 || o.steps < 0 || !(o.min_time > 0))
    {
        std::fprintf(stderr, "libtorch-bench: --threads, --reps and --warmup must be >= 1, "
                             "--steps >= 0 and --min-time > 0\n");
        std::exit(2);
    }
    return o;
}

// Puts the thread environment in place and re-executes once (see the top of the file).
void setup_threads(int threads, char** argv)
{
    const std::string blas = std::to_string(threads);
    const std::pair<const char*, std::string> want[] = {
        {"OPENBLAS_NUM_THREADS", blas}, {"OMP_NUM_THREADS", "1"}, {"OMP_WAIT_POLICY", "PASSIVE"}};
    bool same = true;
    for (const auto& [k, v] : want)
    {
        const char* have = std::getenv(k);
        same = same && have && v == have;
    }
    if (same)
        return;
    if (std::getenv("XGRAD_LIBTORCH_REEXEC"))
    {
        std::fprintf(stderr, "libtorch-bench: environment not applied after re-exec\n");
        std::exit(1);
    }
    for (const auto& [k, v] : want)
        setenv(k, v.c_str(), 1);
    setenv("XGRAD_LIBTORCH_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    std::perror("libtorch-bench: execv");
    std::exit(1);
}

// W0-W5: embedding (W0: U^T, its rows the tutorial's columns) -> fused recurrent stack ->
// linear.
struct Model : torch::nn::Module
{
    explicit Model(const workload& w) : w(w)
    {
        const bool tutorial = w.embed == 0;
        const long in0 = tutorial ? w.hidden : w.embed;
        embed = register_module("embed", torch::nn::Embedding(w.vocab, in0));
        if (w.cell == "lstm")
            lstm = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(in0, w.hidden)
                                                              .num_layers(w.layers)
                                                              .bidirectional(w.bidirectional)));
        else if (w.cell == "gru")
            gru = register_module("rnn", torch::nn::GRU(torch::nn::GRUOptions(in0, w.hidden)
                                                            .num_layers(w.layers)
                                                            .bidirectional(w.bidirectional)));
        else
            rnn = register_module(
                "rnn",
                torch::nn::RNN(
                    torch::nn::RNNOptions(in0, w.hidden).num_layers(w.layers).bias(!tutorial)));
        decoder = register_module(
            "decoder", torch::nn::Linear(
                           torch::nn::LinearOptions((w.bidirectional ? 2 : 1) * w.hidden, w.outputs)
                               .bias(!tutorial)));
        if (tutorial)
        {
            // WORKLOADS.md: U, V, W ~ U(+-1/sqrt(vocab)), U(+-1/sqrt(hidden)); the input weight
            // is the identity, frozen (executed, not counted in the FLOPs).
            torch::NoGradGuard no_grad;
            embed->weight.uniform_(-1 / std::sqrt(double(w.vocab)), 1 / std::sqrt(double(w.vocab)));
            const double v = 1 / std::sqrt(double(w.hidden));
            decoder->weight.uniform_(-v, v);
            rnn->named_parameters()["weight_hh_l0"].uniform_(-v, v);
            torch::Tensor ih = rnn->named_parameters()["weight_ih_l0"];
            ih.copy_(torch::eye(w.hidden));
            ih.set_requires_grad(false);
        }
    }

    // x [seq, batch] -> logits [seq, batch, outputs]; `state` is read and replaced.
    torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor>& state)
    {
        torch::Tensor out, e = embed->forward(x);
        if (lstm)
        {
            auto r = state.empty() ? lstm->forward(e)
                                   : lstm->forward(e, std::make_tuple(state[0], state[1]));
            out = std::get<0>(r);
            state = {std::get<0>(std::get<1>(r)), std::get<1>(std::get<1>(r))};
        }
        else
        {
            auto r = gru ? (state.empty() ? gru->forward(e) : gru->forward(e, state[0]))
                         : (state.empty() ? rnn->forward(e) : rnn->forward(e, state[0]));
            out = std::get<0>(r);
            state = {std::get<1>(r)};
        }
        return decoder->forward(out);
    }

    workload w;
    torch::nn::Embedding embed{nullptr};
    torch::nn::LSTM lstm{nullptr};
    torch::nn::GRU gru{nullptr};
    torch::nn::RNN rnn{nullptr};
    torch::nn::Linear decoder{nullptr};
};

// W6: bi-GRU encoder, bridge, GRUCell decoder with additive attention and input feeding, the
// output layer once over all steps (teacher forcing).
struct Seq2Seq : torch::nn::Module
{
    Seq2Seq(long V, long E, long H, long Hd) : hd(Hd)
    {
        namespace nn = torch::nn;
        src_embed = register_module("src_embed", nn::Embedding(V, E));
        tgt_embed = register_module("tgt_embed", nn::Embedding(V, E));
        encoder = register_module("encoder", nn::GRU(nn::GRUOptions(E, H).bidirectional(true)));
        bridge = register_module("bridge", nn::Linear(2 * H, Hd));
        cell = register_module("cell", nn::GRUCell(E + Hd, Hd));
        query_proj =
            register_module("query_proj", nn::Linear(nn::LinearOptions(Hd, H).bias(false)));
        key_proj = register_module("key_proj", nn::Linear(nn::LinearOptions(2 * H, H).bias(false)));
        v = register_module("v", nn::Linear(nn::LinearOptions(H, 1).bias(false)));
        combine = register_module("combine", nn::Linear(2 * H + Hd, Hd));
        out = register_module("out", nn::Linear(Hd, V));
    }

    torch::Tensor forward(const torch::Tensor& src, const torch::Tensor& tgt)
    {
        auto [enc, h_n] = encoder->forward(src_embed->forward(src)); // [S, B, 2H], [2, B, H]
        torch::Tensor h = torch::tanh(bridge->forward(torch::cat({h_n[0], h_n[1]}, 1)));
        torch::Tensor values = enc.transpose(0, 1); // [B, S, 2H]
        torch::Tensor keys = key_proj->forward(values);
        torch::Tensor feed = torch::zeros({src.size(1), hd});
        torch::Tensor prev = torch::full({src.size(1)}, 2, torch::kLong); // <s>
        std::vector<torch::Tensor> outs;
        for (long t = 0; t < tgt.size(0); ++t)
        {
            h = cell->forward(torch::cat({tgt_embed->forward(prev), feed}, 1), h);
            torch::Tensor e =
                v->forward(torch::tanh(keys + query_proj->forward(h).unsqueeze(1))).squeeze(2);
            torch::Tensor ctx = torch::bmm(torch::softmax(e, 1).unsqueeze(1), values).squeeze(1);
            feed = torch::tanh(combine->forward(torch::cat({ctx, h}, 1)));
            outs.push_back(feed);
            prev = tgt[t]; // teacher forcing
        }
        return out->forward(torch::stack(outs));
    }

    long hd;
    torch::nn::Embedding src_embed{nullptr}, tgt_embed{nullptr};
    torch::nn::GRU encoder{nullptr};
    torch::nn::GRUCell cell{nullptr};
    torch::nn::Linear bridge{nullptr}, query_proj{nullptr}, key_proj{nullptr}, v{nullptr},
        combine{nullptr}, out{nullptr};
};

// W7's batches: words, the batch's distinct words as characters, each token's distinct word.
struct tag_batch
{
    torch::Tensor words, chars, char_lengths, token_word, tags;
};

// W7: character BiLSTM features of each distinct word (packed), 2-layer BiLSTM over
// [word embedding; char features], emissions, CRF negative log-likelihood per token.
struct Tagger : torch::nn::Module
{
    Tagger(long words, long E, long H, long L, long K, long S, long B) : S(S), B(B)
    {
        namespace nn = torch::nn;
        word_embed = register_module("word_embed",
                                     nn::Embedding(nn::EmbeddingOptions(words, E).padding_idx(0)));
        char_embed = register_module(
            "char_embed", nn::Embedding(nn::EmbeddingOptions(257, w7_char_embed).padding_idx(0)));
        char_rnn = register_module(
            "char_rnn",
            nn::LSTM(nn::LSTMOptions(w7_char_embed, w7_char_hidden).bidirectional(true)));
        rnn = register_module(
            "rnn",
            nn::LSTM(nn::LSTMOptions(E + 2 * w7_char_hidden, H).num_layers(L).bidirectional(true)));
        head = register_module("head", nn::Linear(2 * H, K));
        start = register_parameter("start", torch::empty({K}).uniform_(-0.1, 0.1));
        end = register_parameter("end", torch::empty({K}).uniform_(-0.1, 0.1));
        trans = register_parameter("trans", torch::empty({K, K}).uniform_(-0.1, 0.1));
    }

    torch::Tensor forward(const tag_batch& b)
    {
        namespace rnn_utils = torch::nn::utils::rnn;
        auto packed = rnn_utils::pack_padded_sequence(char_embed->forward(b.chars), b.char_lengths,
                                                      /*batch_first=*/false,
                                                      /*enforce_sorted=*/false);
        auto [unused, hc] = char_rnn->forward_with_packed_input(packed);
        const torch::Tensor& h = std::get<0>(hc); // [2, distinct, char hidden]
        torch::Tensor cf =
            torch::cat({h[0], h[1]}, 1).index_select(0, b.token_word).view({S, B, -1});
        torch::Tensor out =
            std::get<0>(rnn->forward(torch::cat({word_embed->forward(b.words), cf}, 2)));
        torch::Tensor e = head->forward(out); // [S, B, K]
        torch::Tensor alpha = start + e[0];
        for (long t = 1; t < S; ++t)
            alpha = torch::logsumexp(alpha.unsqueeze(2) + trans, 1) + e[t];
        torch::Tensor log_z = torch::logsumexp(alpha + end, 1);
        const torch::Tensor& y = b.tags;
        torch::Tensor gold = start.index_select(0, y[0]) +
                             e.gather(2, y.unsqueeze(2)).squeeze(2).sum(0) +
                             trans.index({y.slice(0, 0, S - 1), y.slice(0, 1, S)}).sum(0) +
                             end.index_select(0, y[S - 1]);
        return (log_z - gold).sum() / double(S * B);
    }

    long S, B;
    torch::nn::Embedding word_embed{nullptr}, char_embed{nullptr};
    torch::nn::LSTM char_rnn{nullptr}, rnn{nullptr};
    torch::nn::Linear head{nullptr};
    torch::Tensor start, end, trans;
};

// W8: 2-layer BiLSTM over frames, linear to blank + labels, log_softmax, CTC (mean, zero_infinity).
struct Recogniser : torch::nn::Module
{
    Recogniser(long features, long H, long L, long K)
    {
        rnn = register_module(
            "rnn",
            torch::nn::LSTM(torch::nn::LSTMOptions(features, H).num_layers(L).bidirectional(true)));
        head = register_module("head", torch::nn::Linear(2 * H, K));
    }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& targets,
                          const torch::Tensor& input_lengths, const torch::Tensor& target_lengths)
    {
        torch::Tensor lp = torch::log_softmax(head->forward(std::get<0>(rnn->forward(x))), 2);
        return torch::nn::functional::ctc_loss(lp, targets, input_lengths, target_lengths,
                                               torch::nn::functional::CTCLossFuncOptions()
                                                   .reduction(torch::kMean)
                                                   .zero_infinity(true));
    }
    torch::nn::LSTM rnn{nullptr};
    torch::nn::Linear head{nullptr};
};

double matmul_macs_per_token(const workload& w, double char_macs_per_token)
{
    // WORKLOADS.md and bench/README.md: the recurrent layers' and the output layer's products,
    // counted as bench/pytorch_reference.py counts them.
    const double H = double(w.hidden), D = w.bidirectional ? 2 : 1,
                 G = w.cell == "lstm"  ? 4
                     : w.cell == "gru" ? 3
                                       : 1;
    if (w.id == "W7")
    {
        double macs = char_macs_per_token;
        for (long l = 0; l < w.layers; ++l)
            macs += 2 * 4 * H * ((l ? 2 * H : double(w.embed + 2 * w7_char_hidden)) + H);
        return macs + 2 * H * double(w.outputs);
    }
    if (w.id == "W6")
    {
        const double E = double(w.embed), Hd = w6_dec_hidden, A = H, S = double(w.seq);
        const double src = 2 * 3 * H * (E + H) + 2 * H * A;
        const double tgt = 3 * Hd * (E + Hd + Hd) + Hd * A + S * (A + 2 * H) + (2 * H + Hd) * Hd +
                           Hd * double(w.outputs);
        return src + tgt;
    }
    double macs = 0;
    for (long l = 0; l < w.layers; ++l)
        macs += D * G * H * ((l ? D * H : double(w.embed)) + H); // W0: embed 0, U not counted
    return macs + D * H * double(w.outputs);
}

// W7's synthetic data, drawn as bench/pytorch_reference.py draws it: a lexicon of `vocab`
// random lowercase words of 2-10 letters, 16 batches of `batch` sentences of `seq` words,
// uniform tags. Returns the batches; `words` gets the vocabulary size (ids + pad + unk) and
// `char_macs` the character LSTM's multiply-adds per token on this pool.
std::vector<tag_batch> tagger_pool(const workload& w, std::mt19937_64& rng, long& words,
                                   double& char_macs)
{
    std::uniform_int_distribution<int> letter(0, 25), length(2, 10);
    std::uniform_int_distribution<long> pick(0, w.vocab - 1), tag(0, w.outputs - 1);
    std::vector<std::string> lexicon(static_cast<std::size_t>(w.vocab));
    for (auto& word : lexicon)
        for (int n = length(rng), i = 0; i < n; ++i)
            word += char('a' + letter(rng));
    std::vector<std::vector<std::string>> sentences(static_cast<std::size_t>(16 * w.batch));
    std::set<std::string> used;
    for (auto& s : sentences)
        for (long t = 0; t < w.seq; ++t)
            used.insert(s.emplace_back(lexicon[static_cast<std::size_t>(pick(rng))]));
    std::map<std::string, long> ids;
    for (const auto& word : used)
        ids.emplace(word, long(ids.size()) + 2); // 0 pad, 1 unknown
    words = long(ids.size()) + 2;
    std::vector<tag_batch> pool;
    double chars_total = 0;
    for (long k = 0; k < 16; ++k)
    {
        const auto first = sentences.begin() + k * w.batch;
        std::set<std::string> distinct_set;
        for (auto it = first; it != first + w.batch; ++it)
            distinct_set.insert(it->begin(), it->end());
        const std::vector<std::string> distinct(distinct_set.begin(), distinct_set.end());
        std::map<std::string, long> index;
        std::vector<long> lens;
        for (const auto& word : distinct)
        {
            index.emplace(word, long(index.size()));
            lens.push_back(std::min<long>(long(word.size()), w7_max_chars));
            chars_total += double(lens.back());
        }
        const long longest = *std::max_element(lens.begin(), lens.end());
        torch::Tensor chars = torch::zeros({longest, long(distinct.size())}, torch::kLong);
        for (std::size_t j = 0; j < distinct.size(); ++j)
            for (long c = 0; c < lens[j]; ++c)
                chars[c][long(j)] =
                    long(static_cast<unsigned char>(distinct[j][std::size_t(c)])) + 1;
        torch::Tensor word_ids = torch::empty({w.seq, w.batch}, torch::kLong),
                      token_word = torch::empty({w.seq * w.batch}, torch::kLong);
        auto wi = word_ids.accessor<long, 2>();
        auto tw = token_word.accessor<long, 1>();
        for (long t = 0; t < w.seq; ++t)
            for (long b = 0; b < w.batch; ++b)
            {
                const std::string& word = (first + b)->at(std::size_t(t));
                wi[t][b] = ids.at(word);
                tw[t * w.batch + b] = index.at(word);
            }
        torch::Tensor tags = torch::empty({w.seq, w.batch}, torch::kLong);
        auto tg = tags.accessor<long, 2>();
        for (long t = 0; t < w.seq; ++t)
            for (long b = 0; b < w.batch; ++b)
                tg[t][b] = tag(rng);
        pool.push_back({word_ids, chars, torch::tensor(lens), token_word, tags});
    }
    char_macs = 2.0 * 4 * w7_char_hidden * (w7_char_embed + w7_char_hidden) * chars_total /
                double(16 * w.batch * w.seq);
    return pool;
}

} // namespace

int main(int argc, char** argv)
{
    const options o = parse(argc, argv);
    setup_threads(o.threads, argv);
    at::set_num_threads(1);
    const workload& w = table.at(o.workload);
    torch::manual_seed(static_cast<std::uint64_t>(o.seed));
    std::mt19937_64 rng(static_cast<std::uint64_t>(o.seed));

    // One loss per step, from the workload's model and its pool of 16 batches drawn up front.
    std::shared_ptr<torch::nn::Module> module;
    std::function<torch::Tensor(std::size_t)> loss_of;
    std::function<void()> after_step = [] {
    };
    double char_macs = 0;
    if (w.id == "W6")
    {
        auto m = std::make_shared<Seq2Seq>(w.vocab, w.embed, w.hidden, w6_dec_hidden);
        std::vector<std::pair<torch::Tensor, torch::Tensor>> pool;
        for (int k = 0; k < 16; ++k) // ids past the 4 special ones, as examples/translate's
            pool.emplace_back(torch::randint(4, w.vocab, {w.seq, w.batch}, torch::kLong),
                              torch::randint(4, w.vocab, {w.seq, w.batch}, torch::kLong));
        loss_of = [m, pool, &w](std::size_t i) {
            const auto& [src, tgt] = pool[i % pool.size()];
            return torch::nn::functional::cross_entropy(m->forward(src, tgt).reshape({-1, w.vocab}),
                                                        tgt.reshape({-1}));
        };
        module = m;
    }
    else if (w.id == "W7")
    {
        long words = 0;
        std::vector<tag_batch> pool = tagger_pool(w, rng, words, char_macs);
        auto m =
            std::make_shared<Tagger>(words, w.embed, w.hidden, w.layers, w.outputs, w.seq, w.batch);
        loss_of = [m, pool](std::size_t i) {
            return m->forward(pool[i % pool.size()]);
        };
        module = m;
    }
    else if (w.id == "W8")
    {
        auto m = std::make_shared<Recogniser>(w.embed, w.hidden, w.layers, w.outputs);
        struct utterances
        {
            torch::Tensor frames, targets, frame_counts, target_lengths;
        };
        std::vector<utterances> pool;
        std::uniform_int_distribution<long> count(1, w8_max_labels);
        for (int k = 0; k < 16; ++k)
        {
            std::vector<long> lens(static_cast<std::size_t>(w.batch));
            long total = 0;
            for (auto& l : lens)
                total += (l = count(rng));
            pool.push_back({torch::randn({w.seq, w.batch, w.embed}),
                            torch::randint(1, w.outputs, {total}, torch::kLong),
                            torch::full({w.batch}, w.seq, torch::kLong), torch::tensor(lens)});
        }
        loss_of = [m, pool](std::size_t i) {
            const utterances& u = pool[i % pool.size()];
            return m->forward(u.frames, u.targets, u.frame_counts, u.target_lengths);
        };
        module = m;
    }
    else
    {
        auto m = std::make_shared<Model>(w);
        // A language model reads seq + 1 tokens per column (targets shifted by one), a tagger
        // independent tags.
        std::vector<std::pair<torch::Tensor, torch::Tensor>> pool;
        for (int k = 0; k < 16; ++k)
        {
            if (w.outputs == w.vocab)
            {
                torch::Tensor tok = torch::randint(w.vocab, {w.seq + 1, w.batch}, torch::kLong);
                pool.emplace_back(tok.slice(0, 0, w.seq).contiguous(),
                                  tok.slice(0, 1, w.seq + 1).contiguous());
            }
            else
                pool.emplace_back(torch::randint(w.vocab, {w.seq, w.batch}, torch::kLong),
                                  torch::randint(w.outputs, {w.seq, w.batch}, torch::kLong));
        }
        // The state carried from step to step (W1, W3, W5), detached after each update.
        auto state = std::make_shared<std::vector<torch::Tensor>>();
        auto next = std::make_shared<std::vector<torch::Tensor>>();
        using options = torch::nn::functional::CrossEntropyFuncOptions;
        const options ce = w.embed == 0 ? options().reduction(torch::kSum) // W0 sums its loss
                                        : options().reduction(torch::kMean);
        loss_of = [m, pool, state, next, ce, &w](std::size_t i) {
            const auto& [x, y] = pool[i % pool.size()];
            *next = *state;
            torch::Tensor logits = m->forward(x, *next);
            return torch::nn::functional::cross_entropy(logits.reshape({-1, w.outputs}),
                                                        y.reshape({-1}), ce);
        };
        if (w.state == "carried")
            after_step = [state, next] {
                for (auto& t : *next)
                    t = t.detach();
                std::swap(*state, *next);
            };
        module = m;
    }

    std::vector<torch::Tensor> params;
    for (const auto& p : module->parameters())
        if (p.requires_grad())
            params.push_back(p);
    std::unique_ptr<torch::optim::Optimizer> opt;
    if (w.optim == "sgd")
        opt = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(w.lr));
    else
        opt = std::make_unique<torch::optim::Adam>(
            params, torch::optim::AdamOptions(w.lr).betas({0.9, 0.999}).eps(1e-8));

    std::size_t next_batch = 0;
    double first_loss = 0;
    auto step = [&] {
        opt->zero_grad();
        torch::Tensor loss = loss_of(next_batch++);
        loss.backward();
        if (w.clip > 0)
            torch::nn::utils::clip_grad_norm_(params, w.clip);
        opt->step();
        after_step();
        return loss.item<double>();
    };

    using clock = std::chrono::steady_clock;
    for (long i = 0; i < o.warmup; ++i)
    {
        const double l = step();
        if (i == 0) // per token (W0's loss is the sum over its tokens)
            first_loss = w.embed == 0 ? l / double(w.seq * w.batch) : l;
    }
    long steps = o.steps;
    if (steps == 0)
    {
        const auto t0 = clock::now();
        long n = 0;
        while (std::chrono::duration<double>(clock::now() - t0).count() < 0.3 || n < 2)
        {
            step();
            ++n;
        }
        const double per = std::chrono::duration<double>(clock::now() - t0).count() / double(n);
        steps = std::max<long>(1, static_cast<long>(std::ceil(o.min_time / per)));
    }
    std::vector<double> ms;
    ms.reserve(std::size_t(o.reps)); // growing it would count as the steps'
    std::uint64_t allocs0 = 0;       // counted over the last repetition, as xgrad-bench counts
    for (long r = 0; r < o.reps; ++r)
    {
        if (r + 1 == o.reps)
            allocs0 = cli::heap_allocations();
        const auto t0 = clock::now();
        for (long i = 0; i < steps; ++i)
            step();
        ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count() /
                     double(steps));
    }
    const double allocs = double(cli::heap_allocations() - allocs0) / double(steps);
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const double med = sorted[sorted.size() / 2], lo = sorted.front(), hi = sorted.back();
    const double tokens = double(w.batch * w.seq);
    const double flops = 6.0 * matmul_macs_per_token(w, char_macs) * tokens;
    long n_params = 0;
    for (const auto& p : params)
        n_params += p.numel();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf(
        "{\"impl\": \"libtorch\", \"workload\": \"%s\", \"cell\": \"%s\", \"vocab\": %ld, "
        "\"embed\": %ld, \"hidden\": %ld, \"layers\": %ld, \"bidirectional\": %s, \"batch\": %ld, "
        "\"seq\": %ld, \"outputs\": %ld, \"optim\": \"%s\", \"lr\": %g, \"clip\": %g, "
        "\"state\": \"%s\", \"dtype\": \"f32\", \"threads\": %d, \"steps\": %ld, \"reps\": %ld, "
        "\"ms_per_step\": {\"median\": %.4f, \"min\": %.4f, \"max\": %.4f}, "
        "\"tokens_per_s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}, \"gflops\": %.2f, "
        "\"first_loss\": %.4f, \"ln_classes\": %.4f, \"heap_allocs_per_step\": %.1f, "
        "\"peak_rss_mb\": %.1f, \"params\": %ld, \"torch\": \"%s\", \"setting\": "
        "\"OPENBLAS_NUM_THREADS=%d OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE "
        "at::set_num_threads(1)\"}\n",
        w.id.c_str(), w.cell.c_str(), w.vocab, w.embed, w.hidden, w.layers,
        w.bidirectional ? "true" : "false", w.batch, w.seq, w.outputs, w.optim.c_str(), w.lr,
        w.clip, w.state.c_str(), o.threads, steps, o.reps, med, lo, hi, tokens / med * 1e3,
        tokens / hi * 1e3, tokens / lo * 1e3, flops / med * 1e-6, first_loss,
        std::log(double(w.outputs)), allocs, double(ru.ru_maxrss) / 1024.0, n_params, TORCH_VERSION,
        o.threads);
    return 0;
}
