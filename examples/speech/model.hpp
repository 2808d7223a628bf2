// The recogniser: stacked bidirectional LSTM (or GRU) layers over acoustic frames, a linear
// layer to blank + the digit words per frame, trained with CTC (the fused logits path) and
// decoded greedily or by prefix beam search. The front end's settings travel in the weight
// file's metadata, so a recogniser always hears what it was trained on.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "examples/speech/corpus.hpp"
#include "xgrad/layers/ctc_decode.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/rnn.hpp"

namespace speech
{

struct model_config
{
    std::string cell = "lstm"; // or "gru"
    std::size_t hidden = 256, layers = 2;
    double dropout = 0.1;  // between the recurrent layers and before the output layer
    feature_options front; // the front end (the input width is front.dim())
};

constexpr std::size_t max_width = 8192, max_layers = 8;

// A padded batch, time-major: x [T, B, F] with each utterance's frames, zeros past its end.
struct batch
{
    xgrad::Tensor x;
    std::vector<std::size_t> lengths;
    std::vector<std::int64_t> input_lengths; // the same, as ctc_loss takes them
    std::vector<std::vector<std::int64_t>> labels;
    std::size_t frames = 0; // real frames (the sum of lengths)
};
batch make_batch(const std::vector<example>& data, const std::vector<std::size_t>& ids);
// Utterance indices in batches of up to batch_size of similar lengths (little padding).
std::vector<std::vector<std::size_t>> length_batches(const std::vector<example>& data,
                                                     std::size_t batch_size);

class speech_model : public xgrad::nn::Module
{
public:
    // Throws cli::usage_error for impossible sizes, before allocating.
    speech_model(const model_config& c, xgrad::generator& g);
    // Per-frame class scores [T, B, classes] (dropout in training mode).
    xgrad::Variable logits(const batch& b);
    // CTC, PyTorch's mean: each utterance's loss over its label count, averaged; infeasible
    // utterances (more labels than frames allow) count 0.
    xgrad::Variable loss(const batch& b);
    // The labels heard in each utterance, in eval mode: greedy for beam <= 1, else the best of
    // a prefix beam search of that width.
    std::vector<xgrad::nn::label_sequence> recognise(const batch& b, std::size_t beam = 1);

    std::map<std::string, std::string> metadata() const;
    static std::unique_ptr<speech_model> from_metadata(const std::map<std::string, std::string>& m,
                                                       const std::string& source,
                                                       xgrad::generator& g);
    std::string describe() const override;

    model_config cfg;
    std::shared_ptr<xgrad::nn::RNNBase> rnn;
    std::shared_ptr<xgrad::nn::Linear> head;

private:
    xgrad::generator* gen_;
};

// The parameter count of a configuration; throws cli::usage_error beyond cli::max_parameters.
std::size_t count_parameters(const model_config& c);

} // namespace speech
