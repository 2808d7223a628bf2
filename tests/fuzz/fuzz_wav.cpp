// The speech example's WAV reader (examples/speech/wav.hpp) on any bytes: every input ends in
// audio or the documented std::runtime_error; audio has a positive sample rate and samples in
// [-1, 1), and as many as the data chunk holds.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "examples/speech/wav.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try
    {
        const speech::audio a = speech::parse_wav(bytes, "fuzz");
        if (a.sample_rate == 0 || 2 * a.samples.size() + 44 > size + 2)
            __builtin_trap();
        for (const float s : a.samples)
            if (!(s >= -1.0f && s < 1.0f))
                __builtin_trap();
    }
    catch (const std::runtime_error&)
    {}
    return 0;
}
