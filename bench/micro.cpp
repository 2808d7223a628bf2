// Micro-benchmarks (Google Benchmark): the fixed cost of an op on the tape, an LSTM step at
// several sizes, the tape's record + backward cost per node (flat from 10^3 to 10^6 nodes:
// recording is O(1) amortised), the optimizers' cost per parameter, and a recurrent layer alone
// on the shapes bench/onednn_layer.cpp times in oneDNN.
//   build/bench/xgrad-micro [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <vector>

#include "examples/custom_cell/mgu_cell.hpp"
#include "examples/custom_cell/peephole_cell.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/skinny_gemm.hpp"
#include "xgrad/layers/layer_norm_lstm_cell.hpp"
#include "xgrad/layers/lstm_cell.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/sgd.hpp"

using namespace xgrad;

namespace
{

Variable filled(const shape_t& s, double v, bool grad = true)
{
    return Variable(Tensor::full(s, v), grad);
}

// Forward and backward of one tiny op: what the framework costs beyond the arithmetic.
void BM_add_tiny(benchmark::State& st)
{
    Variable a = filled({1, 32}, 0.5), b = filled({1, 32}, 0.25);
    for (auto _ : st)
    {
        Variable y = a + b;
        y.backward(Tensor::ones({1, 32}));
        a.zero_grad();
        b.zero_grad();
    }
}
BENCHMARK(BM_add_tiny);

void BM_tanh_tiny(benchmark::State& st)
{
    Variable a = filled({1, 32}, 0.5);
    for (auto _ : st)
    {
        Variable y = tanh(a);
        y.backward(Tensor::ones({1, 32}));
        a.zero_grad();
    }
}
BENCHMARK(BM_tanh_tiny);

void BM_matmul(benchmark::State& st)
{
    const auto n = static_cast<std::size_t>(st.range(0));
    Variable a = filled({n, n}, 0.01), b = filled({n, n}, 0.02);
    for (auto _ : st)
    {
        Variable y = matmul(a, b);
        y.backward(Tensor::ones({n, n}));
        a.zero_grad();
        b.zero_grad();
    }
    st.SetItemsProcessed(st.iterations() * 6 * static_cast<std::int64_t>(n * n * n));
}
BENCHMARK(BM_matmul)->Arg(1)->Arg(32)->Arg(256);

// One step of a cell (batch 32) forward and backward, repeated: both GEMMs, the update, and the
// backward of all of it.
void time_step(benchmark::State& st, nn::Cell& cell)
{
    Variable x = filled({32, cell.input_size()}, 0.1, false);
    nn::cell_state s;
    for (std::size_t i = 0; i < cell.state_count(); ++i)
        s.push_back(filled({32, cell.state_size(i)}, 0.2 + 0.1 * double(i)));
    for (auto _ : st)
    {
        nn::cell_state out = cell.forward(x, s);
        sum(out[0]).backward();
        cell.zero_grad();
    }
}

void BM_lstm_step(benchmark::State& st)
{
    const auto h = static_cast<std::size_t>(st.range(0));
    nn::LSTMCell cell(h, h);
    time_step(st, cell);
}
BENCHMARK(BM_lstm_step)->Arg(32)->Arg(256)->Arg(1024);

// A layer-normalised LSTM step (LayerNormLSTMCell: three tape nodes, like the LSTM's).
void BM_layer_norm_lstm_step(benchmark::State& st)
{
    const auto h = static_cast<std::size_t>(st.range(0));
    nn::LayerNormLSTMCell cell(h, h);
    time_step(st, cell);
}
BENCHMARK(BM_layer_norm_lstm_step)->Arg(256);

// The same step for user-defined cells of examples/custom_cell (hidden 256): a peephole LSTM and
// the minimal gated unit, each written with separate ops (arg 0) and with xgrad::fused (arg 1).
// Issue 16's measure: fused within 1.3x of BM_lstm_step/256.
void BM_peephole_step(benchmark::State& st)
{
    PeepholeLSTMCell cell(256, 256, st.range(0) == 1);
    time_step(st, cell);
}
BENCHMARK(BM_peephole_step)->Arg(0)->Arg(1);

void BM_mgu_step(benchmark::State& st)
{
    MGUCell cell(256, 256, st.range(0) == 1);
    time_step(st, cell);
}
BENCHMARK(BM_mgu_step)->Arg(0)->Arg(1);

// The pointwise update alone, forward + backward, [32, 256] state: the built-in lstm_update
// (arg 0), the peephole update with xgrad::fused (1) and with separate ops (2).
void BM_update_only(benchmark::State& st)
{
    Variable z = filled({32, 1024}, 0.1), c = filled({32, 256}, 0.3);
    Variable zero = filled({32, 1024}, 0.0, false);
    Variable ci = filled({256}, 0.01), cf = filled({256}, 0.02), co = filled({256}, 0.03);
    for (auto _ : st)
    {
        nn::cell_state out;
        if (st.range(0) == 0)
            out = lstm_update(z, zero, c);
        else if (st.range(0) == 1)
            out = fused<2>("peephole_lstm", PeepholeLSTMCell::update, blocks<4>(z), c, ci, cf, co);
        else
        {
            const auto g = chunk(z, 4, 1);
            Variable i = sigmoid(g[0] + ci * c), f = sigmoid(g[1] + cf * c);
            Variable c2 = f * c + i * tanh(g[2]);
            out = {sigmoid(g[3] + co * c2) * tanh(c2), c2};
        }
        sum(out[0]).backward();
        z.zero_grad();
        c.zero_grad();
    }
}
BENCHMARK(BM_update_only)->DenseRange(0, 2);

// One attention read of a decoder step, forward and backward: scores of a query against every
// encoder state, softmax over the source, and the weighted sum of the states. B = 32 sentences,
// S = 20 source words, H = 256. "bmm" does both products as batched GEMMs; "broadcast" is the
// workaround without them (multiply by a broadcast copy, then reduce over an axis).
constexpr std::size_t att_b = 32, att_s = 20, att_h = 256;

void BM_attention_bmm(benchmark::State& st)
{
    Variable q = filled({att_b, 1, att_h}, 0.01), enc = filled({att_b, att_s, att_h}, 0.02);
    for (auto _ : st)
    {
        Variable scores = bmm(q, enc, false, true);       // q enc^T: [B,1,S]
        Variable context = bmm(softmax(scores, -1), enc); // [B,1,H]
        sum(context).backward();
        q.zero_grad();
        enc.zero_grad();
    }
}
BENCHMARK(BM_attention_bmm);

void BM_attention_broadcast(benchmark::State& st)
{
    Variable q = filled({1, att_b, att_h}, 0.01), enc = filled({att_s, att_b, att_h}, 0.02);
    for (auto _ : st)
    {
        Variable scores = sum(q * enc, 2); // [S,B]
        Variable weights = softmax(scores, 0);
        Variable context = sum(reshape(weights, {att_s, att_b, 1}) * enc, 0); // [B,H]
        sum(context).backward();
        q.zero_grad();
        enc.zero_grad();
    }
}
BENCHMARK(BM_attention_broadcast);

// Record a chain of n scalar multiplications, then backward: the per-node cost of the tape.
void BM_tape_chain(benchmark::State& st)
{
    const auto n = static_cast<std::size_t>(st.range(0));
    Variable x(Tensor::scalar(1.0), true);
    for (auto _ : st)
    {
        Variable y = x;
        for (std::size_t i = 0; i < n; ++i)
            y = y * 1.0001;
        y.backward();
        x.zero_grad();
    }
    st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(n));
    st.counters["per_node"] = benchmark::Counter(
        double(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_tape_chain)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// One optimizer step over 4 float32 tensors of range(0) parameters in all (the translator has
// 12M): memory-bound, so ns per parameter against the bytes it must move.
template <class Opt, class Options>
void optimizer_step(benchmark::State& st, const Options& o)
{
    const auto n = static_cast<std::size_t>(st.range(0));
    std::vector<Variable> params;
    for (int k = 0; k < 4; ++k)
    {
        Variable p(Tensor::full({n / 4}, 0.5, f32), true);
        p.grad() = Tensor::full({n / 4}, 0.01, f32);
        params.push_back(p);
    }
    Opt opt(params, o);
    for (auto _ : st)
        opt.step();
    st.counters["per_param"] = benchmark::Counter(
        double(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
void BM_adam_step(benchmark::State& st)
{
    optimizer_step<optim::Adam>(st, optim::adam_options{});
}
void BM_adamw_step(benchmark::State& st)
{
    optim::adam_options o;
    o.weight_decay = 1e-2;
    optimizer_step<optim::AdamW>(st, o);
}
void BM_sgd_momentum_step(benchmark::State& st)
{
    optim::sgd_options o{0.1};
    o.momentum = 0.9;
    optimizer_step<optim::SGD>(st, o);
}
BENCHMARK(BM_adam_step)->Arg(1 << 16)->Arg(12 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_adamw_step)->Arg(12 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sgd_momentum_step)->Arg(12 << 20)->Unit(benchmark::kMillisecond);

// The recurrent layer alone, forward + backward, on the first recurrent layer of W1, W3, W4 and
// W5 (the shapes of bench/onednn_layer.cpp, which times oneDNN's RNN primitives on them): a
// loss sum(y * r) with a fixed r seeds the output gradient, weights' gradients are cleared
// each iteration as a training step does. 1 BLAS thread, as onednn-layer's default.
struct layer_shape
{
    const char* id;
    nn::cell_type cell;
    bool bidirectional;
    std::size_t T, B, I, H;
};
const layer_shape layer_shapes[] = {
    {"W1", nn::cell_type::lstm, false, 100, 32, 64, 256},
    {"W3", nn::cell_type::lstm, false, 35, 64, 512, 1024},
    {"W4", nn::cell_type::lstm, true, 40, 16, 100, 128},
    {"W5", nn::cell_type::gru, false, 35, 32, 128, 256},
};

void BM_layer_alone(benchmark::State& st)
{
    const layer_shape& s = layer_shapes[st.range(0)];
    st.SetLabel(s.id);
    const int threads = num_threads();
    set_num_threads(1);
    generator g(0);
    nn::rnn_options o;
    o.bidirectional = s.bidirectional;
    nn::RNNBase layer(s.cell, s.I, s.H, o, g);
    const std::size_t D = s.bidirectional ? 2 : 1;
    Variable x(Tensor::full({s.T, s.B, s.I}, 0.1), true);
    const Variable r(Tensor::full({s.T, s.B, D * s.H}, 0.01));
    for (auto _ : st)
    {
        layer.zero_grad();
        x.zero_grad();
        nn::sequence_output out = layer.forward(x);
        sum(out.output * r).backward();
    }
    set_num_threads(threads);
}
BENCHMARK(BM_layer_alone)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

// The per-time-step recurrent products of the workloads, OpenBLAS (arg 1 = 0; 2: on 2 threads)
// against the skinny kernels that read the large operand in place (arg 1 = 1), 1 thread:
// forward h W^T (nt) or, with W transposed once per sequence, h W^T as nn; backward dgates W
// (nn) and the weight gradient dgates^T h (tn).
enum class form
{
    nt,
    nn,
    tn
};
struct gemm_shape
{
    const char* id;
    form f;
    std::size_t m, n, k;
};
const gemm_shape gemm_shapes[] = {
    {"W1 fwd nt", form::nt, 32, 1024, 256},     {"W1 fwd nn", form::nn, 32, 1024, 256},
    {"W1 bwd dh", form::nn, 32, 256, 1024},     {"W1 bwd dW", form::tn, 1024, 256, 32},
    {"W3 fwd nt", form::nt, 64, 4096, 1024},    {"W3 bwd dh", form::nn, 64, 1024, 4096},
    {"W4 fwd nn", form::nn, 16, 512, 128},      {"W4 bwd dh", form::nn, 16, 128, 512},
    {"W4 bwd dW", form::tn, 512, 128, 16},      {"W5 fwd nn", form::nn, 32, 768, 256},
    {"W5 bwd dh", form::nn, 32, 256, 768},      {"W5 bwd dW", form::tn, 768, 256, 32},
    {"W0 out fwd nt", form::nt, 20, 8000, 100}, {"W0 out bwd dh", form::nn, 20, 100, 8000},
};

void BM_recurrent_gemm(benchmark::State& st)
{
    const gemm_shape& s = gemm_shapes[st.range(0)];
    const bool skinny = st.range(1) == 1;
    if (skinny && s.f == form::tn)
    {
        st.SkipWithError("tn has no skinny kernel");
        return;
    }
    st.SetLabel(std::string(s.id) + (skinny             ? " skinny"
                                     : st.range(1) == 2 ? " openblas 2 threads"
                                                        : " openblas"));
    const int threads = num_threads();
    set_num_threads(st.range(1) == 2 ? 2 : 1);
    std::vector<float> a(s.m * s.k, 0.01f), b(s.n * s.k, 0.02f), c(s.m * s.n);
    const bool ta = s.f == form::tn, tb = s.f == form::nt;
    for (auto _ : st)
    {
        if (skinny && s.f == form::nt)
            blas::skinny_nt(s.m, s.n, s.k, a.data(), b.data(), 0.0f, c.data());
        else if (skinny && s.f == form::nn)
            blas::skinny_nn(s.m, s.n, s.k, a.data(), b.data(), 0.0f, c.data());
        else
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                        tb ? CblasTrans : CblasNoTrans, int(s.m), int(s.n), int(s.k), 1.0f,
                        a.data(), int(ta ? s.m : s.k), b.data(), int(tb ? s.k : s.n),
                        ta ? 1.0f : 0.0f, c.data(), int(s.n));
        benchmark::DoNotOptimize(c.data());
    }
    st.counters["GFLOP/s"] =
        benchmark::Counter(double(st.iterations()) * 2.0 * s.m * s.n * s.k,
                           benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
    set_num_threads(threads);
}
BENCHMARK(BM_recurrent_gemm)->ArgsProduct({benchmark::CreateDenseRange(0, 13, 1), {0, 1, 2}});

} // namespace

BENCHMARK_MAIN();
