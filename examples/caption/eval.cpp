#include "examples/caption/eval.hpp"

#include <algorithm>
#include <numeric>

#include "examples/metrics/bleu.hpp"
#include "xgrad/autograd/ops/layout.hpp"

using namespace xgrad;

namespace caption
{

Tensor render_batch(const std::vector<example>& data, std::size_t first, std::size_t n,
                    const std::vector<std::size_t>* order)
{
    const std::size_t px = 3 * image_side * image_side;
    Tensor out = Tensor::empty({n, 3, image_side, image_side}, f32);
    for (std::size_t i = 0; i < n; ++i)
    {
        const std::size_t k = order ? (*order)[first + i] : first + i;
        const Tensor img = render(data[k].s);
        std::copy(img.data<float>(), img.data<float>() + px, out.data<float>() + i * px);
    }
    return out;
}

namespace
{

// Captions of all examples' pictures, in batches; `order` maps example i to its picture.
std::vector<std::string> caption_all(Captioner& m, const std::vector<example>& data,
                                     const std::vector<std::size_t>& order)
{
    const vocabulary vocab;
    std::vector<std::string> out;
    for (std::size_t first = 0; first < data.size(); first += 64)
    {
        const std::size_t n = std::min<std::size_t>(64, data.size() - first);
        const decoded d = m.greedy(Variable(render_batch(data, first, n, &order)), 24);
        for (const auto& words : d.words)
            out.push_back(vocab.decode(words));
    }
    return out;
}

void score(const std::vector<std::string>& hyps, const std::vector<example>& data, double& exact,
           double& bleu)
{
    std::vector<std::string> refs;
    std::size_t same = 0;
    for (std::size_t i = 0; i < data.size(); ++i)
    {
        refs.push_back(data[i].caption);
        same += hyps[i] == data[i].caption;
    }
    exact = double(same) / double(data.size());
    bleu = metrics::corpus_bleu(hyps, {refs}).score;
}

} // namespace

scores evaluate(Captioner& m, const std::vector<example>& data, bool shuffle)
{
    m.eval();
    scores s;
    std::vector<std::size_t> order(data.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    s.hypotheses = caption_all(m, data, order);
    score(s.hypotheses, data, s.exact, s.bleu);
    if (shuffle && data.size() > 1)
    {
        // A rotation by half: a derangement, and far from the example's neighbours.
        for (std::size_t i = 0; i < data.size(); ++i)
            order[i] = (i + data.size() / 2) % data.size();
        score(caption_all(m, data, order), data, s.shuffled_exact, s.shuffled_bleu);
    }
    m.train();
    return s;
}

} // namespace caption
