// The language model of the RNN tutorial, and its gated variants.
//
// cell "rnn" (the default) is the tutorial's model exactly: no embedding (the input is one-hot,
// so U x_t is column x_t of U), no biases, tutorial initialisation:
//     s_t = tanh(U[:, x_t] + W s_{t-1}),   o_t = softmax(V s_t)
//     U [H, C] ~ U(+-1/sqrt(C)),  W [H, H] and V [C, H] ~ U(+-1/sqrt(H))
// U is stored transposed ([C, H], one row per word, like an embedding table) so that U x_t is a
// row lookup; the weight file's "U" is therefore the tutorial's U^T.
// Extra --layers stack bias-free RNN layers on top. "lstm" and "gru" use an embedding of width H,
// PyTorch's LSTM/GRU layers and the same bias-free output matrix V.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "examples/text/batches.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/cell.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/sequence.hpp"

namespace rnnlm
{

struct config
{
    std::string cell = "rnn"; // rnn | lstm | gru
    std::size_t layers = 1;
    std::size_t hidden = 100;
    std::size_t vocab = 8000;

    // The sizes the example builds: beyond them a typo, not a model (and an allocation failure).
    static constexpr std::size_t max_layers = 64, max_hidden = 65536, min_vocab = 4,
                                 max_vocab = std::size_t(1) << 24;

    // Written into the weight file's metadata, and checked when a model is loaded. from_metadata
    // throws std::runtime_error naming `source` and the key that is missing or bad.
    std::map<std::string, std::string> to_metadata() const;
    static config from_metadata(const std::map<std::string, std::string>& m,
                                const std::string& source = "the weight file");
    std::string describe() const;

    // The number of parameters, computed without overflow; throws cli::usage_error for a cell
    // other than rnn/lstm/gru, sizes outside the bounds above or more than
    // cli::max_parameters, before anything is allocated.
    std::size_t parameter_count() const;
};

class Model : public xgrad::nn::Module
{
public:
    // Throws (see config::parameter_count) for an unknown cell or an impossible size.
    Model(const config& c, xgrad::generator& g);

    const config& cfg() const { return cfg_; }
    std::size_t state_groups() const { return body_->state_groups(); }

    // Logits [T, B, C] for time-major token ids (T * B of them) with per-sequence lengths;
    // `initial` (empty: zeros) and the final states go through `states` for truncated BPTT.
    xgrad::Variable logits(const std::vector<std::int64_t>& ids, std::size_t steps,
                           std::size_t batch, const std::vector<std::size_t>& lengths,
                           const xgrad::nn::state_list& initial,
                           xgrad::nn::state_list* states = nullptr);

    // Mean cross-entropy per target token of a batch (padding ignored), optionally in chunks of
    // `bptt` time steps whose state is carried detached (0: full BPTT). Calls backward() on each
    // chunk when `train` is set and returns the mean loss. The gradient is that of the summed
    // loss over `normaliser` tokens (0: the batch's own; data-parallel training passes the
    // global batch's count).
    double run_batch(const text::batch& b, std::size_t bptt, bool train,
                     std::size_t normaliser = 0);

    // Natural-log probability of every next token of one id sequence (START ... END): element i
    // is log P(ids[i+1] | ids[0..i]). Runs without recording.
    std::vector<double> next_token_logprobs(const std::vector<std::int64_t>& ids);

    // One step for sampling: feeds `token`, updates `state` (empty: zeros), returns logits [C].
    std::vector<double> step(std::int64_t token, xgrad::nn::state_list& state);

    std::string describe() const override { return cfg_.describe(); }

private:
    xgrad::Variable inputs(const std::vector<std::int64_t>& ids, std::size_t steps,
                           std::size_t batch);

    config cfg_;
    xgrad::Variable U, V;                         // tutorial input columns / output matrix
    std::shared_ptr<xgrad::nn::Embedding> embed_; // lstm / gru
    // The recurrent layers: PyTorch's LSTM/GRU, or the tutorial cell with RNN layers on top.
    std::shared_ptr<xgrad::nn::SequenceLayer> body_;
};

} // namespace rnnlm
