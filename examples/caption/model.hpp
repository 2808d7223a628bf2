// The captioner: a CNN encoder over the 48 x 48 picture (three 3x3 convolutions, each followed
// by ReLU and 2x2 max pooling: a 6 x 6 grid of 2 x width features) and an LSTM decoder, in two
// variants:
//   tell    Show and Tell (Vinyals et al. 2015): the whole grid (36 x F values), mapped to the
//           word-embedding space, is the decoder's first input (from a zero state); each
//           later step sees only the previous word.
//   attend  Show, Attend and Tell (Xu et al. 2015): the grid's mean sets the initial state, and
//           at every step additive attention over the 36 grid cells gives a context, fed to the
//           next step (input feeding) and to the output layer.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xgrad/layers/attention.hpp"
#include "xgrad/layers/conv.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/layer_norm.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/lstm_cell.hpp"
#include "xgrad/layers/sequential.hpp"

namespace caption
{

constexpr std::size_t grid_cells = 36; // 6 x 6 after three 2x2 poolings of 48 x 48

struct model_config
{
    std::string variant = "attend"; // attend | tell
    std::size_t width = 32, embed = 64, hidden = 256, attend = 128, vocab = 0;
    std::map<std::string, std::string> to_metadata() const;
    // Throws std::runtime_error naming `source` and the key that is missing or bad.
    static model_config from_metadata(const std::map<std::string, std::string>& m,
                                      const std::string& source);
};

struct decoded
{
    std::vector<std::vector<std::int64_t>> words; // per image, without </s>
    // Per image, per generated word: the attention over the grid [6 * 6] (attend only).
    std::vector<std::vector<std::vector<float>>> weights;
};

class Captioner : public xgrad::nn::Module
{
public:
    Captioner(const model_config& c, xgrad::generator& g);

    // images [N, 3, 48, 48] -> the grid as attention reads it: [36, N, F], F = 2 width.
    xgrad::Variable grid(const xgrad::Variable& images);
    // Mean cross-entropy per word, </s> included, with teacher forcing. captions: word ids
    // without <s>/</s>.
    xgrad::Variable loss(const xgrad::Variable& images,
                         const std::vector<std::vector<std::int64_t>>& captions);
    // Greedy decoding up to max_words words (no recording).
    decoded greedy(const xgrad::Variable& images, std::size_t max_words);

    std::string describe() const override;
    model_config cfg;

private:
    struct state
    {
        xgrad::nn::cell_state hc;
        xgrad::Variable context; // [N, F]
    };
    state start(const xgrad::Variable& g, xgrad::nn::attention_memory* memory);
    // One step from the previous word ids [N]: the next word's logits [N, V].
    xgrad::Variable step(const std::vector<std::int64_t>& words, state& s,
                         const xgrad::nn::attention_memory* memory, xgrad::Variable* weights);

    std::shared_ptr<xgrad::nn::Sequential> encoder_;
    std::shared_ptr<xgrad::nn::Linear> init_h_, init_c_, image_, out_;
    std::shared_ptr<xgrad::nn::LayerNorm> image_norm_;
    std::shared_ptr<xgrad::nn::Embedding> embed_;
    std::shared_ptr<xgrad::nn::LSTMCell> cell_;
    std::shared_ptr<xgrad::nn::AdditiveAttention> attention_;
};

} // namespace caption
