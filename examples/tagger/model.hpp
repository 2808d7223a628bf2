// The tagger network: word embedding + character BiLSTM features -> 1-2 BiLSTM layers ->
// per-word tag scores, read out by softmax (each word on its own) or a linear-chain CRF (the
// best tag sequence, with BIO moves forbidden for NER tag sets).
//
// Character features: every distinct word of a batch is one sequence of bytes for a character
// BiLSTM (all of them in one batched call with their lengths); the forward final state and the
// backward final state are concatenated to the word's embedding. This is how a tagger guesses
// words it has never seen (suffixes, capitals, digits, hyphens).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "examples/tagger/data.hpp"
#include "xgrad/layers/crf.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/rnn.hpp"

namespace tagger
{

struct model_config
{
    std::size_t word_dim = 100, char_dim = 32, char_hidden = 64, hidden = 128, layers = 2;
    std::size_t max_chars = 20;
    std::string output = "softmax"; // or "crf"
    double dropout = 0.33;
};

constexpr std::size_t max_width = 65536, max_layers = 8;

class tagger_model : public xgrad::nn::Module
{
public:
    // Throws cli::usage_error for impossible sizes (before allocating) and std::runtime_error
    // for more than cli::max_parameters.
    tagger_model(const model_config& c, vocabulary words, tag_set tags, xgrad::generator& g);

    // Tag scores [T, B, K] of a batch (dropout in training mode).
    xgrad::Variable emissions(const batch& b);
    // The training loss: mean negative log-likelihood per word (softmax: cross-entropy over the
    // real words; CRF: the sentences' NLL summed, divided by the word count).
    xgrad::Variable loss(const batch& b);
    // The predicted tag ids of every sentence of the batch (lengths[b] each), in eval mode.
    std::vector<std::vector<std::int64_t>> predict(const batch& b);

    std::map<std::string, std::string> metadata() const;
    // A model described by a weight file's metadata; throws std::runtime_error naming `source`.
    static std::unique_ptr<tagger_model> from_metadata(const std::map<std::string, std::string>& m,
                                                       const std::string& source,
                                                       xgrad::generator& g);
    std::string describe() const override;

    model_config cfg;
    vocabulary words;
    tag_set tags;
    std::shared_ptr<xgrad::nn::Embedding> word_embed, char_embed;
    std::shared_ptr<xgrad::nn::LSTM> char_rnn, rnn;
    std::shared_ptr<xgrad::nn::Linear> head;
    std::shared_ptr<xgrad::nn::CRF> crf; // null with softmax output

private:
    xgrad::generator* gen_;
};

// The parameter count of a configuration, computed without overflow; throws cli::usage_error
// when it exceeds cli::max_parameters.
std::size_t count_parameters(const model_config& c, std::size_t words, std::size_t tags);

} // namespace tagger
