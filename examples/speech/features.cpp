#include "examples/speech/features.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include <fmt/core.h>
#include <kiss_fftr.h>

namespace speech
{
namespace
{

constexpr double pi = 3.14159265358979323846;

struct fft_plan
{
    explicit fft_plan(std::size_t n)
        : cfg(kiss_fftr_alloc(static_cast<int>(n), 0, nullptr, nullptr)), out(n / 2 + 1)
    {
        if (!cfg)
            throw std::runtime_error(fmt::format("kiss_fftr_alloc({}) failed", n));
    }
    ~fft_plan() { kiss_fftr_free(cfg); }
    fft_plan(const fft_plan&) = delete;
    fft_plan& operator=(const fft_plan&) = delete;

    // |X_k|^2 / n of `in` (n values).
    void power(const float* in, float* p)
    {
        kiss_fftr(cfg, in, out.data());
        const float scale = 1.0f / static_cast<float>(2 * (out.size() - 1));
        for (std::size_t k = 0; k < out.size(); ++k)
            p[k] = (out[k].r * out[k].r + out[k].i * out[k].i) * scale;
    }

    kiss_fftr_cfg cfg;
    std::vector<kiss_fft_cpx> out;
};

std::size_t next_power_of_two(std::size_t n)
{
    std::size_t p = 2;
    while (p < n)
        p *= 2;
    return p;
}

void check(const audio& a, const feature_options& o)
{
    const auto bad = [](const std::string& why) {
        return std::invalid_argument("speech features: " + why);
    };
    if (!(o.frame_ms > 0) || !(o.hop_ms > 0))
        throw bad(fmt::format("frame {} ms and hop {} ms must be positive", o.frame_ms, o.hop_ms));
    if (o.mel_bands == 0)
        throw bad("at least one mel band is needed");
    if (!(o.low_hz >= 0) || !(o.high_hz > o.low_hz))
        throw bad(fmt::format("mel range {}-{} Hz is empty", o.low_hz, o.high_hz));
    if (o.high_hz > a.sample_rate / 2.0)
        throw bad(fmt::format("the top filter ({} Hz) is above the Nyquist frequency of {} Hz "
                              "audio ({} Hz): record or resample at {} Hz or more",
                              o.high_hz, a.sample_rate, a.sample_rate / 2.0, 2 * o.high_hz));
    if (o.mfcc > o.mel_bands)
        throw bad(fmt::format("{} MFCCs from {} mel bands", o.mfcc, o.mel_bands));
    if (o.stack == 0 || o.stride == 0)
        throw bad(fmt::format("stack {} and stride {} must be at least 1", o.stack, o.stride));
    if (!(o.preemphasis >= 0 && o.preemphasis < 1))
        throw bad(fmt::format("pre-emphasis {} is outside [0, 1)", o.preemphasis));
}

} // namespace

double hz_to_mel(double hz)
{
    return 2595.0 * std::log10(1.0 + hz / 700.0);
}

double mel_to_hz(double mel)
{
    return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
}

std::vector<std::vector<float>> mel_filterbank(std::size_t n_fft, double rate, std::size_t bands,
                                               double low_hz, double high_hz)
{
    // bands + 2 edges evenly spaced in mel; filter m rises from edge m to m+1, falls to m+2.
    std::vector<double> edge(bands + 2);
    const double lo = hz_to_mel(low_hz), hi = hz_to_mel(high_hz);
    for (std::size_t m = 0; m < edge.size(); ++m)
        edge[m] = mel_to_hz(lo + (hi - lo) * static_cast<double>(m) / (bands + 1));
    const std::size_t bins = n_fft / 2 + 1;
    std::vector<std::vector<float>> w(bands, std::vector<float>(bins, 0.0f));
    for (std::size_t m = 0; m < bands; ++m)
        for (std::size_t k = 0; k < bins; ++k)
        {
            const double f = static_cast<double>(k) * rate / static_cast<double>(n_fft);
            const double up = (f - edge[m]) / (edge[m + 1] - edge[m]);
            const double down = (edge[m + 2] - f) / (edge[m + 2] - edge[m + 1]);
            w[m][k] = static_cast<float>(std::max(0.0, std::min(up, down)));
        }
    return w;
}

std::vector<float> power_spectrum(const std::vector<float>& frame, std::size_t n_fft)
{
    if (n_fft < 2 || (n_fft & (n_fft - 1)) || frame.size() > n_fft)
        throw std::invalid_argument(fmt::format("power_spectrum: a frame of {} samples in an "
                                                "FFT of {} (a power of two >= the frame)",
                                                frame.size(), n_fft));
    std::vector<float> in(n_fft, 0.0f), p(n_fft / 2 + 1);
    std::copy(frame.begin(), frame.end(), in.begin());
    fft_plan(n_fft).power(in.data(), p.data());
    return p;
}

features extract(const audio& a, const feature_options& o)
{
    check(a, o);
    const double rate = a.sample_rate;
    const auto N = static_cast<std::size_t>(std::lround(o.frame_ms * rate / 1000));
    const auto hop = std::max<std::size_t>(1, std::lround(o.hop_ms * rate / 1000));
    const std::size_t n_fft = next_power_of_two(N), bins = n_fft / 2 + 1;
    const std::size_t raw = a.samples.size() < N ? 0 : 1 + (a.samples.size() - N) / hop;
    const std::size_t bands = o.mel_bands, width = o.mfcc ? o.mfcc : bands;

    const auto filters = mel_filterbank(n_fft, rate, bands, o.low_hz, o.high_hz);
    std::vector<float> window(N);
    for (std::size_t n = 0; n < N; ++n)
        window[n] = static_cast<float>(0.54 - 0.46 * std::cos(2 * pi * n / (N > 1 ? N - 1 : 1)));
    // DCT-II, orthonormal: c_i = s_i sum_m x_m cos(pi i (m + 1/2) / M).
    std::vector<float> dct(o.mfcc * bands);
    for (std::size_t i = 0; i < o.mfcc; ++i)
        for (std::size_t m = 0; m < bands; ++m)
            dct[i * bands + m] = static_cast<float>(std::sqrt((i == 0 ? 1.0 : 2.0) / bands) *
                                                    std::cos(pi * i * (m + 0.5) / bands));

    fft_plan plan(n_fft);
    std::vector<float> frame(n_fft, 0.0f), power(bins), logmel(bands);
    std::vector<float> rows(raw * width);
    for (std::size_t t = 0; t < raw; ++t)
    {
        const std::size_t start = t * hop;
        double mean = 0;
        for (std::size_t n = 0; n < N; ++n)
        {
            const std::size_t i = start + n;
            const float previous = i > 0 ? a.samples[i - 1] : a.samples[i];
            frame[n] = a.samples[i] - static_cast<float>(o.preemphasis) * previous;
            mean += frame[n];
        }
        mean /= static_cast<double>(N);
        for (std::size_t n = 0; n < N; ++n)
            frame[n] = (frame[n] - static_cast<float>(mean)) * window[n];
        plan.power(frame.data(), power.data());
        for (std::size_t m = 0; m < bands; ++m)
        {
            double e = 0;
            for (std::size_t k = 0; k < bins; ++k)
                e += filters[m][k] * power[k];
            logmel[m] = static_cast<float>(std::log(std::max(e, 1e-10)));
        }
        float* row = rows.data() + t * width;
        if (o.mfcc == 0)
            std::copy(logmel.begin(), logmel.end(), row);
        else
            for (std::size_t i = 0; i < o.mfcc; ++i)
            {
                double c = 0;
                for (std::size_t m = 0; m < bands; ++m)
                    c += dct[i * bands + m] * logmel[m];
                row[i] = static_cast<float>(c);
            }
    }
    if (o.normalise && raw > 0)
        for (std::size_t j = 0; j < width; ++j)
        {
            double mean = 0, sq = 0;
            for (std::size_t t = 0; t < raw; ++t)
                mean += rows[t * width + j];
            mean /= static_cast<double>(raw);
            for (std::size_t t = 0; t < raw; ++t)
                sq += (rows[t * width + j] - mean) * (rows[t * width + j] - mean);
            const double inv = 1.0 / std::max(std::sqrt(sq / static_cast<double>(raw)), 1e-5);
            for (std::size_t t = 0; t < raw; ++t)
                rows[t * width + j] = static_cast<float>((rows[t * width + j] - mean) * inv);
        }

    features out;
    out.dim = width * o.stack;
    out.frames = raw < o.stack ? 0 : 1 + (raw - o.stack) / o.stride;
    out.values.resize(out.frames * out.dim);
    for (std::size_t t = 0; t < out.frames; ++t)
        std::copy(rows.begin() + static_cast<std::ptrdiff_t>(t * o.stride * width),
                  rows.begin() + static_cast<std::ptrdiff_t>((t * o.stride + o.stack) * width),
                  out.values.begin() + static_cast<std::ptrdiff_t>(t * out.dim));
    return out;
}

} // namespace speech
