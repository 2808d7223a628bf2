#include "examples/gradient_flow/tasks.hpp"

#include <stdexcept>

#include <fmt/core.h>

namespace flow
{

task::task(task_kind kind, std::size_t length, std::size_t alphabet, std::size_t symbols)
    : kind_(kind), length_(length), alphabet_(alphabet), symbols_(symbols)
{
    if (kind == task_kind::adding && length < 2)
        throw std::invalid_argument(fmt::format(
            "adding task: length {} leaves no room for two markers (needs >= 2)", length));
    if (kind == task_kind::copy && (alphabet < 2 || symbols < 1 || length < 2 * symbols + 2))
        throw std::invalid_argument(fmt::format(
            "copy task: length {} with {} symbols of an alphabet of {} (needs alphabet >= 2, "
            "symbols >= 1, length >= 2 * symbols + 2)",
            length, symbols, alphabet));
}

std::size_t task::input_size() const
{
    return kind_ == task_kind::adding ? 2 : alphabet_ + 2;
}

std::size_t task::output_size() const
{
    return kind_ == task_kind::adding ? 1 : alphabet_;
}

std::size_t task::answer_steps() const
{
    return kind_ == task_kind::adding ? 1 : symbols_;
}

std::string task::name() const
{
    return kind_ == task_kind::adding ? "adding" : "copy";
}

task_batch task::sample(std::size_t batch, xgrad::generator& g, xgrad::dtype dt) const
{
    const std::size_t T = length_, I = input_size();
    std::vector<double> x(T * batch * I, 0.0);
    const auto at = [&](std::size_t t, std::size_t b, std::size_t i) -> double& {
        return x[(t * batch + b) * I + i];
    };
    task_batch out;
    if (kind_ == task_kind::adding)
    {
        out.values.resize(batch);
        const std::size_t half = T / 2;
        for (std::size_t b = 0; b < batch; ++b)
        {
            for (std::size_t t = 0; t < T; ++t)
                at(t, b, 0) = g.uniform();
            const std::size_t first = g.below(half), second = half + g.below(T - half);
            at(first, b, 1) = at(second, b, 1) = 1.0;
            out.values[b] = at(first, b, 0) + at(second, b, 0);
        }
    }
    else
    {
        // Channels: alphabet symbols, then blank (alphabet), then delimiter (alphabet + 1).
        const std::size_t blank = alphabet_, delimiter = alphabet_ + 1;
        out.symbols.resize(symbols_ * batch);
        for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t t = 0; t < T; ++t)
            {
                std::size_t c = blank;
                if (t < symbols_)
                {
                    c = g.below(alphabet_);
                    out.symbols[t * batch + b] = static_cast<std::int64_t>(c);
                }
                else if (t == T - symbols_ - 1)
                    c = delimiter;
                at(t, b, c) = 1.0;
            }
    }
    out.x = xgrad::Tensor::from_values(x, {T, batch, I}, dt);
    return out;
}

} // namespace flow
