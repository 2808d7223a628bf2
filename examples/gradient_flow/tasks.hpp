// Two tasks whose answer depends on inputs far from the loss, so a network can solve them only if
// gradient reaches back across the sequence:
//   adding (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015): each step carries a value
//     u ~ U[0, 1) and a marker; exactly two steps are marked, one in each half of the sequence;
//     the target, read from the last state, is the sum of the two marked values. Predicting 1
//     (the mean) gives a mean squared error of 1/6; a prediction within 0.04 counts as right.
//   copy (Arjovsky, Shah & Bengio 2016, shortened): the first `symbols` steps show symbols from
//     an alphabet of `alphabet`, then blanks, a delimiter at step T - symbols - 1, and the last
//     `symbols` steps must output the symbols in order (cross-entropy over those steps only).
//     Guessing gives accuracy 1/alphabet and loss log(alphabet).
// Inputs are [T, B, input_size()] float32 (or float64); batches are drawn from a generator, so a
// seed fixes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xgrad/autograd/random.hpp"
#include "xgrad/autograd/tensor.hpp"

namespace flow
{

enum class task_kind
{
    adding,
    copy
};

struct task_batch
{
    xgrad::Tensor x;                   // [T, B, input]
    std::vector<double> values;        // adding: the target per row [B]
    std::vector<std::int64_t> symbols; // copy: the target symbols [S, B], step-major
};

class task
{
public:
    // Throws std::invalid_argument when the length leaves no room for the task (adding: T >= 2;
    // copy: T >= 2 * symbols + 2), or alphabet < 2 / symbols < 1 for copy.
    task(task_kind kind, std::size_t length, std::size_t alphabet = 8, std::size_t symbols = 5);

    task_kind kind() const { return kind_; }
    std::size_t length() const { return length_; }
    std::size_t input_size() const;  // adding: 2 (value, marker); copy: alphabet + 2
    std::size_t output_size() const; // adding: 1; copy: alphabet
    // Steps at the end that the loss reads: 1 (adding) or symbols (copy).
    std::size_t answer_steps() const;
    std::size_t alphabet() const { return alphabet_; }
    std::string name() const;

    task_batch sample(std::size_t batch, xgrad::generator& g, xgrad::dtype dt) const;

private:
    task_kind kind_;
    std::size_t length_, alphabet_, symbols_;
};

} // namespace flow
