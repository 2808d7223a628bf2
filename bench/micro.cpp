// Micro-benchmarks (Google Benchmark): the fixed cost of an op on the tape, an LSTM step at
// several sizes, and the tape's record + backward cost per node.
//   build/bench/xgrad-micro [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/lstm_cell.hpp"

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

// One LSTM step (batch 32): both GEMMs, the fused update, backward of all of it.
void BM_lstm_step(benchmark::State& st)
{
    const auto h = static_cast<std::size_t>(st.range(0));
    nn::LSTMCell cell(h, h);
    Variable x = filled({32, h}, 0.1, false);
    nn::cell_state s{filled({32, h}, 0.2), filled({32, h}, 0.3)};
    for (auto _ : st)
    {
        nn::cell_state out = cell.forward(x, s);
        sum(out[0]).backward();
        cell.zero_grad();
    }
}
BENCHMARK(BM_lstm_step)->Arg(32)->Arg(256)->Arg(1024);

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
}
BENCHMARK(BM_tape_chain)->Arg(1000);

} // namespace

BENCHMARK_MAIN();
