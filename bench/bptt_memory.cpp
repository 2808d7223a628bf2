// xgrad-bptt-memory: the memory of one training step (forward and full BPTT) of an LSTM over a
// long sequence, recording every step or with checkpointed BPTT (Recurrent's checkpoint_every).
// Run once per setting (peak RSS is per process) and prints one JSON line: the peak RSS above
// the process's size before the forward (the model, the input), the step's time, and a
// checksum of the gradients (equal for every setting: the gradients are bit-identical).
//
//   xgrad-bptt-memory --seq 5000 --every 0        # record every step
//   xgrad-bptt-memory --seq 5000 --every 71       # k = 71 = ceil(sqrt(5000)); --every sqrt too
#include <chrono>
#include <cmath>
#include <sys/resource.h>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/rnn.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace
{

double peak_rss_mb()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_maxrss) / 1024.0;
}

} // namespace

int main(int argc, char** argv)
{
    try
    {
        std::size_t seq = 5000, batch = 16, input = 64, hidden = 256, layers = 1, threads = 1;
        std::string every = "0";
        cli::flags f("usage: xgrad-bptt-memory [options]\n"
                     "One forward + backward of an LSTM over --seq steps; prints peak RSS.");
        f.add("seq", seq, "time steps T").positive();
        f.add("batch", batch, "batch size").positive();
        f.add("input", input, "input width").positive();
        f.add("hidden", hidden, "hidden size").positive();
        f.add("layers", layers, "stacked layers").positive();
        f.add("every", every, "checkpoint every k steps: 0 (record every step), k, or sqrt");
        f.add("threads", threads, "BLAS threads").positive();
        f.parse(argc, argv);
        std::uint64_t k = 0;
        if (every == "sqrt")
            k = checkpoint_sqrt;
        else if (!cli::parse_unsigned(every, k))
            throw cli::usage_error("--every " + every + ": expected 0, a step count or sqrt");
        set_num_threads(int(threads));

        generator g(1);
        rnn_options o;
        o.num_layers = layers;
        o.checkpoint_every = k;
        LSTM lstm(input, hidden, o, g);
        Tensor xt = Tensor::empty({seq, batch, input}, f32);
        for (std::size_t i = 0; i < xt.numel(); ++i)
            xt.data<float>()[i] = float(g.normal());
        const Variable x(xt);
        Tensor wt = Tensor::empty({seq, batch, hidden}, f32);
        for (std::size_t i = 0; i < wt.numel(); ++i)
            wt.data<float>()[i] = float(g.normal() * 1e-3);
        const Variable w(wt);
        const double before = peak_rss_mb();

        const auto t0 = std::chrono::steady_clock::now();
        {
            sequence_output out = lstm.forward(x);
            Variable loss = sum(out.output * w);
            loss.backward();
        }
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        double checksum = 0;
        for (const Variable& p : lstm.parameters())
            for (std::size_t i = 0; i < p.grad().numel(); ++i)
                checksum += std::abs(p.grad().flat(i));
        fmt::print("{{\"seq\": {}, \"batch\": {}, \"input\": {}, \"hidden\": {}, \"layers\": {}, "
                   "\"every\": \"{}\", \"threads\": {}, \"ms\": {:.1f}, \"rss_before_mb\": {:.1f}, "
                   "\"peak_rss_mb\": {:.1f}, \"step_mb\": {:.1f}, \"grad_checksum\": {:.9g}}}\n",
                   seq, batch, input, hidden, layers, every, threads, ms, before, peak_rss_mb(),
                   peak_rss_mb() - before, checksum);
        return 0;
    }
    catch (const std::exception& e)
    {
        fmt::print(stderr, "xgrad-bptt-memory: error: {}\n", e.what());
        return 1;
    }
}
