// A training run's curves, for --plot DIR: a tidy CSV (one row per measurement) and a picture of
// it rendered by gnuplot (Debian `gnuplot-nox`), one panel per curve against the training step.
//
//   cli::run_plot plot(dir, "rnnlm");            // DIR/rnnlm.csv, DIR/rnnlm.gp, DIR/rnnlm.png
//   plot.add("train_loss", step, loss);          // as often as wanted
//   plot.add("valid_ppl", step, ppl);
//   plot.write();                                // after each epoch: CSV, script and picture
//
// Without gnuplot on PATH, write() still writes the CSV and the script (render it later with
// `gnuplot DIR/NAME.gp`) and says once, on stderr, that no picture was made.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace cli
{

// The gnuplot executable on PATH, or "" when there is none.
std::string find_gnuplot();

// Runs `gnuplot script_path` and waits. Returns false when gnuplot is not installed; throws
// std::runtime_error naming the script and gnuplot's exit status (and its stderr's last line)
// when it fails.
bool run_gnuplot(const std::string& script_path);

// Runs a gnuplot script whose output is `if (!exists('out')) out = PICTURE; set output out`, with
// out set to a temporary beside `picture`, and renames the temporary to `picture` once gnuplot
// succeeded (a crash never leaves half a picture). Returns false, drawing nothing, when gnuplot
// is not installed; throws as run_gnuplot, or xgrad::io_error.
bool render_picture(const std::string& script_path, const std::string& picture);

// Quotes s as a gnuplot single-quoted string ('' stands for a quote inside it).
std::string gnuplot_quote(const std::string& s);

class run_plot
{
public:
    // Files DIR/NAME.csv, DIR/NAME.gp and DIR/NAME.png; DIR is created (with its parents) by
    // write(). NAME: letters, digits, '_', '-' (anything else throws std::invalid_argument).
    run_plot(std::string dir, std::string name);

    // One measurement of curve `series` (a name of letters, digits and '_', e.g. "train_loss",
    // "tokens_per_s", "grad_norm") at training step `step`. Non-finite values are kept in the
    // CSV (as nan/inf) and skipped by the picture. Throws std::invalid_argument for a bad name.
    void add(const std::string& series, double step, double value);

    // For --resume: reads the CSV an earlier run wrote, keeping its rows with step <= up_to (the
    // checkpoint's step; later rows belong to work the resumed run redoes). A missing file is
    // not an error (the earlier run had no --plot). Throws std::runtime_error naming the file
    // and line of a malformed row.
    void load(double up_to);

    // Writes the CSV (header `series,step,value`) and the gnuplot script atomically, then renders
    // the picture (PNG, written to a temporary and renamed, so a crash never leaves half a
    // picture). Returns true when the picture was made. Throws xgrad::io_error when a file
    // cannot be written, std::runtime_error when gnuplot fails.
    bool write() const;

    const std::string& csv_path() const { return csv_; }
    const std::string& picture_path() const { return png_; }
    std::size_t rows() const { return rows_.size(); }

private:
    struct row
    {
        std::string series;
        double step, value;
    };
    std::string dir_, name_, csv_, gp_, png_;
    std::vector<row> rows_;
};

// What every training example plots with --plot DIR: per window of `every` optimizer steps, the
// mean training loss (per token), tokens per second (of the steps' own time, so evaluation and
// checkpointing are not counted) and the mean global gradient norm before clipping, at the
// window's last step; plus what the example adds itself (a validation metric). Steps are
// counted over the whole run, across --resume. Constructed with dir "", everything is a no-op,
// so a training loop calls it unconditionally.
//
//   cli::training_plot plot(o.plot, "rnnlm", 20);
//   plot.resume(step_of_checkpoint);                 // with --resume
//   auto t0 = cli::training_plot::clock::now();
//   ... forward, backward
//   double g = plot.grad_norm(params, o.clip);       // clips when o.clip > 0
//   ... optimizer step
//   plot.step(step, loss, tokens, g, t0);
//   plot.add("valid_loss", step, v);  plot.write(); // with each checkpoint
class training_plot
{
public:
    using clock = std::chrono::steady_clock;

    // Throws std::invalid_argument for a bad name or every == 0.
    training_plot(const std::string& dir, const std::string& name, std::size_t every);
    bool enabled() const { return enabled_; }

    // Clips the gradients' global norm to max_norm when max_norm > 0 (optim::clip_grad_norm,
    // which throws for a NaN or infinite gradient) and returns the norm before clipping; with
    // max_norm == 0 clips nothing and returns the norm when plotting (NaN for a non-finite
    // gradient, which training is left to meet), 0 when not.
    double grad_norm(const std::vector<xgrad::Variable>& params, double max_norm) const;

    // Optimizer step number `step` (1-based) took the time since `started`, trained on
    // `tokens` tokens with mean loss `loss`; `grad_norm` as returned above.
    void step(std::size_t step, double loss, std::size_t tokens, double grad_norm,
              clock::time_point started);
    // Any other curve (valid_loss, valid_ppl, bleu, f1) at step `step`.
    void add(const std::string& series, double step, double value);
    // With --resume from a checkpoint taken after step `up_to`: keeps the earlier run's rows up
    // to it (run_plot::load).
    void resume(double up_to);
    // Closes the current window (a shorter last one) and writes CSV, script and picture. A file
    // that cannot be written or a failing gnuplot is reported once on stderr and training goes
    // on: returns false then, or when no picture was drawn.
    bool write();

private:
    void flush();
    bool enabled_;
    std::size_t every_;
    run_plot plot_;
    std::size_t n_ = 0, tokens_ = 0, last_step_ = 0;
    double loss_ = 0, norm_ = 0, seconds_ = 0;
    bool warned_ = false;
};

// Throws usage_error ("--plot DIR: ... is not a folder") when DIR exists and is not a folder,
// so a mistake fails before training rather than at the first write.
void check_plot_dir(const std::string& dir);

} // namespace cli
