// onednn-layer: the recurrent layer alone, forward (training) + backward, in oneDNN 2.6's RNN
// primitives, the fastest CPU LSTM/GRU there is. The shapes are the first recurrent layer of
// workloads W1, W3, W4 and W5 (bench/README.md); xgrad-micro's BM_layer_alone times xgrad's
// layer on the same shapes, so the two give "recurrent layer alone" ratios.
//
// One iteration is what a training step asks of the layer: reorder the (just updated) weights
// from PyTorch's layout into the primitives' preferred ones, forward with a workspace, backward
// into zeroed weight gradients. Threads: oneDNN's OpenMP pool, sized by OMP_NUM_THREADS (the
// program re-executes itself once with it set to --threads).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

namespace
{

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct shape
{
    const char* id;
    bool gru, bidirectional;
    memory::dim T, B, I, H;
};

// The first recurrent layer of each workload (its input is the embedding).
const shape shapes[] = {
    {"W1", false, false, 100, 32, 64, 256},
    {"W3", false, false, 35, 64, 512, 1024},
    {"W4", false, true, 40, 16, 100, 128},
    {"W5", true, false, 35, 32, 128, 256},
};

[[noreturn]] void usage(int code)
{
    std::fprintf(code ? stderr : stdout,
                 "usage: onednn-layer --shape W1|W3|W4|W5 [--threads N] [--reps N] "
                 "[--min-time S]\n"
                 "Times one recurrent layer's forward (training) + backward in oneDNN and prints "
                 "one JSON line.\n");
    std::exit(code);
}

void reexec_with_threads(int threads, char** argv)
{
    const std::string want = std::to_string(threads);
    const char* have = std::getenv("OMP_NUM_THREADS");
    if (have && want == have)
        return;
    if (std::getenv("XGRAD_ONEDNN_REEXEC"))
    {
        std::fprintf(stderr, "onednn-layer: OMP_NUM_THREADS not applied after re-exec\n");
        std::exit(1);
    }
    setenv("OMP_NUM_THREADS", want.c_str(), 1);
    setenv("XGRAD_ONEDNN_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    std::perror("onednn-layer: execv");
    std::exit(1);
}

memory filled(const memory::desc& d, const dnnl::engine& eng, std::mt19937& rng, float scale)
{
    memory m(d, eng);
    std::uniform_real_distribution<float> u(-scale, scale);
    auto* p = static_cast<float*>(m.get_data_handle());
    for (std::size_t i = 0; i < d.get_size() / sizeof(float); ++i)
        p[i] = u(rng);
    return m;
}

} // namespace

int main(int argc, char** argv)
{
    std::string id = "W1";
    int threads = 1, reps = 3;
    double min_time = 2;
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
            if (a == "--shape")
                id = v;
            else if (a == "--threads")
                threads = std::stoi(v);
            else if (a == "--reps")
                reps = std::stoi(v);
            else if (a == "--min-time")
                min_time = std::stod(v);
            else
                usage(2);
        }
        catch (const std::exception&)
        {
            std::fprintf(stderr, "onednn-layer: %s: not a number: %s\n", a.c_str(), v.c_str());
            return 2;
        }
    }
    const shape* s = nullptr;
    for (const shape& c : shapes)
        if (id == c.id)
            s = &c;
    if (!s || threads < 1 || reps < 1 || !(min_time > 0))
    {
        std::fprintf(stderr, "onednn-layer: --shape must be W1, W3, W4 or W5; --threads and "
                             "--reps >= 1; --min-time > 0\n");
        return 2;
    }
    reexec_with_threads(threads, argv);

    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    dnnl::stream strm(eng);
    const memory::dim D = s->bidirectional ? 2 : 1, G = s->gru ? 3 : 4, L = 1;
    const memory::dim bias_gates = 4; // LSTM: its 4 gates; lbr_gru: 3 gates + the extra b_hn
    const auto dir = s->bidirectional ? dnnl::rnn_direction::bidirectional_concat
                                      : dnnl::rnn_direction::unidirectional_left2right;
    const memory::desc src({s->T, s->B, s->I}, dt::f32, tag::tnc);
    const memory::desc dst({s->T, s->B, D * s->H}, dt::f32, tag::tnc);
    const memory::desc wl_user({L, D, s->I, G, s->H}, dt::f32, tag::ldigo);
    const memory::desc wi_user({L, D, s->H, G, s->H}, dt::f32, tag::ldigo);
    const memory::desc wl_any({L, D, s->I, G, s->H}, dt::f32, tag::any);
    const memory::desc wi_any({L, D, s->H, G, s->H}, dt::f32, tag::any);
    const memory::desc bias({L, D, bias_gates, s->H}, dt::f32, tag::ldgo);
    const memory::desc none;

    dnnl::primitive fwd, bwd;
    memory::desc fwd_wl, fwd_wi, bwd_wl, bwd_wi, dwl, dwi, ws;
    if (s->gru)
    {
        dnnl::lbr_gru_forward::desc fd(dnnl::prop_kind::forward_training, dir, src, none, wl_any,
                                       wi_any, bias, dst, none);
        dnnl::lbr_gru_forward::primitive_desc fpd(fd, eng);
        dnnl::lbr_gru_backward::desc bd(dnnl::prop_kind::backward, dir, src, none, wl_any, wi_any,
                                        bias, dst, none, src, none, wl_any, wi_any, bias, dst,
                                        none);
        dnnl::lbr_gru_backward::primitive_desc bpd(bd, eng, fpd);
        fwd = dnnl::lbr_gru_forward(fpd);
        bwd = dnnl::lbr_gru_backward(bpd);
        fwd_wl = fpd.weights_layer_desc(), fwd_wi = fpd.weights_iter_desc();
        bwd_wl = bpd.weights_layer_desc(), bwd_wi = bpd.weights_iter_desc();
        dwl = bpd.diff_weights_layer_desc(), dwi = bpd.diff_weights_iter_desc();
        ws = fpd.workspace_desc();
    }
    else
    {
        dnnl::lstm_forward::desc fd(dnnl::prop_kind::forward_training, dir, src, none, none, wl_any,
                                    wi_any, bias, dst, none, none);
        dnnl::lstm_forward::primitive_desc fpd(fd, eng);
        dnnl::lstm_backward::desc bd(dnnl::prop_kind::backward, dir, src, none, none, wl_any,
                                     wi_any, bias, dst, none, none, src, none, none, wl_any, wi_any,
                                     bias, dst, none, none);
        dnnl::lstm_backward::primitive_desc bpd(bd, eng, fpd);
        fwd = dnnl::lstm_forward(fpd);
        bwd = dnnl::lstm_backward(bpd);
        fwd_wl = fpd.weights_layer_desc(), fwd_wi = fpd.weights_iter_desc();
        bwd_wl = bpd.weights_layer_desc(), bwd_wi = bpd.weights_iter_desc();
        dwl = bpd.diff_weights_layer_desc(), dwi = bpd.diff_weights_iter_desc();
        ws = fpd.workspace_desc();
    }

    std::mt19937 rng(0);
    const float k = 1.0f / std::sqrt(float(s->H));
    memory x = filled(src, eng, rng, 1), dy = filled(dst, eng, rng, 1);
    memory wl = filled(wl_user, eng, rng, k), wi = filled(wi_user, eng, rng, k);
    memory b = filled(bias, eng, rng, k), db(bias, eng);
    memory y(dst, eng), dx(src, eng), work(ws, eng);
    memory wl_f(fwd_wl, eng), wi_f(fwd_wi, eng), wl_b(bwd_wl, eng), wi_b(bwd_wi, eng);
    memory dwl_m(dwl, eng), dwi_m(dwi, eng);
    dnnl::reorder to_fwd_l(wl, wl_f), to_fwd_i(wi, wi_f), to_bwd_l(wl, wl_b), to_bwd_i(wi, wi_b);

    auto iteration = [&] {
        to_fwd_l.execute(strm, wl, wl_f);
        to_fwd_i.execute(strm, wi, wi_f);
        fwd.execute(strm, {{DNNL_ARG_SRC_LAYER, x},
                           {DNNL_ARG_WEIGHTS_LAYER, wl_f},
                           {DNNL_ARG_WEIGHTS_ITER, wi_f},
                           {DNNL_ARG_BIAS, b},
                           {DNNL_ARG_DST_LAYER, y},
                           {DNNL_ARG_WORKSPACE, work}});
        to_bwd_l.execute(strm, wl, wl_b);
        to_bwd_i.execute(strm, wi, wi_b);
        std::memset(dwl_m.get_data_handle(), 0, dwl.get_size());
        std::memset(dwi_m.get_data_handle(), 0, dwi.get_size());
        std::memset(db.get_data_handle(), 0, bias.get_size());
        bwd.execute(strm, {{DNNL_ARG_SRC_LAYER, x},
                           {DNNL_ARG_WEIGHTS_LAYER, wl_b},
                           {DNNL_ARG_WEIGHTS_ITER, wi_b},
                           {DNNL_ARG_BIAS, b},
                           {DNNL_ARG_DST_LAYER, y},
                           {DNNL_ARG_DIFF_DST_LAYER, dy},
                           {DNNL_ARG_WORKSPACE, work},
                           {DNNL_ARG_DIFF_SRC_LAYER, dx},
                           {DNNL_ARG_DIFF_WEIGHTS_LAYER, dwl_m},
                           {DNNL_ARG_DIFF_WEIGHTS_ITER, dwi_m},
                           {DNNL_ARG_DIFF_BIAS, db}});
        strm.wait();
    };

    using clock = std::chrono::steady_clock;
    for (int i = 0; i < 3; ++i)
        iteration();
    const auto t0 = clock::now();
    iteration();
    const double once = std::chrono::duration<double>(clock::now() - t0).count();
    const long n = std::max<long>(1, static_cast<long>(min_time / once));
    std::vector<double> ms;
    for (int r = 0; r < reps; ++r)
    {
        const auto t1 = clock::now();
        for (long i = 0; i < n; ++i)
            iteration();
        ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t1).count() /
                     double(n));
    }
    std::sort(ms.begin(), ms.end());
    // Forward and backward multiply-adds of the layer: 3 passes of T B D G H (I + H).
    const double flops = 6.0 * double(s->T * s->B * D * G * s->H * (s->I + s->H));
    const double med = ms[ms.size() / 2];
    std::printf(
        "{\"impl\": \"onednn\", \"shape\": \"%s\", \"cell\": \"%s\", \"T\": %ld, \"B\": %ld, "
        "\"I\": %ld, \"H\": %ld, \"bidirectional\": %s, \"threads\": %d, "
        "\"ms_per_iteration\": {\"median\": %.4f, \"min\": %.4f, \"max\": %.4f}, "
        "\"gflops\": %.2f, \"onednn\": \"%d.%d.%d\"}\n",
        s->id, s->gru ? "gru" : "lstm", long(s->T), long(s->B), long(s->I), long(s->H),
        s->bidirectional ? "true" : "false", threads, med, ms.front(), ms.back(),
        flops / med * 1e-6, dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch);
    return 0;
}
