// Attention over an encoded source sentence, for encoder-decoder models: Bahdanau's additive
// score and Luong's dot, general and concat scores. Time-major like the sequence layers.
//
// A decoder attends many times (once per target step) to one source: prepare() does the work
// that depends on the source only - the key projection, one GEMM over all S positions, and the
// padding mask - and forward() then costs one small product per step:
//     memory = attn.prepare(encoder_outputs, encoder_outputs, lengths);   // once per batch
//     for each target step: auto [context, weights] = attn.forward(h_t, memory);
// Scores e[b, s] of a query q[b] against position s (k = keys[s, b]):
//     additive (Bahdanau):  e = v^T tanh(W_q q + W_k k)
//     dot (Luong):          e = q^T k                       (Dq == Dk)
//     general (Luong):      e = q^T W k
//     concat (Luong):       e = v^T tanh(W [q; k])          (W split into its q and k columns)
// then a[b, :] = softmax over the positions s < lengths[b] (padding gets weight exactly 0, not
// a tiny number), and context[b] = sum_s a[b, s] values[s, b]. Gradients flow to the query,
// keys, values and parameters through ordinary ops on the tape (bmm, tanh, masked softmax).
#pragma once

#include <string>
#include <vector>

#include "xgrad/autograd/random.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

// What prepare() computes once per source batch; read by forward().
struct attention_memory
{
    Variable keys;   // [B, S, K]: the keys as the score reads them (projected where it projects)
    Variable values; // [B, S, Dv]
    Tensor mask;     // [B, S]: 1 where s < lengths[b] (the lengths live only here: no list to
                     // copy per batch)
    std::size_t batch() const { return values.shape()[0]; }
    std::size_t steps() const { return values.shape()[1]; }
};

struct attention_output
{
    Variable context; // [B, Dv]
    Variable weights; // [S, B], time-major like the encoder's outputs; sums to 1 over s < length
};

class Attention : public Module
{
public:
    // keys [S, B, Dk] and values [S, B, Dv] (often the same encoder outputs); lengths: B values
    // in 1..S, or empty for all S. Throws shape_error naming the shapes when keys or values are
    // not rank 3, their S or B differ, Dk is not key_size(), or lengths has the wrong count;
    // value_error for a length of 0 or above S.
    attention_memory prepare(const Variable& keys, const Variable& values,
                             const std::vector<std::size_t>& lengths = {});
    // query [B, Dq] -> context [B, Dv] and weights [S, B]. Throws shape_error unless the query
    // is [memory.batch(), query_size()].
    attention_output forward(const Variable& query, const attention_memory& memory);

    virtual std::size_t query_size() const = 0;
    virtual std::size_t key_size() const = 0;

protected:
    // keys [B, S, Dk] -> what scores() reads [B, S, K]; once per source.
    virtual Variable project_keys(const Variable& keys) = 0;
    // query [B, Dq], memory -> unnormalised scores [B, S].
    virtual Variable scores(const Variable& query, const attention_memory& memory) = 0;
};

// Bahdanau et al. 2015. Parameters: query_proj.weight [A, Dq], key_proj.weight [A, Dk],
// v.weight [1, A] (no biases: a bias of v cancels in the softmax). Init as nn.Linear.
class AdditiveAttention : public Attention
{
public:
    // Throws value_error if a size is zero.
    AdditiveAttention(std::size_t query_size, std::size_t key_size, std::size_t attention_size,
                      generator& g = default_generator());
    std::size_t query_size() const override { return dq_; }
    std::size_t key_size() const override { return dk_; }
    std::string describe() const override;

    std::shared_ptr<Linear> query_proj, key_proj, v;

protected:
    Variable project_keys(const Variable& keys) override;
    Variable scores(const Variable& query, const attention_memory& memory) override;

private:
    std::size_t dq_, dk_;
};

enum class luong_score
{
    dot,
    general,
    concat
};

// Luong et al. 2015. Parameters by score: dot none; general weight [Dq, Dk] (e = q^T W k,
// stored as nn.Linear(Dk, Dq, bias=False).weight); concat weight [A, Dq + Dk] and v [1, A].
// Init U(+-1/sqrt(fan_in)) as nn.Linear. For "input feeding" the decoder concatenates the
// attentional vector tanh(W_c [context; h]) to its next input: that is the model's, not this
// module's (see docs/layers.md).
class LuongAttention : public Attention
{
public:
    // attention_size is used by concat only. Throws value_error for a zero size, or for dot
    // with query_size != key_size.
    LuongAttention(luong_score score, std::size_t query_size, std::size_t key_size,
                   std::size_t attention_size = 0, generator& g = default_generator());
    std::size_t query_size() const override { return dq_; }
    std::size_t key_size() const override { return dk_; }
    std::string describe() const override;

    luong_score score;
    Variable weight, v; // undefined where the score has none

protected:
    Variable project_keys(const Variable& keys) override;
    Variable scores(const Variable& query, const attention_memory& memory) override;

private:
    std::size_t dq_, dk_, da_;
};

// "dot" | "general" | "concat" -> the score; throws value_error naming the accepted names.
luong_score parse_luong_score(const std::string& name);

} // namespace xgrad::nn
