// The translator: embeddings, a bidirectional GRU or LSTM encoder, a Bridge to the decoder's
// initial state, and a decoder cell with attention (Bahdanau additive, or Luong dot / general /
// concat) and Luong's input feeding; or no attention at all (the baseline: the decoder sees the
// source only through the bridged state).
//
// One decoder step (y = previous target token, feed = previous attentional vector):
//     s_t = cell([E y; feed], s_{t-1})
//     c_t, a_t = attention(h_t, encoder outputs)              (a_t over the source, [S, B])
//     feed = h~_t = tanh(W_c [c_t; h_t])                      (without attention: h~_t = h_t)
//     p(y_t) = softmax(W_o dropout(h~_t) + b_o)
#pragma once

#include <map>
#include <memory>
#include <string>

#include "examples/translate/data.hpp"
#include "xgrad/layers/attention.hpp"
#include "xgrad/layers/bridge.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/projected_cell.hpp"
#include "xgrad/layers/rnn.hpp"

namespace mt
{

using namespace xgrad;

struct model_config
{
    std::string cell = "gru";          // gru | lstm (encoder and decoder)
    std::string attention = "general"; // additive | dot | general | concat | none
    std::size_t src_vocab = 0, tgt_vocab = 0;
    std::size_t embed = 256, hidden = 256; // hidden: per encoder direction
    std::size_t dec_hidden = 512, attention_size = 256;
    double dropout = 0.2;
};

constexpr std::size_t max_width = 65536;

// Throws cli::usage_error for impossible sizes, a dot score whose query and key widths differ
// (dec_hidden != 2 * hidden), or more than cli::max_parameters parameters; before allocating.
std::size_t check_config(const model_config& c);
// The configuration stored in a weight file's metadata; throws std::runtime_error naming
// `source` and the bad key.
model_config config_from_metadata(const std::map<std::string, std::string>& m,
                                  const std::string& source);

// What the encoder leaves for the decoder.
struct encoded
{
    nn::attention_memory memory; // keys/values [B, S, .]; empty without attention
    Variable outputs;            // [B, S, 2H] (for beam reordering without attention too)
};

struct decoder_state
{
    nn::cell_state state;
    Variable feed; // [B, dec_hidden]; undefined without attention
};

class Seq2Seq : public nn::Module
{
public:
    Seq2Seq(const model_config& c, generator& g);

    // src: padded source ids. Returns the memory and the decoder's initial state.
    std::pair<encoded, decoder_state> encode(const padded& src, generator& g);
    // One step from the previous tokens (one per row): updates s, returns h~ [B, dec_hidden].
    // weights (if given) receives the attention weights [S, B].
    Variable step(const std::vector<std::int64_t>& prev, decoder_state& s, const encoded& e,
                  generator& g, Variable* weights = nullptr);
    Variable logits(const Variable& attentional, generator& g);
    // Mean cross-entropy per target token of tgt (without <s>; ends with </s>) given src. Each
    // step after the first reads the gold previous token with probability teacher_forcing,
    // else the model's own argmax (drawn per row from g).
    Variable loss(const padded& src, const padded& tgt, double teacher_forcing, generator& g);
    // Rows `rows` of an encoding / state, in that order (beam search's expansion and reorder).
    static encoded select(const encoded& e, const std::vector<std::int64_t>& rows);
    static decoder_state select(const decoder_state& s, const std::vector<std::int64_t>& rows);

    std::map<std::string, std::string> metadata() const;
    std::string describe() const override;
    const model_config& config() const { return cfg_; }

private:
    Variable drop(const Variable& x, generator& g) const;
    model_config cfg_;
    std::shared_ptr<nn::Embedding> src_embed_, tgt_embed_;
    std::shared_ptr<nn::RNNBase> encoder_;
    std::shared_ptr<nn::Bridge> bridge_;
    std::shared_ptr<nn::ProjectedCell> decoder_;
    std::shared_ptr<nn::Attention> attention_;
    std::shared_ptr<nn::Linear> combine_, out_;
};

} // namespace mt
