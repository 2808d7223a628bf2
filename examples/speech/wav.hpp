// WAV files: the RIFF container with 16-bit PCM, as espeak-ng writes it and most recorders can.
// The reader accepts exactly that (mono, any sample rate, format tag 1 or WAVE_FORMAT_EXTENSIBLE
// with the PCM sub-format) and says precisely what else a file holds; the writer writes it
// atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace speech
{

struct audio
{
    std::uint32_t sample_rate = 16000;
    std::vector<float> samples; // in [-1, 1): a 16-bit sample s becomes s / 32768
};

// Parses a WAV file's bytes; `name` is the file's name for messages. Throws std::runtime_error
// "<name>: ..." for anything but RIFF/WAVE 16-bit PCM mono (stereo, 8/24/32-bit, float,
// compressed formats, a missing fmt or data chunk, a truncated file), naming what it found.
audio parse_wav(const std::string& bytes, const std::string& name);
// parse_wav of a file's bytes (io_error when it cannot be read).
audio read_wav(const std::string& path);

// The samples clipped to [-1, 1] and rounded to 16 bits, written atomically (a crash mid-write
// leaves any old file untouched).
void write_wav(const std::string& path, const audio& a);
// The bytes write_wav writes.
std::string wav_bytes(const audio& a);

} // namespace speech
