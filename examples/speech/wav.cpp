#include "examples/speech/wav.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <stdexcept>

#include <fmt/core.h>

#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/read_file.hpp"

namespace speech
{
namespace
{

std::uint32_t u32(const std::string& b, std::size_t at)
{
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
    return v;
}

std::uint16_t u16(const std::string& b, std::size_t at)
{
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                      static_cast<unsigned char>(b[at + 1]) << 8);
}

void put32(std::string& b, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put16(std::string& b, std::uint16_t v)
{
    b.push_back(static_cast<char>(v & 0xff));
    b.push_back(static_cast<char>(v >> 8));
}

std::string format_name(std::uint16_t tag)
{
    switch (tag)
    {
    case 1:
        return "PCM";
    case 2:
        return "ADPCM";
    case 3:
        return "IEEE float";
    case 6:
        return "A-law";
    case 7:
        return "mu-law";
    case 0x55:
        return "MP3";
    default:
        return fmt::format("format tag {:#06x}", tag);
    }
}

} // namespace

audio parse_wav(const std::string& b, const std::string& name)
{
    const auto bad = [&](const std::string& why) {
        return std::runtime_error(fmt::format("{}: {}", name, why));
    };
    if (b.size() < 12 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 4, "WAVE") != 0)
        throw bad(b.size() < 12 ? fmt::format("not a WAV file ({} bytes)", b.size())
                                : "not a WAV file (no RIFF/WAVE header)");
    bool have_format = false;
    audio out;
    std::uint16_t channels = 0, bits = 0;
    std::size_t at = 12;
    while (at + 8 <= b.size())
    {
        const std::string id = b.substr(at, 4);
        const std::uint32_t size = u32(b, at + 4);
        const std::size_t body = at + 8, left = b.size() - body;
        if (id == "fmt ")
        {
            if (size < 16 || left < 16)
                throw bad(fmt::format("fmt chunk of {} bytes is too short", size));
            std::uint16_t tag = u16(b, body);
            channels = u16(b, body + 2);
            out.sample_rate = u32(b, body + 4);
            bits = u16(b, body + 14);
            if (tag == 0xfffe && size >= 40 && left >= 40)
                tag = u16(b, body + 24); // WAVE_FORMAT_EXTENSIBLE: the sub-format's code
            if (tag != 1)
                throw bad(fmt::format("{} audio; only 16-bit PCM is read (convert it, e.g. "
                                      "sox IN -b 16 -e signed OUT.wav)",
                                      format_name(tag)));
            if (bits != 16)
                throw bad(fmt::format("{}-bit PCM; only 16-bit is read", bits));
            if (channels != 1)
                throw bad(fmt::format("{} channels; only mono is read (e.g. sox IN OUT.wav "
                                      "remix -)",
                                      channels));
            if (out.sample_rate == 0)
                throw bad("sample rate 0");
            have_format = true;
        }
        else if (id == "data")
        {
            if (!have_format)
                throw bad("data chunk before the fmt chunk");
            // A writer that streams (espeak-ng --stdout, sox to a pipe) cannot seek back to
            // patch the size: it leaves a placeholder near 2^31 or 2^32 (espeak-ng: 0x7ffff000),
            // and the data runs to the end. A real chunk that large would be a 2 GiB file.
            const bool streamed = size >= 0x7fff0000u && size > left;
            const std::size_t n = streamed ? left : size;
            if (n > left)
                throw bad(fmt::format("truncated: the data chunk declares {} bytes, {} are "
                                      "present",
                                      size, left));
            out.samples.resize(n / 2);
            for (std::size_t i = 0; i < n / 2; ++i)
                out.samples[i] =
                    static_cast<float>(static_cast<std::int16_t>(u16(b, body + 2 * i))) / 32768.0f;
            return out;
        }
        at = body + size + (size & 1); // chunks are padded to even sizes
    }
    throw bad(have_format ? "no data chunk" : "no fmt chunk");
}

audio read_wav(const std::string& path)
{
    return parse_wav(xgrad::io::read_file(path), path);
}

std::string wav_bytes(const audio& a)
{
    const auto n = static_cast<std::uint32_t>(a.samples.size() * 2);
    std::string b = "RIFF";
    put32(b, 36 + n);
    b += "WAVEfmt ";
    put32(b, 16);
    put16(b, 1); // PCM
    put16(b, 1); // mono
    put32(b, a.sample_rate);
    put32(b, a.sample_rate * 2);
    put16(b, 2);
    put16(b, 16);
    b += "data";
    put32(b, n);
    for (const float s : a.samples)
    {
        const float c = std::clamp(s, -1.0f, 32767.0f / 32768.0f);
        put16(b, static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(c * 32768.0f))));
    }
    return b;
}

void write_wav(const std::string& path, const audio& a)
{
    const std::string b = wav_bytes(a);
    xgrad::io::write_file_atomically(path, [&](std::ostream& o) { o << b; });
}

} // namespace speech
