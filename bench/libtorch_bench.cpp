// libtorch-bench: the anchor workloads W1-W5 (bench/README.md) in LibTorch, PyTorch's C++ API,
// the alternative a C++ user actually has. Same flags and JSON fields as xgrad-bench, so
// bench/compare can run the two alternately. Written the way LibTorch's examples write a
// language model: torch::nn::Embedding, the fused torch::nn::LSTM/GRU, Linear, cross_entropy,
// torch::optim::SGD/Adam, clip_grad_norm_, the final state detached and carried.
//
// Threads: Debian's libtorch computes GEMMs in the pthread OpenBLAS, whose pool is sized from
// OPENBLAS_NUM_THREADS when it loads, and elementwise ops in its own OpenMP pool. The setting
// bench/pytorch_reference.py measured fastest on this 2-core machine is used: OpenBLAS with
// --threads threads, torch's intra-op pool at 1 thread, passive OpenMP waits. The program
// re-executes itself once to put that environment in place before the libraries load.
//
// W0 (the tutorial RNN with its own cell), W6 (translator) and W7 (CRF tagger) are not here.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
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
    {"W1", {"W1", "lstm", 65, 64, 256, 2, false, 32, 100, 65, "adam", 2e-3, 5, "carried"}},
    {"W2", {"W2", "lstm", 50, 16, 32, 1, false, 1, 50, 50, "sgd", 0.1, 0, "zero"}},
    {"W3", {"W3", "lstm", 10000, 512, 1024, 1, false, 64, 35, 10000, "sgd", 1.0, 0, "carried"}},
    {"W4", {"W4", "lstm", 5000, 100, 128, 2, true, 16, 40, 20, "adam", 1e-3, 0, "zero"}},
    {"W5", {"W5", "gru", 8000, 128, 256, 1, false, 32, 35, 8000, "adam", 1e-3, 0, "carried"}},
};

[[noreturn]] void usage(int code)
{
    std::fprintf(code ? stderr : stdout,
                 "usage: libtorch-bench --workload W1..W5 [--threads N] [--steps N] [--reps N]\n"
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
        std::fprintf(stderr, "libtorch-bench: --workload %s: this program has W1..W5\n",
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

struct Model : torch::nn::Module
{
    explicit Model(const workload& w) : w(w)
    {
        embed = register_module("embed", torch::nn::Embedding(w.vocab, w.embed));
        if (w.cell == "lstm")
            lstm = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(w.embed, w.hidden)
                                                              .num_layers(w.layers)
                                                              .bidirectional(w.bidirectional)));
        else
            gru = register_module("rnn", torch::nn::GRU(torch::nn::GRUOptions(w.embed, w.hidden)
                                                            .num_layers(w.layers)
                                                            .bidirectional(w.bidirectional)));
        decoder = register_module(
            "decoder", torch::nn::Linear((w.bidirectional ? 2 : 1) * w.hidden, w.outputs));
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
            auto r = state.empty() ? gru->forward(e) : gru->forward(e, state[0]);
            out = std::get<0>(r);
            state = {std::get<1>(r)};
        }
        return decoder->forward(out);
    }

    workload w;
    torch::nn::Embedding embed{nullptr};
    torch::nn::LSTM lstm{nullptr};
    torch::nn::GRU gru{nullptr};
    torch::nn::Linear decoder{nullptr};
};

double matmul_macs_per_token(const workload& w)
{
    // WORKLOADS.md: the recurrent layers' and the output layer's products.
    const double H = double(w.hidden), D = w.bidirectional ? 2 : 1, G = w.cell == "lstm" ? 4 : 3;
    double macs = 0;
    for (long l = 0; l < w.layers; ++l)
        macs += D * G * H * ((l ? D * H : double(w.embed)) + H);
    return macs + D * H * double(w.outputs);
}

} // namespace

int main(int argc, char** argv)
{
    const options o = parse(argc, argv);
    setup_threads(o.threads, argv);
    at::set_num_threads(1);
    const workload& w = table.at(o.workload);
    torch::manual_seed(static_cast<std::uint64_t>(o.seed));
    Model model(w);
    std::vector<torch::Tensor> params = model.parameters();
    std::unique_ptr<torch::optim::Optimizer> opt;
    if (w.optim == "sgd")
        opt = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(w.lr));
    else
        opt = std::make_unique<torch::optim::Adam>(
            params, torch::optim::AdamOptions(w.lr).betas({0.9, 0.999}).eps(1e-8));

    // 16 batches drawn up front, as the other harnesses do: a language model reads seq + 1
    // tokens per column (targets shifted by one), a tagger independent tags.
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

    std::vector<torch::Tensor> state;
    std::size_t next = 0;
    double first_loss = 0;
    auto step = [&] {
        const auto& [x, y] = pool[next++ % pool.size()];
        opt->zero_grad();
        std::vector<torch::Tensor> s = state;
        torch::Tensor logits = model.forward(x, s);
        torch::Tensor loss =
            torch::nn::functional::cross_entropy(logits.reshape({-1, w.outputs}), y.reshape({-1}));
        loss.backward();
        if (w.clip > 0)
            torch::nn::utils::clip_grad_norm_(params, w.clip);
        opt->step();
        if (w.state == "carried")
        {
            for (auto& t : s)
                t = t.detach();
            state = std::move(s);
        }
        return loss.item<double>();
    };

    using clock = std::chrono::steady_clock;
    for (long i = 0; i < o.warmup; ++i)
    {
        const double l = step();
        if (i == 0)
            first_loss = l;
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
    const std::uint64_t allocs0 = cli::heap_allocations();
    for (long r = 0; r < o.reps; ++r)
    {
        const auto t0 = clock::now();
        for (long i = 0; i < steps; ++i)
            step();
        ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count() /
                     double(steps));
    }
    const double allocs = double(cli::heap_allocations() - allocs0) / double(steps * o.reps);
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const double med = sorted[sorted.size() / 2], lo = sorted.front(), hi = sorted.back();
    const double tokens = double(w.batch * w.seq);
    const double flops = 6.0 * matmul_macs_per_token(w) * tokens;
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
