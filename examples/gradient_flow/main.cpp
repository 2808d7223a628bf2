// gradient_flow: how much gradient reaches step t of a sequence, for tanh RNN (default and IRNN
// init), LSTM (forget bias 0 and 1) and GRU, on tasks with a known long-range dependency
// (examples/gradient_flow/tasks.hpp). Measures at initialisation over several seeds and while
// training, with and without gradient clipping; writes tidy CSV and gnuplot pictures into --out.
//
// A study is a list of runs (one initialisation measurement per cell, one training run per cell
// and clipping threshold). Each finished run leaves its rows in OUT/runs/; --resume keeps those
// and does the rest, so an interrupted study loses at most the run it was in.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/common/plot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/run_record.hpp"
#include "examples/gradient_flow/study.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/read_file.hpp"

namespace fs = std::filesystem;
using namespace flow;

namespace
{

std::vector<std::string> read_lines(const std::string& path)
{
    std::vector<std::string> out = split(xgrad::io::read_file(path), '\n');
    while (!out.empty() && out.back().empty())
        out.pop_back();
    return out;
}

void write_lines(const std::string& path, const std::string& header,
                 const std::vector<std::string>& rows)
{
    xgrad::io::write_file_atomically(path, [&](std::ostream& out) {
        if (!header.empty())
            out << header << '\n';
        for (const std::string& r : rows)
            out << r << '\n';
    });
}

// The rows of every finished run, as the run fragments in OUT/runs/ hold them.
struct study_rows
{
    std::vector<std::string> norms, spectrum, training;
};

// One fragment per finished run: "#norms", "#spectrum", "#training" section lines, then rows.
void save_fragment(const std::string& path, const study_rows& r)
{
    xgrad::io::write_file_atomically(path, [&](std::ostream& out) {
        const std::pair<const char*, const std::vector<std::string>*> parts[] = {
            {"#norms", &r.norms}, {"#spectrum", &r.spectrum}, {"#training", &r.training}};
        for (const auto& [name, rows] : parts)
        {
            out << name << '\n';
            for (const std::string& line : *rows)
                out << line << '\n';
        }
    });
}

void load_fragment(const std::string& path, study_rows& into)
{
    std::vector<std::string>* section = nullptr;
    std::size_t n = 0;
    for (const std::string& line : read_lines(path))
    {
        ++n;
        if (line == "#norms")
            section = &into.norms;
        else if (line == "#spectrum")
            section = &into.spectrum;
        else if (line == "#training")
            section = &into.training;
        else if (!section || line.empty() || line[0] == '#')
            throw std::runtime_error(fmt::format("{}:{}: not a run fragment of gradient_flow "
                                                 "(delete it to redo that run)",
                                                 path, n));
        else
            section->push_back(line);
    }
}

// ---- pictures ----

// Batch-mean norms averaged over the rows' seeds on the log scale (the geometric mean: an
// arithmetic mean would follow the slowest-decaying seed alone): curve -> distance ->
// (sum of log10(norm), count of positive norms).
using curves = std::map<std::string, std::map<std::size_t, std::pair<double, std::size_t>>>;

std::string datablocks(const curves& c, std::vector<std::string>& names)
{
    std::string out;
    for (const auto& [name, points] : c)
    {
        out += fmt::format("$d{} << EOD\n", names.size());
        for (const auto& [x, acc] : points)
            if (acc.second > 0)
                out += fmt::format("{} {:.6e}\n", x, std::pow(10.0, acc.first / acc.second));
        out += "EOD\n";
        names.push_back(name);
    }
    return out;
}

std::string header(const std::string& picture, int width, int height)
{
    return fmt::format("if (!exists('out')) out = {}\n"
                       "set terminal pngcairo noenhanced size {},{} font ',10'\n"
                       "set output out\nset grid\nset key outside right\n",
                       cli::gnuplot_quote(picture), width, height);
}

// One colour per cell/init, so a cell keeps its colour across pictures; a dashed line is an
// LSTM's c (label ending " c") or a run with clipping (" clip ..."). Lines of other labels (the
// probed steps) take gnuplot's own colours.
std::string line_style(const std::string& label)
{
    static const std::pair<const char*, const char*> colours[] = {{"rnn/default", "#d62728"},
                                                                  {"rnn/irnn", "#ff7f0e"},
                                                                  {"lstm/fb0", "#17becf"},
                                                                  {"lstm/fb1", "#1f3fb4"},
                                                                  {"gru/default", "#2ca02c"}};
    std::string style;
    for (const auto& [cell, colour] : colours)
        if (label.rfind(cell, 0) == 0)
            style = fmt::format("linecolor rgb '{}' ", colour);
    const bool c_state = label.size() > 2 && label.compare(label.size() - 2, 2, " c") == 0;
    if (c_state || label.find(" clip ") != std::string::npos)
        style += "dashtype 2 ";
    return style;
}

std::string plot_lines(const std::vector<std::string>& names, std::size_t first = 0)
{
    std::string out = "plot ";
    for (std::size_t i = first; i < names.size(); ++i)
        out += fmt::format("{}$d{} using 1:2 with lines linewidth 2 {}title {}",
                           i > first ? ", \\\n     " : "", i, line_style(names[i]),
                           cli::gnuplot_quote(names[i]));
    return out + "\n";
}

void draw(const std::string& dir, const std::string& name, const std::string& script)
{
    const std::string gp = dir + "/" + name + ".gp", png = dir + "/" + name + ".png";
    xgrad::io::write_file_atomically(gp, [&](std::ostream& out) { out << script; });
    if (cli::render_picture(gp, png))
        fmt::print("wrote {}\n", png);
}

void draw_pictures(const std::string& dir, const study_rows& rows, const std::string& what)
{
    if (cli::find_gnuplot().empty())
    {
        fmt::print(stderr, "gradient_flow: gnuplot is not installed; the CSV files and *.gp "
                           "scripts are written, the pictures not (apt-get install gnuplot-nox)\n");
    }
    // At initialisation: one line per cell (and LSTM's c, dashed), averaged over seeds.
    curves init, during;
    std::set<std::string> panels;
    for (const std::string& r : rows.norms)
    {
        const std::vector<std::string> f = split(r, ',');
        if (f.size() != 8)
            continue;
        const std::string label = f[0] + "/" + f[1] + (f[6] == "c" ? " c" : "");
        const double norm = std::stod(f[5]);
        if (!(norm > 0)) // no gradient reached it (or it underflowed): nothing on a log axis
            continue;
        const std::size_t d = std::stoul(f[4]);
        if (f[3] == "0")
        {
            auto& acc = init[label][d];
            acc.first += std::log10(norm), ++acc.second;
        }
        else if (f[6] == "h")
        {
            const std::string key =
                f[0] + "/" + f[1] + "|" + f[7] + "|" + fmt::format("{:>8}", f[3]);
            auto& acc = during[key][d];
            acc.first += std::log10(norm), ++acc.second;
            panels.insert(f[0] + "/" + f[1] + "|" + f[7]);
        }
    }
    std::vector<std::string> names;
    std::string s = header(dir + "/grad_init.png", 1000, 600) + datablocks(init, names);
    s += fmt::format("set logscale y\nset format y '1e%L'\nset xlabel 'distance T - 1 - t to the "
                     "loss'\nset ylabel 'batch-mean ||dL/dh_t|| (dashed: ||dL/dc_t||)'\n"
                     "set title {}\n",
                     cli::gnuplot_quote("gradient reaching step t at initialisation, " + what));
    draw(dir, "grad_init", s + plot_lines(names));

    // While training: one panel per cell and clipping threshold, one line per probed step.
    if (!panels.empty())
    {
        const std::size_t n = panels.size(), cols = n > 1 ? 2 : 1, rws = (n + cols - 1) / cols;
        std::string t = header(dir + "/grad_during_training.png", 1200, 60 + 330 * rws);
        t += fmt::format("set multiplot layout {},{} title {}\nset logscale y\nset format y "
                         "'1e%L'\nset key inside top right\nset xlabel 'distance to the "
                         "loss'\n",
                         rws, cols,
                         cli::gnuplot_quote("batch-mean ||dL/dh_t|| during training, " + what));
        for (const std::string& p : panels)
        {
            curves mine;
            for (const auto& [key, pts] : during)
                if (key.rfind(p + "|", 0) == 0)
                    mine["step " + key.substr(key.rfind('|') + 1)] = pts;
            std::vector<std::string> ln;
            t += datablocks(mine, ln);
            const auto bar = p.find('|');
            t += fmt::format(
                "set title {}\n",
                cli::gnuplot_quote(p.substr(0, bar) + (p.substr(bar + 1) == "0"
                                                           ? ", no clipping"
                                                           : ", clip " + p.substr(bar + 1))));
            t += plot_lines(ln);
        }
        draw(dir, "grad_during_training", t + "unset multiplot\n");
    }

    // Training curves: held-out loss and accuracy per cell and clipping threshold.
    curves loss, acc;
    for (const std::string& r : rows.training)
    {
        const std::vector<std::string> f = split(r, ',');
        if (f.size() != 11)
            continue;
        const std::string label = f[0] + "/" + f[1] + (f[2] == "0" ? "" : " clip " + f[2]);
        loss[label][std::stoul(f[4])] = {std::log10(std::stod(f[6])), 1};
        acc[label][std::stoul(f[4])] = {std::log10(std::max(std::stod(f[7]), 1e-9)), 1};
    }
    if (!loss.empty())
    {
        std::string u = header(dir + "/grad_curves.png", 1100, 800);
        u += fmt::format("set multiplot layout 2,1 title {}\nset xlabel 'training step'\n",
                         cli::gnuplot_quote("training " + what));
        std::vector<std::string> ln;
        u += datablocks(loss, ln);
        const std::size_t split_at = ln.size();
        u += datablocks(acc, ln);
        u += "set logscale y\nset format y '1e%L'\nset ylabel 'held-out loss'\n";
        u += plot_lines(std::vector<std::string>(ln.begin(), ln.begin() + split_at));
        u += "unset logscale y\nset format y '%g'\nset ylabel 'held-out accuracy'\nset yrange "
             "[0:1]\n";
        std::string accuracy_plot = plot_lines(ln, split_at);
        u += accuracy_plot + "unset multiplot\n";
        draw(dir, "grad_curves", u);
    }
}

std::string fragment_name(const std::string& kind, const variant& v, double clip)
{
    std::string s = kind + "-" + v.cell + "-" + v.init;
    if (kind == "train")
        s += fmt::format("-clip{:g}", clip);
    return s + ".rows";
}

} // namespace

int main(int argc, char** argv)
{
    std::string task_name = "adding", cells = "rnn/default,rnn/irnn,lstm/fb0,lstm/fb1,gru/default",
                clips = "0,1", out = "gradient-flow";
    std::size_t length = 100, seeds = 5;
    std::uint64_t seed = 1;
    bool resume = false;
    study_options o;
    cli::flags f(
        "usage: gradient_flow [options]\n"
        "Measures how the gradient reaching step t of a sequence shrinks with the distance to\n"
        "the loss, for tanh RNN (default and IRNN init), LSTM (forget bias 0 and 1) and GRU, on\n"
        "the adding or copy task: at initialisation over --seeds seeds, and while training\n"
        "(with and without clipping). Writes OUT/grad_norms.csv, grad_spectrum.csv,\n"
        "grad_training.csv and, with gnuplot, grad_init.png, grad_during_training.png and\n"
        "grad_curves.png.");
    f.add("task", task_name, "task with a long-range dependency").one_of({"adding", "copy"});
    f.add("length", length, "sequence length T").in_range(12, 1000);
    f.add("cells", cells, "comma-separated cells to compare (cell/init)").not_empty();
    f.add("hidden", o.hidden, "hidden size").in_range(1, 1024);
    f.add("batch", o.batch, "sequences per step").in_range(1, 4096);
    f.add("seeds", seeds, "seeds measured at initialisation").in_range(1, 100);
    f.add("steps", o.steps, "training steps per run (0: initialisation only)")
        .in_range(0, 10000000);
    f.add("lr", o.lr, "Adam learning rate").positive().at_most(10);
    f.add("clip", clips,
          "comma-separated gradient-norm clipping thresholds to train with (0: none)")
        .not_empty();
    f.add("eval-every", o.eval_every, "steps between held-out evaluations").in_range(1, 10000000);
    f.add("probe-every", o.probe_every,
          "steps between gradient-norm measurements while training (0: only at the end)")
        .in_range(0, 10000000);
    f.add("out", out, "output folder").not_empty();
    f.add("seed", seed, "random seed (initialisation uses seed .. seed + seeds - 1)", 0);
    f.add("resume", resume,
          "keep the runs a study with the same flags finished in --out, do the rest");
    f.parse(argc, argv);
    try
    {
        const task t(task_name == "adding" ? task_kind::adding : task_kind::copy, length);
        std::vector<variant> variants;
        for (const std::string& c : split(cells, ','))
            variants.push_back(parse_variant(c));
        std::vector<double> clip_values;
        for (const std::string& c : split(clips, ','))
        {
            double v;
            if (!cli::parse_double(c, v) || v < 0)
                throw cli::usage_error(fmt::format("--clip: '{}' is not a threshold >= 0", c));
            clip_values.push_back(v);
        }

        // The flags that define the study: a resumed study must have the same.
        cli::run_record record;
        for (const char* k : {"task", "length", "cells", "hidden", "batch", "seeds", "steps", "lr",
                              "clip", "eval-every", "probe-every", "seed"})
            record[k] = "";
        record["task"] = task_name, record["length"] = std::to_string(length);
        record["cells"] = cells, record["hidden"] = std::to_string(o.hidden);
        record["batch"] = std::to_string(o.batch), record["seeds"] = std::to_string(seeds);
        record["steps"] = std::to_string(o.steps), record["lr"] = fmt::format("{}", o.lr);
        record["clip"] = clips, record["eval-every"] = std::to_string(o.eval_every);
        record["probe-every"] = std::to_string(o.probe_every);
        record["seed"] = std::to_string(seed);
        const std::string runs_dir = out + "/runs", record_path = out + "/study.txt";
        if (resume)
        {
            if (!fs::exists(record_path))
                throw cli::usage_error(
                    fmt::format("--resume: {} holds no study ({} is missing)", out, record_path));
            cli::run_record saved;
            for (const std::string& line : read_lines(record_path))
            {
                const auto eq = line.find('=');
                if (eq != std::string::npos)
                    saved[line.substr(0, eq)] = line.substr(eq + 1);
            }
            cli::check_run_record(saved, record);
        }
        else if (fs::exists(runs_dir))
        {
            fmt::print("starting afresh: removing the runs of an earlier study in {}\n", runs_dir);
            fs::remove_all(runs_dir);
        }
        fs::create_directories(runs_dir);
        xgrad::io::write_file_atomically(record_path, [&](std::ostream& s) {
            for (const auto& [k, v] : record)
                s << k << '=' << v << '\n';
        });

        const std::string what = fmt::format("{} task, T = {}, H = {}", t.name(), length, o.hidden);
        fmt::print("gradient_flow: {}, batch {}, {} cells, {} seeds at init, {} training steps "
                   "per run, clip {}\n",
                   what, o.batch, variants.size(), seeds, o.steps, clips);
        study_rows all;
        std::size_t runs = variants.size() * (1 + (o.steps > 0 ? clip_values.size() : 0)), done = 0;
        const auto finish_run = [&](const std::string& name, const study_rows& r) {
            save_fragment(runs_dir + "/" + name, r);
            all.norms.insert(all.norms.end(), r.norms.begin(), r.norms.end());
            all.spectrum.insert(all.spectrum.end(), r.spectrum.begin(), r.spectrum.end());
            all.training.insert(all.training.end(), r.training.begin(), r.training.end());
        };
        const auto kept = [&](const std::string& name) {
            const std::string p = runs_dir + "/" + name;
            if (!resume || !fs::exists(p))
                return false;
            load_fragment(p, all);
            fmt::print("run {}/{}: {} kept from the earlier study\n", ++done, runs, name);
            return true;
        };

        for (const variant& v : variants)
        {
            const std::string name = fragment_name("init", v, 0);
            if (kept(name))
                continue;
            study_rows r;
            measure_at_init(v, t, o, seed, seeds, r.norms, r.spectrum);
            finish_run(name, r);
            fmt::print("run {}/{}: {} at initialisation: log10 slope {:+.4f} per step (seed {})\n",
                       ++done, runs, v.label(), log10_slope(r.norms, v, seed), seed);
        }
        if (o.steps > 0)
            for (double clip : clip_values)
                for (const variant& v : variants)
                {
                    const std::string name = fragment_name("train", v, clip);
                    if (kept(name))
                        continue;
                    study_rows r;
                    cli::progress bar;
                    const std::size_t run_index = ++done;
                    train_run(v, t, o, clip, seed, r.training, r.norms,
                              [&](std::size_t step, double loss) {
                                  bar.update(run_index, runs, step, o.steps, loss,
                                             step * o.batch * length);
                              });
                    bar.finish();
                    finish_run(name, r);
                    const std::vector<std::string> last = split(r.training.back(), ',');
                    fmt::print("run {}/{}: {}{}: held-out loss {}, accuracy {}, {} s\n", run_index,
                               runs, v.label(), clip > 0 ? fmt::format(" clip {:g}", clip) : "",
                               last[6], last[7], last[10]);
                }

        write_lines(out + "/grad_norms.csv", norm_header, all.norms);
        write_lines(out + "/grad_spectrum.csv", spectrum_header, all.spectrum);
        write_lines(out + "/grad_training.csv", training_header, all.training);
        fmt::print("wrote {0}/grad_norms.csv, {0}/grad_spectrum.csv, {0}/grad_training.csv\n", out);
        draw_pictures(out, all, what); // before the summary, so the table is what ends the run

        // The theory next to the measurement, per cell, as means over the seeds: the candidate
        // block's sigma_max and rho, log10(rho), and the measured slope of log10 ||dL/dh_t|| per
        // step (fitted per seed). Backpropagation multiplies by diag(f') W^T each step, with
        // |f'| <= 1 for tanh: the gradient cannot shrink slower than rho allows in the long run
        // unless the gates (LSTM, GRU) or an identity weight keep it.
        std::vector<std::string> summary;
        fmt::print("\n{:<12} {:>9} {:>9} {:>11} {:>15}\n", "cell", "sigma_max", "rho", "log10(rho)",
                   "measured slope");
        for (const variant& v : variants)
        {
            double sigma = 0, rho = 0, log_rho = 0, slope = 0;
            std::size_t n = 0;
            for (const std::string& r : all.spectrum)
            {
                const std::vector<std::string> c = split(r, ',');
                if (c.size() != 5 || c[0] != v.cell || c[1] != v.init)
                    continue;
                sigma += std::stod(c[3]), rho += std::stod(c[4]);
                log_rho += std::log10(std::stod(c[4]));
                slope += log10_slope(all.norms, v, std::stoull(c[2]));
                ++n;
            }
            sigma /= n, rho /= n, log_rho /= n, slope /= n;
            fmt::print("{:<12} {:>9.4f} {:>9.4f} {:>+11.4f} {:>+15.4f}\n", v.label(), sigma, rho,
                       log_rho, slope);
            summary.push_back(fmt::format("{},{},{},{:.6f},{:.6f},{:.6f},{:.6f}", v.cell, v.init, n,
                                          sigma, rho, log_rho, slope));
        }
        write_lines(out + "/grad_summary.csv", "cell,init,seeds,sigma_max,rho,log10_rho,slope",
                    summary);
        fmt::print("(U(+-1/sqrt(H)) weights: eigenvalues fill a disc of radius about 1/sqrt(3) = "
                   "0.577, log10 -0.239)\n");
        return 0;
    }
    catch (const std::invalid_argument& e) // a cell name, or a length the task cannot use
    {
        fmt::print(stderr, "gradient_flow: error: {}\n", e.what());
        return 2;
    }
    catch (const cli::usage_error& e)
    {
        fmt::print(stderr, "gradient_flow: error: {}\n", e.what());
        return 2;
    }
    catch (const std::exception& e)
    {
        fmt::print(stderr, "gradient_flow: error: {}\n", e.what());
        return 1;
    }
}
