// The measurements of the study, each producing tidy CSV rows:
//   measure_at_init: for several seeds, a fresh network in float64, one batch, one backward pass
//     with an nn::gradient_probe; per step t the batch-mean ||dL/dh_t|| (and ||dL/dc_t||) against
//     the distance T - 1 - t to the last step, plus the spectrum of the recurrent weight.
//   train_run: Adam on fresh batches, with or without gradient-norm clipping; every eval_every
//     steps the training loss, a held-out batch's loss and accuracy, the gradient norm before
//     clipping and how often clipping fired; every probe_every steps the per-step gradient norms
//     of that step's own backward pass (the probe changes no gradient).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "examples/gradient_flow/model.hpp"
#include "examples/gradient_flow/tasks.hpp"

namespace flow
{

// Header of the gradient-norm rows: the six columns, then the state tensor (h, or c of
// an LSTM) and the clipping threshold of the training run (0: none, and at initialisation).
constexpr const char* norm_header = "cell,init,seed,step,distance,norm,state,clip";
constexpr const char* spectrum_header = "cell,init,seed,sigma_max,rho";
constexpr const char* training_header =
    "cell,init,clip,seed,step,train_loss,eval_loss,eval_accuracy,grad_norm,clipped_fraction,"
    "seconds";

struct study_options
{
    std::size_t hidden = 64, batch = 32;
    std::size_t steps = 4000, eval_every = 250, probe_every = 1000, eval_batch = 512;
    double lr = 3e-3;
};

// Rows appended to `norms` and `spectrum` (without newlines).
void measure_at_init(const variant& v, const task& t, const study_options& o, std::uint64_t seed,
                     std::size_t seeds, std::vector<std::string>& norms,
                     std::vector<std::string>& spectrum);

// One training run; clip 0 means none. `report(step, loss)` is called after every step (for a
// progress line).
void train_run(const variant& v, const task& t, const study_options& o, double clip,
               std::uint64_t seed, std::vector<std::string>& training,
               std::vector<std::string>& norms,
               const std::function<void(std::size_t, double)>& report);

// The fields of one CSV row (the study's rows hold no quoted fields), or the lines of a file.
std::vector<std::string> split(const std::string& s, char sep = ',');

// Least-squares slope of log10(norm) against distance over the rows of one (cell, init, seed,
// state h, step 0) group, leaving out distance 0 (where the loss adds its own term) and zero
// norms. NaN when fewer than two points remain.
double log10_slope(const std::vector<std::string>& norm_rows, const variant& v, std::uint64_t seed);

} // namespace flow
