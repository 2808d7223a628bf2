#include "examples/common/progress.hpp"

#include <cstdio>
#include <unistd.h>
#include <utility>

#include <fmt/core.h>

namespace cli
{

std::string format_duration(double s)
{
    if (s < 0 || s > 1e7)
        return "?";
    const long t = static_cast<long>(s + 0.5);
    if (t >= 3600)
        return fmt::format("{}h{:02}m", t / 3600, (t / 60) % 60);
    if (t >= 60)
        return fmt::format("{}m{:02}s", t / 60, t % 60);
    return fmt::format("{}s", t);
}

progress::progress(double every, std::string unit)
    : every_(every), tty_(::isatty(STDOUT_FILENO) != 0), unit_(std::move(unit))
{
    start();
}

void progress::start()
{
    start_ = last_ = clock::now();
}

double progress::elapsed() const
{
    return std::chrono::duration<double>(clock::now() - start_).count();
}

void progress::update(std::size_t epoch, std::size_t epochs, std::size_t step, std::size_t total,
                      double loss, std::size_t tokens)
{
    const auto now = clock::now();
    if (epoch != epoch_)
    {
        // The ETA of an epoch comes from this epoch's own pace (a resumed run starts mid-way).
        epoch_ = epoch;
        epoch_start_ = now;
        epoch_first_step_ = step - 1;
    }
    const double since = std::chrono::duration<double>(now - last_).count();
    const bool last_step = step == total;
    if (since < (tty_ ? 0.2 : every_) && !last_step)
        return;
    last_ = now;
    const double t = elapsed();
    const double rate = t > 0 ? static_cast<double>(tokens) / t : 0;
    // ETA for the rest of this epoch, from this epoch's pace so far.
    const double in_epoch = std::chrono::duration<double>(now - epoch_start_).count();
    const std::size_t done = step - epoch_first_step_;
    const double eta =
        done > 0 ? in_epoch / static_cast<double>(done) * static_cast<double>(total - step) : -1;
    const std::string line =
        fmt::format("epoch {}/{}  step {}/{}  loss {:.4f}  {:.0f} {}/s  ETA {}", epoch, epochs,
                    step, total, loss, rate, unit_, format_duration(eta));
    if (tty_)
    {
        fmt::print("\r{:<78}", line);
        std::fflush(stdout);
        drawn_ = true;
    }
    else
    {
        fmt::print("{}\n", line);
        std::fflush(stdout);
    }
}

void progress::finish()
{
    if (tty_ && drawn_)
        fmt::print("\n");
    drawn_ = false;
}

} // namespace cli
