// The networks the study compares: one recurrent layer and a linear read-out of the last
// answer_steps() outputs. A variant is a cell and an initialisation:
//   rnn/default   tanh RNN, PyTorch's U(+-1/sqrt(H)) weights (eigenvalues of weight_hh fill a
//                 disc of radius about 1/sqrt(3): the gradient shrinks geometrically)
//   rnn/irnn      ReLU RNN with weight_hh = I and zero biases (Le, Jaitly & Hinton 2015)
//   lstm/fb0      LSTM, forget-gate bias 0 (PyTorch's init, the forget bias pair summed to 0)
//   lstm/fb1      LSTM, forget-gate bias 1 (Gers et al. 2000; Jozefowicz et al. 2015)
//   gru/default   GRU, PyTorch's init
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "examples/gradient_flow/tasks.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/module.hpp"
#include "xgrad/layers/rnn.hpp"

namespace flow
{

struct variant
{
    std::string cell, init;
    std::string label() const { return cell + "/" + init; }
};

// The five variants above, in that order.
const std::vector<variant>& all_variants();
// "rnn/default" -> the variant. Throws std::invalid_argument listing the known ones.
variant parse_variant(const std::string& label);

class flow_model : public xgrad::nn::Module
{
public:
    flow_model(const variant& v, const task& t, std::size_t hidden, xgrad::generator& g);

    // The read-out: adding [B, 1] from the last step; copy [S, B, alphabet] from the last S.
    xgrad::Variable forward(const xgrad::Tensor& x);
    // The loss of the task (mean squared error, or mean cross-entropy over the answer steps) and
    // the fraction of right answers of `out`, forward()'s result for batch `b`.
    xgrad::Variable loss(const xgrad::Variable& out, const task_batch& b) const;
    double accuracy(const xgrad::Variable& out, const task_batch& b) const;

    // The recurrent weight weight_hh_l0 [G*H, H] and its candidate block (the rows that feed the
    // state's update: all of an RNN's, the cell gate g of an LSTM, the new gate n of a GRU).
    xgrad::Tensor recurrent_block() const;
    std::string cell() const { return variant_.cell; }

private:
    variant variant_;
    const task* task_;
    std::size_t hidden_;
    std::shared_ptr<xgrad::nn::RNNBase> rnn_;
    std::shared_ptr<xgrad::nn::Linear> head_;
};

} // namespace flow
