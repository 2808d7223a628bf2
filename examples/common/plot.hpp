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

#include <cstddef>
#include <string>
#include <vector>

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

} // namespace cli
