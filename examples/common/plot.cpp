#include "examples/common/plot.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/read_file.hpp"
#include "xgrad/optim/clip.hpp"

namespace cli
{

namespace
{

bool is_name(const std::string& s, bool dash)
{
    if (s.empty() || s.size() > 100)
        return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (dash && c == '-')))
            return false;
    return true;
}

// POSIX sh single quotes: nothing inside is special except the quote itself.
std::string shell_quote(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string number(double v)
{
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    return fmt::format("{:.9g}", v);
}

bool parse_value(const std::string& s, double& out)
{
    if (s == "nan")
        return out = std::numeric_limits<double>::quiet_NaN(), true;
    return parse_double(s, out, true);
}

} // namespace

std::string find_gnuplot()
{
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':'))
    {
        const std::string p = (dir.empty() ? "." : dir) + "/gnuplot";
        if (::access(p.c_str(), X_OK) == 0)
            return p;
    }
    return "";
}

std::string gnuplot_quote(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

bool run_gnuplot(const std::string& script_path)
{
    const std::string exe = find_gnuplot();
    if (exe.empty())
        return false;
    const std::string cmd = shell_quote(exe) + " " + shell_quote(script_path) + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        throw std::runtime_error(fmt::format("gnuplot {}: cannot start gnuplot", script_path));
    std::string said;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p))
        said += buf;
    const int status = ::pclose(p);
    if (status != 0)
    {
        std::string last;
        std::stringstream again(said);
        for (std::string l; std::getline(again, l);)
            if (!l.empty())
                last = l;
        throw std::runtime_error(fmt::format("gnuplot {}: failed (exit status {}){}{}", script_path,
                                             WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                                             last.empty() ? "" : ": ", last));
    }
    return true;
}

bool render_picture(const std::string& script_path, const std::string& picture)
{
    if (find_gnuplot().empty())
        return false;
    const std::string tmp = picture + ".tmp", wrapper = script_path + ".run";
    xgrad::io::write_file_atomically(wrapper, [&](std::ostream& out) {
        out << "out = " << gnuplot_quote(tmp) << "\nload " << gnuplot_quote(script_path) << "\n";
    });
    try
    {
        run_gnuplot(wrapper);
    }
    catch (...)
    {
        std::remove(wrapper.c_str());
        std::remove(tmp.c_str());
        throw;
    }
    std::remove(wrapper.c_str());
    if (std::rename(tmp.c_str(), picture.c_str()) != 0)
        throw std::runtime_error(fmt::format("cannot rename {} to {}", tmp, picture));
    return true;
}

run_plot::run_plot(std::string dir, std::string name) : dir_(std::move(dir)), name_(std::move(name))
{
    if (!is_name(name_, true))
        throw std::invalid_argument(fmt::format("run_plot: bad name '{}'", name_));
    if (dir_.empty())
        dir_ = ".";
    csv_ = dir_ + "/" + name_ + ".csv";
    gp_ = dir_ + "/" + name_ + ".gp";
    png_ = dir_ + "/" + name_ + ".png";
}

void run_plot::add(const std::string& series, double step, double value)
{
    if (!is_name(series, false))
        throw std::invalid_argument(fmt::format("run_plot.add: bad series name '{}'", series));
    rows_.push_back({series, step, value});
}

void run_plot::load(double up_to)
{
    std::error_code ec;
    if (!std::filesystem::exists(csv_, ec))
        return;
    const std::string text = xgrad::io::read_file(csv_);
    std::stringstream in(text);
    std::string line;
    std::vector<row> kept;
    for (std::size_t n = 1; std::getline(in, line); ++n)
    {
        if (n == 1)
        {
            if (line != "series,step,value")
                throw std::runtime_error(fmt::format(
                    "{}:1: expected the header 'series,step,value', got '{}'", csv_, line));
            continue;
        }
        const auto c1 = line.find(','), c2 = line.find(',', c1 == std::string::npos ? 0 : c1 + 1);
        row r;
        if (c1 == std::string::npos || c2 == std::string::npos ||
            line.find(',', c2 + 1) != std::string::npos ||
            !is_name(r.series = line.substr(0, c1), false) ||
            !parse_value(line.substr(c1 + 1, c2 - c1 - 1), r.step) || !std::isfinite(r.step) ||
            !parse_value(line.substr(c2 + 1), r.value))
            throw std::runtime_error(
                fmt::format("{}:{}: expected 'series,step,value', got '{}'", csv_, n, line));
        if (r.step <= up_to)
            kept.push_back(std::move(r));
    }
    kept.insert(kept.end(), rows_.begin(), rows_.end());
    rows_ = std::move(kept);
}

bool run_plot::write() const
{
    std::filesystem::create_directories(dir_);
    xgrad::io::write_file_atomically(csv_, [&](std::ostream& out) {
        out << "series,step,value\n";
        for (const row& r : rows_)
            out << r.series << ',' << number(r.step) << ',' << number(r.value) << '\n';
    });

    // The series in the order they first appear, one panel each. The data goes into the script
    // as one data block per series, so the script alone re-renders the picture.
    std::vector<std::string> series;
    for (const row& r : rows_)
        if (std::find(series.begin(), series.end(), r.series) == series.end())
            series.push_back(r.series);
    const std::size_t panels = std::max<std::size_t>(series.size(), 1);
    xgrad::io::write_file_atomically(gp_, [&](std::ostream& out) {
        out << "# " << name_ << ": the curves of " << csv_ << ", one panel per series.\n"
            << "# Render: gnuplot " << gp_ << "  (writes " << png_ << ")\n";
        for (std::size_t i = 0; i < series.size(); ++i)
        {
            out << "$s" << i << " << EOD\n";
            for (const row& r : rows_)
                if (r.series == series[i] && std::isfinite(r.value))
                    out << number(r.step) << ' ' << number(r.value) << '\n';
            out << "EOD\n";
        }
        out << "if (!exists('out')) out = " << gnuplot_quote(png_) << "\n"
            << "set terminal pngcairo noenhanced size 900," << 60 + 240 * panels << " font ',10'\n"
            << "set output out\n"
            << "set multiplot layout " << panels << ",1 title "
            << gnuplot_quote(name_ + " (" + csv_ + ")") << "\n"
            << "set grid\nset key top right\nset xlabel 'step'\n";
        // One step axis for every panel, so an epoch's validation point sits under the
        // training curve at the same step.
        double last = 0;
        for (const row& r : rows_)
            last = std::max(last, r.step);
        if (last > 0)
            out << "set xrange [0:" << number(last) << "]\n";
        for (std::size_t i = 0; i < series.size(); ++i)
        {
            const bool any = std::any_of(rows_.begin(), rows_.end(), [&](const row& r) {
                return r.series == series[i] && std::isfinite(r.value);
            });
            if (any)
                out << "plot $s" << i << " using 1:2 with linespoints pointtype 7 pointsize 0.4 "
                    << "title " << gnuplot_quote(series[i]) << "\n";
            else // gnuplot refuses an empty plot
                out << "set label 1 'no finite values' at graph 0.5,0.5 center\n"
                    << "plot [0:1][0:1] NaN title " << gnuplot_quote(series[i])
                    << "\nunset label 1\n";
        }
        if (series.empty())
            out << "set label 'no measurements yet' at graph 0.5,0.5 center\n"
                << "plot [0:1][0:1] NaN notitle\n";
        out << "unset multiplot\nset output\n";
    });

    if (find_gnuplot().empty())
    {
        static bool said = false;
        if (!said)
            std::fprintf(stderr,
                         "--plot: gnuplot is not installed, so %s was not drawn "
                         "(apt-get install gnuplot-nox; then: gnuplot %s)\n",
                         png_.c_str(), gp_.c_str());
        said = true;
        return false;
    }
    return render_picture(gp_, png_);
}

training_plot::training_plot(const std::string& dir, const std::string& name, std::size_t every)
    : enabled_(!dir.empty()), every_(every), plot_(dir, name)
{
    if (every == 0)
        throw std::invalid_argument("training_plot: every must be at least 1");
}

double training_plot::grad_norm(const std::vector<xgrad::Variable>& params, double max_norm) const
{
    if (max_norm > 0)
        return xgrad::optim::clip_grad_norm(params, max_norm);
    if (!enabled_)
        return 0;
    // An infinite threshold scales nothing; a non-finite gradient gives a NaN or inf norm.
    const double n =
        xgrad::optim::clip_grad_norm(params, std::numeric_limits<double>::infinity(), false);
    return std::isfinite(n) ? n : std::numeric_limits<double>::quiet_NaN();
}

void training_plot::step(std::size_t step, double loss, std::size_t tokens, double grad_norm,
                         clock::time_point started)
{
    if (!enabled_)
        return;
    seconds_ += std::chrono::duration<double>(clock::now() - started).count();
    loss_ += loss;
    norm_ += grad_norm;
    tokens_ += tokens;
    last_step_ = step;
    if (++n_ == every_)
        flush();
}

void training_plot::flush()
{
    if (n_ == 0)
        return;
    const double at = double(last_step_), n = double(n_);
    plot_.add("train_loss", at, loss_ / n);
    plot_.add("tokens_per_s", at, seconds_ > 0 ? double(tokens_) / seconds_ : 0.0);
    plot_.add("grad_norm", at, norm_ / n);
    n_ = tokens_ = 0;
    loss_ = norm_ = seconds_ = 0;
}

void training_plot::add(const std::string& series, double step, double value)
{
    if (enabled_)
        plot_.add(series, step, value);
}

void training_plot::resume(double up_to)
{
    if (enabled_)
        plot_.load(up_to);
}

bool training_plot::write()
{
    if (!enabled_)
        return false;
    flush();
    try
    {
        return plot_.write();
    }
    catch (const std::exception& e)
    {
        // A picture is a by-product: losing it must not lose the training run.
        if (!warned_)
            std::fprintf(stderr, "--plot: %s (training goes on)\n", e.what());
        warned_ = true;
        return false;
    }
}

void check_plot_dir(const std::string& dir)
{
    std::error_code ec;
    if (!dir.empty() && std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
        throw usage_error(fmt::format("--plot {}: exists and is not a folder", dir));
}

} // namespace cli
