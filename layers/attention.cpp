#include "xgrad/layers/attention.hpp"

#include <cmath>

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/init.hpp"

namespace xgrad::nn
{
namespace
{

std::string show(const Variable& v)
{
    return to_string(v.shape());
}

// [B, S, A] + [B, A] broadcast over S.
Variable add_per_batch(const Variable& bsa, const Variable& ba)
{
    return bsa + reshape(ba, {ba.shape()[0], 1, ba.shape()[1]});
}

// [B, S, 1] -> [B, S]
Variable drop_last(const Variable& x)
{
    return reshape(x, {x.shape()[0], x.shape()[1]});
}

} // namespace

attention_memory Attention::prepare(const Variable& keys, const Variable& values,
                                    const std::vector<std::size_t>& lengths)
{
    if (keys.shape().size() != 3 || values.shape().size() != 3 ||
        keys.shape()[0] != values.shape()[0] || keys.shape()[1] != values.shape()[1])
        fail<shape_error>("{}: keys {} and values {} must be [S, B, D] with the same S and B",
                          describe(), show(keys), show(values));
    if (keys.shape()[2] != key_size())
        fail<shape_error>("{}: keys {} have width {}, expected {}", describe(), show(keys),
                          keys.shape()[2], key_size());
    const std::size_t S = keys.shape()[0], B = keys.shape()[1];
    if (S == 0 || B == 0)
        fail<shape_error>("{}: keys {}: nothing to attend to", describe(), show(keys));
    if (!lengths.empty() && lengths.size() != B)
        fail<shape_error>("{}: {} lengths for a batch of {} (keys {})", describe(), lengths.size(),
                          B, show(keys));
    for (std::size_t b = 0; b < lengths.size(); ++b)
        if (lengths[b] == 0 || lengths[b] > S)
            fail<value_error>("{}: length {} of sequence {} is outside 1..{}", describe(),
                              lengths[b], b, S);
    attention_memory m;
    m.values = transpose(values, 0, 1);
    m.keys = project_keys(transpose(keys, 0, 1));
    if (lengths.empty())
        m.mask = Tensor::ones({B, S}, keys.dtype());
    else
        m.mask = sequence_mask(lengths, S, /*batch_first=*/true, keys.dtype());
    return m;
}

attention_output Attention::forward(const Variable& query, const attention_memory& memory)
{
    if (!memory.values.defined())
        fail<value_error>("{}: forward before prepare()", describe());
    const std::size_t B = memory.batch(), S = memory.steps();
    if (query.shape().size() != 2 || query.shape()[0] != B || query.shape()[1] != query_size())
        fail<shape_error>("{}: query {} must be [{}, {}]", describe(), show(query), B,
                          query_size());
    Variable a = softmax(scores(query, memory), memory.mask, /*axis=*/1); // [B, S]
    Variable context =
        reshape(bmm(reshape(a, {B, 1, S}), memory.values), {B, memory.values.shape()[2]});
    return {context, transpose(a)};
}

AdditiveAttention::AdditiveAttention(std::size_t query_size, std::size_t key_size,
                                     std::size_t attention_size, generator& g)
    : dq_(query_size), dk_(key_size)
{
    if (query_size == 0 || key_size == 0 || attention_size == 0)
        fail<value_error>("AdditiveAttention: sizes must be positive, got query {} key {} "
                          "attention {}",
                          query_size, key_size, attention_size);
    query_proj = register_module("query_proj",
                                 std::make_shared<Linear>(query_size, attention_size, false, g));
    key_proj =
        register_module("key_proj", std::make_shared<Linear>(key_size, attention_size, false, g));
    v = register_module("v", std::make_shared<Linear>(attention_size, 1, false, g));
}

std::string AdditiveAttention::describe() const
{
    return fmt::format("AdditiveAttention(query {}, key {}, attention {})", dq_, dk_,
                       v->weight.shape()[1]);
}

Variable AdditiveAttention::project_keys(const Variable& keys)
{
    return key_proj->forward(keys); // one GEMM over all B * S positions
}

Variable AdditiveAttention::scores(const Variable& query, const attention_memory& memory)
{
    return drop_last(v->forward(tanh(add_per_batch(memory.keys, query_proj->forward(query)))));
}

LuongAttention::LuongAttention(luong_score s, std::size_t query_size, std::size_t key_size,
                               std::size_t attention_size, generator& g)
    : score(s), dq_(query_size), dk_(key_size), da_(attention_size)
{
    if (query_size == 0 || key_size == 0 || (s == luong_score::concat && attention_size == 0))
        fail<value_error>("LuongAttention: sizes must be positive, got query {} key {} "
                          "attention {}",
                          query_size, key_size, attention_size);
    if (s == luong_score::dot && query_size != key_size)
        fail<value_error>("LuongAttention(dot): query size {} and key size {} must be equal",
                          query_size, key_size);
    // U(+-1/sqrt(fan_in)), nn.Linear's default for these shapes.
    auto init_linear = [&g](const Variable& w) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(w.shape()[1]));
        init::uniform(w, -bound, bound, g);
    };
    if (s == luong_score::general)
    {
        weight = register_parameter("weight", Tensor::empty({query_size, key_size}));
        init_linear(weight);
    }
    else if (s == luong_score::concat)
    {
        weight =
            register_parameter("weight", Tensor::empty({attention_size, query_size + key_size}));
        v = register_parameter("v", Tensor::empty({1, attention_size}));
        init_linear(weight);
        init_linear(v);
    }
}

std::string LuongAttention::describe() const
{
    const char* names[] = {"dot", "general", "concat"};
    return fmt::format("LuongAttention({}, query {}, key {}{})", names[int(score)], dq_, dk_,
                       score == luong_score::concat ? fmt::format(", attention {}", da_) : "");
}

Variable LuongAttention::project_keys(const Variable& keys)
{
    switch (score)
    {
    case luong_score::dot:
        return keys;
    case luong_score::general:
        return linear(keys, weight); // k W^T: [B, S, Dq], so that e = q . (W k)
    case luong_score::concat:
        break;
    }
    return linear(keys, narrow(weight, 1, dq_, dk_)); // W_k k
}

Variable LuongAttention::scores(const Variable& query, const attention_memory& memory)
{
    const std::size_t B = memory.batch();
    if (score != luong_score::concat) // q . k' for every position: [B,1,K] x [B,S,K]^T
        return reshape(bmm(reshape(query, {B, 1, query.shape()[1]}), memory.keys, false, true),
                       {B, memory.steps()});
    Variable h = tanh(add_per_batch(memory.keys, linear(query, narrow(weight, 1, 0, dq_))));
    return drop_last(linear(h, v));
}

luong_score parse_luong_score(const std::string& name)
{
    if (name == "dot")
        return luong_score::dot;
    if (name == "general")
        return luong_score::general;
    if (name == "concat")
        return luong_score::concat;
    fail<value_error>("LuongAttention: unknown score '{}' (dot, general or concat)", name);
}

} // namespace xgrad::nn
