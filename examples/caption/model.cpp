#include "examples/caption/model.hpp"

#include <stdexcept>

#include "examples/caption/data.hpp"
#include "examples/common/flags.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/activation.hpp"
#include "xgrad/layers/layer_norm.hpp"

using namespace xgrad;
using namespace xgrad::nn;

namespace caption
{

std::map<std::string, std::string> model_config::to_metadata() const
{
    return {{"variant", variant},
            {"width", std::to_string(width)},
            {"embed", std::to_string(embed)},
            {"hidden", std::to_string(hidden)},
            {"attend", std::to_string(attend)},
            {"vocab", std::to_string(vocab)}};
}

model_config model_config::from_metadata(const std::map<std::string, std::string>& m,
                                         const std::string& source)
{
    const auto v = m.find("variant");
    if (v == m.end() || (v->second != "attend" && v->second != "tell"))
        throw std::runtime_error(source + ": not a caption model (metadata 'variant' is missing "
                                          "or not attend/tell)");
    model_config c;
    c.variant = v->second;
    c.width = cli::metadata_size(m, "width", source, 1, 4096);
    c.embed = cli::metadata_size(m, "embed", source, 1, 65536);
    c.hidden = cli::metadata_size(m, "hidden", source, 1, 65536);
    c.attend = cli::metadata_size(m, "attend", source, 1, 65536);
    c.vocab = cli::metadata_size(m, "vocab", source, 4, 65536);
    return c;
}

Captioner::Captioner(const model_config& c, generator& g) : cfg(c)
{
    const std::size_t w = c.width, f = 2 * w;
    const conv2d_options same{{1, 1}, {1, 1}, {1, 1}};
    encoder_ =
        register_module("encoder", std::make_shared<Sequential>(std::vector<std::shared_ptr<Unary>>{
                                       std::make_shared<Conv2d>(3, w, 3, same, true, g),
                                       std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2),
                                       std::make_shared<Conv2d>(w, f, 3, same, true, g),
                                       std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2),
                                       std::make_shared<Conv2d>(f, f, 3, same, true, g),
                                       std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2)}));
    embed_ = register_module("embed", std::make_shared<Embedding>(c.vocab, c.embed, g));
    const bool attend = c.variant == "attend";
    if (attend)
    {
        // The initial state from the grid's mean: the grid itself is read at every step.
        init_h_ = register_module("init_h", std::make_shared<Linear>(f, c.hidden, true, g));
        init_c_ = register_module("init_c", std::make_shared<Linear>(f, c.hidden, true, g));
    }
    else
    {
        // Show and Tell's image vector: the whole grid (a mean would lose the layout) mapped to
        // the word-embedding space and fed as the first input, from a zero state.
        image_ =
            register_module("image", std::make_shared<Linear>(f * grid_cells, c.embed, true, g));
        // Normalised: unnormalised, the vector grew to |x| ~ 1000 within 40 steps and saturated
        // every gate of the first step (the unconditional plateau, loss 0.82).
        image_norm_ = register_module("image_norm", std::make_shared<LayerNorm>(c.embed));
    }
    cell_ = register_module(
        "cell", std::make_shared<LSTMCell>(c.embed + (attend ? f : 0), c.hidden, true, g));
    if (attend)
        attention_ = register_module("attention",
                                     std::make_shared<AdditiveAttention>(c.hidden, f, c.attend, g));
    out_ = register_module("out",
                           std::make_shared<Linear>(c.hidden + (attend ? f : 0), c.vocab, true, g));
}

Variable Captioner::grid(const Variable& images)
{
    const Variable f = encoder_->forward(images); // [N, F, 6, 6]
    const std::size_t n = f.shape()[0], ch = f.shape()[1], cells = f.shape()[2] * f.shape()[3];
    // [N, F, 36] -> [N, 36, F] -> [36, N, F]
    return transpose(transpose(reshape(f, {n, ch, cells}), 1, 2), 0, 1);
}

// snippet caption-start begin
Captioner::state Captioner::start(const Variable& g, attention_memory* memory)
{
    state s;
    if (!attention_)
    {
        // Show and Tell: x_-1 = LayerNorm(W_I vec(grid)) from a zero state; that step's output
        // is not scored.
        const std::size_t n = g.shape()[1];
        const Variable image = (*image_norm_)(
            (*image_)(reshape(transpose(g, 0, 1), {n, g.shape()[0] * g.shape()[2]})));
        s.hc = cell_->forward(image, cell_->zero_state(n, image.dtype()));
        return s;
    }
    const Variable mean_feature = mean(g, 0); // [N, F]
    s.hc = {tanh((*init_h_)(mean_feature)), tanh((*init_c_)(mean_feature))};
    *memory = attention_->prepare(g, g);
    s.context = mean_feature;
    return s;
}
// snippet caption-start end

Variable Captioner::step(const std::vector<std::int64_t>& words, state& s,
                         const attention_memory* memory, Variable* weights)
{
    const Variable e = embed_->forward(words); // [N, E]
    if (!attention_)
    {
        s.hc = cell_->forward(e, s.hc);
        return (*out_)(s.hc[0]);
    }
    s.hc = cell_->forward(concat({e, s.context}, 1), s.hc);
    attention_output a = attention_->forward(s.hc[0], *memory);
    s.context = a.context;
    if (weights)
        *weights = a.weights;
    return (*out_)(concat({s.hc[0], s.context}, 1));
}

Variable Captioner::loss(const Variable& images,
                         const std::vector<std::vector<std::int64_t>>& captions)
{
    const Variable g = grid(images);
    attention_memory memory;
    state s = start(g, &memory);
    const std::size_t n = captions.size();
    std::size_t steps = 0;
    for (const auto& c : captions)
        steps = std::max(steps, c.size() + 1);
    std::vector<Variable> logits;
    std::vector<std::int64_t> targets(steps * n, -100);
    std::vector<std::int64_t> prev(n, vocabulary::bos);
    for (std::size_t t = 0; t < steps; ++t)
    {
        logits.push_back(step(prev, s, &memory, nullptr));
        for (std::size_t b = 0; b < n; ++b)
        {
            const auto& c = captions[b];
            const std::int64_t next =
                t < c.size() ? c[t] : (t == c.size() ? vocabulary::eos : vocabulary::pad);
            if (t <= c.size())
                targets[t * n + b] = next;
            prev[b] = next; // teacher forcing (pads past the end are never scored)
        }
    }
    return cross_entropy(stack(logits, 0), targets);
}

decoded Captioner::greedy(const Variable& images, std::size_t max_words)
{
    no_grad quiet;
    const Variable g = grid(images);
    attention_memory memory;
    state s = start(g, &memory);
    const std::size_t n = images.shape()[0];
    decoded d;
    d.words.resize(n);
    d.weights.resize(n);
    std::vector<std::int64_t> prev(n, vocabulary::bos);
    std::vector<bool> done(n, false);
    for (std::size_t t = 0; t <= max_words; ++t)
    {
        Variable w;
        const Variable logits = step(prev, s, &memory, attention_ ? &w : nullptr);
        const Tensor best = argmax(logits.data(), 1);
        bool all = true;
        for (std::size_t b = 0; b < n; ++b)
        {
            prev[b] = std::int64_t(best.flat(b));
            if (done[b])
                continue;
            if (prev[b] == vocabulary::eos || t == max_words)
            {
                done[b] = true;
                continue;
            }
            d.words[b].push_back(prev[b]);
            if (w.defined())
            {
                std::vector<float> cell(w.shape()[0]);
                for (std::size_t i = 0; i < cell.size(); ++i)
                    cell[i] = float(w.data().flat(i * n + b));
                d.weights[b].push_back(std::move(cell));
            }
            all = false;
        }
        if (all)
            break;
    }
    return d;
}

std::string Captioner::describe() const
{
    return fmt::format("captioner ({}): CNN {}-{}-{} on 48x48 -> 6x6 grid, LSTM {}{}",
                       cfg.variant == "attend" ? "show, attend and tell" : "show and tell",
                       cfg.width, 2 * cfg.width, 2 * cfg.width, cfg.hidden,
                       attention_ ? fmt::format(", additive attention {}", cfg.attend) : "");
}

} // namespace caption
