// The acoustic front end: a waveform in, one feature vector per 10 ms out.
//
//   pre-emphasis      x'[n] = x[n] - 0.97 x[n-1]      (flattens speech's falling spectrum)
//   framing           25 ms frames every 10 ms, each minus its mean, times a Hamming window
//                     w[n] = 0.54 - 0.46 cos(2 pi n / (N - 1)); frames = 1 + (len - N) / hop
//   power spectrum    |FFT|^2 / n_fft over n_fft = the next power of two >= N (KISS FFT)
//   log-mel           40 triangular filters with centres evenly spaced on the mel scale
//                     mel(f) = 2595 log10(1 + f / 700) between 20 Hz and 8 kHz; log(max(e, 1e-10))
//   MFCC (optional)   the first n coefficients of the orthonormal DCT-II of the log-mel vector
//   normalisation     per utterance: every dimension to mean 0, variance 1 (CMVN)
//   stacking          k consecutive frames concatenated, every s-th kept (fewer, wider frames:
//                     a recurrent net over 1/s of the steps)
// Filters and frames are defined in Hz and milliseconds, not in samples, so 16 kHz and 22.05 kHz
// recordings of the same sound give nearly the same features (any rate whose Nyquist frequency
// reaches the top filter, 16 kHz or more; lower rates are refused).
#pragma once

#include <cstddef>
#include <vector>

#include "examples/speech/wav.hpp"

namespace speech
{

struct feature_options
{
    double frame_ms = 25, hop_ms = 10, preemphasis = 0.97;
    std::size_t mel_bands = 40;
    double low_hz = 20, high_hz = 8000;
    std::size_t mfcc = 0; // 0: log-mel energies; n: the first n cepstral coefficients
    bool normalise = true;
    std::size_t stack = 1, stride = 1;
    // The size of one output frame.
    std::size_t dim() const { return (mfcc ? mfcc : mel_bands) * stack; }
};

// Row-major [frames, dim] floats.
struct features
{
    std::size_t frames = 0, dim = 0;
    std::vector<float> values;
    const float* frame(std::size_t t) const { return values.data() + t * dim; }
};

// The whole pipeline. Throws std::invalid_argument for options that make no sense (a hop of 0,
// no bands, high_hz above the Nyquist frequency of a.sample_rate, stack or stride 0, more MFCCs
// than bands), naming them and the values. A signal shorter than one frame gives 0 frames.
features extract(const audio& a, const feature_options& o = {});

// The steps, for tests and for users building their own front end.
double hz_to_mel(double hz);
double mel_to_hz(double mel);
// [bands, n_fft / 2 + 1] filter weights over the FFT's bins (bin k is k * rate / n_fft Hz).
std::vector<std::vector<float>> mel_filterbank(std::size_t n_fft, double sample_rate,
                                               std::size_t bands, double low_hz, double high_hz);
// |X_k|^2 / n_fft for k = 0 .. n_fft / 2 of a real frame zero-padded to n_fft (a power of 2).
std::vector<float> power_spectrum(const std::vector<float>& frame, std::size_t n_fft);

} // namespace speech
