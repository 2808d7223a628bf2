#include "examples/gradient_flow/model.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/core.h>

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/init.hpp"

namespace flow
{

using namespace xgrad;

const std::vector<variant>& all_variants()
{
    static const std::vector<variant> v = {
        {"rnn", "default"}, {"rnn", "irnn"}, {"lstm", "fb0"}, {"lstm", "fb1"}, {"gru", "default"}};
    return v;
}

variant parse_variant(const std::string& label)
{
    std::string known;
    for (const variant& v : all_variants())
    {
        if (v.label() == label)
            return v;
        known += (known.empty() ? "" : ", ") + v.label();
    }
    throw std::invalid_argument(fmt::format("unknown cell '{}' (one of {})", label, known));
}

flow_model::flow_model(const variant& v, const task& t, std::size_t hidden, generator& g)
    : variant_(v), task_(&t), hidden_(hidden)
{
    const std::size_t in = t.input_size();
    nn::rnn_options o;
    if (v.cell == "rnn")
    {
        if (v.init == "irnn")
            o.act = nn::nonlinearity::relu;
        rnn_ = std::make_shared<nn::RNN>(in, hidden, o, g);
        if (v.init == "irnn")
        {
            nn::init::identity(*rnn_, 1.0);
            for (const auto& [name, p] : rnn_->named_parameters())
                if (name.rfind("bias", 0) == 0)
                    nn::init::constant(p, 0.0);
        }
    }
    else if (v.cell == "lstm")
    {
        auto lstm = std::make_shared<nn::LSTM>(in, hidden, o, g);
        nn::init::lstm_forget_bias(*lstm, v.init == "fb1" ? 1.0 : 0.0);
        rnn_ = lstm;
    }
    else
        rnn_ = std::make_shared<nn::GRU>(in, hidden, o, g);
    register_module("rnn", rnn_);
    head_ = register_module("head", std::make_shared<nn::Linear>(hidden, t.output_size(), true, g));
}

Variable flow_model::forward(const Tensor& x)
{
    const Variable out = rnn_->forward(Variable(x)).output; // [T, B, H]
    const std::size_t T = x.shape()[0], S = task_->answer_steps();
    if (task_->kind() == task_kind::adding)
        return head_->forward(select(out, 0, T - 1)); // [B, 1]
    return head_->forward(narrow(out, 0, T - S, S));  // [S, B, alphabet]
}

Variable flow_model::loss(const Variable& out, const task_batch& b) const
{
    if (task_->kind() == task_kind::copy)
        return cross_entropy(out, b.symbols);
    const Variable y(Tensor::from_values(b.values, {b.values.size(), 1}, out.dtype()));
    const Variable d = out - y;
    return mean(d * d);
}

double flow_model::accuracy(const Variable& out, const task_batch& b) const
{
    const Tensor& o = out.data();
    std::size_t right = 0, total = 0;
    if (task_->kind() == task_kind::adding)
    {
        for (std::size_t i = 0; i < b.values.size(); ++i, ++total)
            right += std::abs(o.flat(i) - b.values[i]) < 0.04;
    }
    else
    {
        const std::size_t A = task_->alphabet();
        for (std::size_t i = 0; i < b.symbols.size(); ++i, ++total)
        {
            std::size_t best = 0;
            for (std::size_t c = 1; c < A; ++c)
                if (o.flat(i * A + c) > o.flat(i * A + best))
                    best = c;
            right += static_cast<std::int64_t>(best) == b.symbols[i];
        }
    }
    return total ? double(right) / double(total) : 0.0;
}

Tensor flow_model::recurrent_block() const
{
    no_grad guard;
    for (const auto& [name, p] : rnn_->named_parameters())
        if (name == "weight_hh_l0")
        {
            const std::size_t first = variant_.cell == "rnn" ? 0 : 2 * hidden_;
            return narrow(p, 0, first, hidden_).data();
        }
    throw std::logic_error("flow_model: no weight_hh_l0");
}

} // namespace flow
