// A training progress line: "epoch 2/10  step 340/1200  loss 5.123  12,345 tok/s  ETA 1m20s".
// On a terminal it redraws one line; otherwise it prints a line every few seconds.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace cli
{

class progress
{
public:
    // `unit` names what update()'s count counts, for the speed ("tok/s", "frames/s").
    explicit progress(double seconds_between_lines = 5.0, std::string unit = "tok");
    // Reports the state after `step` of `total` steps of this epoch. `tokens` counts tokens
    // processed since start() for the speed.
    void update(std::size_t epoch, std::size_t epochs, std::size_t step, std::size_t total,
                double loss, std::size_t tokens);
    void start();
    // Ends the line (on a terminal).
    void finish();
    double elapsed() const;

private:
    using clock = std::chrono::steady_clock;
    clock::time_point start_, last_, epoch_start_;
    std::size_t epoch_ = 0, epoch_first_step_ = 0;
    double every_;
    bool tty_;
    bool drawn_ = false;
    std::string unit_;
};

std::string format_duration(double seconds);

} // namespace cli
