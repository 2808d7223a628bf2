// examples/speech: the WAV reader and writer, the acoustic front end on signals whose spectra
// are known, the corpus plan and its split, manifests, batches and the model's plumbing.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <catch2/catch.hpp>

#include "examples/speech/corpus.hpp"
#include "examples/speech/digits.hpp"
#include "examples/speech/features.hpp"
#include "examples/speech/model.hpp"
#include "examples/speech/wav.hpp"

using namespace speech;

namespace
{

constexpr double two_pi = 6.283185307179586;

audio sine(double hz, double seconds, std::uint32_t rate, double amplitude = 0.5)
{
    audio a;
    a.sample_rate = rate;
    a.samples.resize(static_cast<std::size_t>(seconds * rate));
    for (std::size_t n = 0; n < a.samples.size(); ++n)
        a.samples[n] = static_cast<float>(amplitude * std::sin(two_pi * hz * n / rate));
    return a;
}

// The band whose centre (in Hz) is nearest to hz, for `bands` filters over [lo, hi].
std::size_t nearest_band(double hz, std::size_t bands, double lo, double hi)
{
    std::size_t best = 0;
    double gap = 1e300;
    for (std::size_t m = 0; m < bands; ++m)
    {
        const double centre =
            mel_to_hz(hz_to_mel(lo) + (hz_to_mel(hi) - hz_to_mel(lo)) * (m + 1.0) / (bands + 1));
        if (std::abs(centre - hz) < gap)
        {
            gap = std::abs(centre - hz);
            best = m;
        }
    }
    return best;
}

std::size_t loudest_band(const features& f, std::size_t t)
{
    std::size_t best = 0;
    for (std::size_t m = 1; m < f.dim; ++m)
        if (f.frame(t)[m] > f.frame(t)[best])
            best = m;
    return best;
}

} // namespace

TEST_CASE("speech: WAV files round-trip and anything but 16-bit PCM mono is refused",
          "[examples][speech]")
{
    audio a = sine(440, 0.1, 22050);
    const audio b = parse_wav(wav_bytes(a), "x.wav");
    CHECK(b.sample_rate == 22050);
    REQUIRE(b.samples.size() == a.samples.size());
    for (std::size_t i = 0; i < a.samples.size(); ++i)
        CHECK(std::abs(b.samples[i] - a.samples[i]) <= 1.0f / 32768);

    std::string w = wav_bytes(a);
    const auto patched = [&](std::size_t at, std::uint16_t v) {
        std::string c = w;
        c[at] = static_cast<char>(v & 0xff);
        c[at + 1] = static_cast<char>(v >> 8);
        return c;
    };
    // The fmt chunk starts at byte 20: tag, channels, rate (4), byte rate (4), align, bits.
    CHECK_THROWS_WITH(parse_wav(patched(20, 3), "f.wav"),
                      Catch::Contains("f.wav") && Catch::Contains("IEEE float"));
    CHECK_THROWS_WITH(parse_wav(patched(22, 2), "s.wav"), Catch::Contains("2 channels"));
    CHECK_THROWS_WITH(parse_wav(patched(34, 8), "b.wav"), Catch::Contains("8-bit PCM"));
    CHECK_THROWS_WITH(parse_wav(w.substr(0, w.size() - 10), "t.wav"), Catch::Contains("truncated"));
    CHECK_THROWS_WITH(parse_wav("hello", "h.wav"), Catch::Contains("not a WAV file (5 bytes)"));
    CHECK_THROWS_WITH(parse_wav("RIFF\x04\0\0\0WAVEjunk", "j.wav"),
                      Catch::Contains("not a WAV file") || Catch::Contains("no fmt chunk"));
    CHECK_THROWS_WITH(parse_wav(w.substr(0, 36), "d.wav"), Catch::Contains("no data chunk"));
    // Clipping, not wrapping, on the way out.
    audio loud;
    loud.samples = {2.0f, -2.0f};
    const audio c = parse_wav(wav_bytes(loud), "c.wav");
    CHECK(c.samples[0] > 0.999f);
    CHECK(c.samples[1] == -1.0f);
}

TEST_CASE("speech: the mel filterbank's triangles peak at their centres and tile the range",
          "[examples][speech]")
{
    CHECK(hz_to_mel(700) == Approx(2595 * std::log10(2.0)));
    CHECK(mel_to_hz(hz_to_mel(1234.5)) == Approx(1234.5));
    const auto w = mel_filterbank(512, 16000, 40, 20, 8000);
    REQUIRE(w.size() == 40);
    REQUIRE(w[0].size() == 257);
    // Above the lowest filter's centre and below the highest's, adjacent triangles sum to ~1.
    for (std::size_t k = 10; k < 235; ++k)
    {
        double total = 0;
        for (const auto& f : w)
            total += f[k];
        INFO("bin " << k);
        CHECK(total == Approx(1.0).margin(1e-5));
    }
    for (const auto& f : w)
        for (const float v : f)
            CHECK((v >= 0.0f && v <= 1.0f));
}

TEST_CASE("speech: a sine's energy lands in the mel band around its frequency, at 16 and "
          "22.05 kHz",
          "[examples][speech]")
{
    feature_options o;
    o.normalise = false; // CMVN would flatten a stationary signal
    for (const std::uint32_t rate : {16000u, 22050u})
        for (const double hz : {300.0, 1000.0, 2500.0, 6000.0})
        {
            const features f = extract(sine(hz, 0.5, rate), o);
            INFO(hz << " Hz at " << rate << " Hz");
            // 1 + (8000 - 400) / 160 frames of 25 ms every 10 ms in half a second at 16 kHz.
            CHECK(f.frames == 1 + (rate / 2 - rate / 40) / (rate / 100));
            REQUIRE(f.dim == 40);
            CHECK(loudest_band(f, f.frames / 2) == nearest_band(hz, 40, 20, 8000));
        }
    // The power spectrum of a bin-centred sine is one line: |X_k|^2 / N = N A^2 / 4.
    std::vector<float> frame(512);
    for (std::size_t n = 0; n < 512; ++n)
        frame[n] = static_cast<float>(std::cos(two_pi * 32 * n / 512));
    const auto p = power_spectrum(frame, 512);
    CHECK(p[32] == Approx(512 / 4.0).epsilon(1e-4));
    CHECK(p[31] < 1e-6);
    CHECK_THROWS_WITH(power_spectrum(frame, 300), Catch::Contains("power of two"));
}

TEST_CASE("speech: MFCCs, normalisation and stacking", "[examples][speech]")
{
    audio a = sine(500, 0.3, 16000);
    for (std::size_t n = 0; n < a.samples.size(); ++n) // a chirp: features that vary over time
        a.samples[n] +=
            0.3f * static_cast<float>(std::sin(two_pi * (200 + 4000.0 * n / 4800) * n / 16000));
    feature_options o;
    const features f = extract(a, o);
    REQUIRE(f.frames == 28);
    for (std::size_t j = 0; j < f.dim; ++j)
    {
        double mean = 0, sq = 0;
        for (std::size_t t = 0; t < f.frames; ++t)
            mean += f.frame(t)[j];
        mean /= f.frames;
        for (std::size_t t = 0; t < f.frames; ++t)
            sq += (f.frame(t)[j] - mean) * (f.frame(t)[j] - mean);
        CHECK(mean == Approx(0).margin(1e-5));
        CHECK(sq / f.frames == Approx(1).epsilon(1e-3));
    }
    // MFCC 0 is the orthonormal DCT's mean term: sum of the log-mel energies / sqrt(bands).
    feature_options raw;
    raw.normalise = false;
    feature_options c = raw;
    c.mfcc = 13;
    const features lm = extract(a, raw), cep = extract(a, c);
    REQUIRE(cep.dim == 13);
    double sum = 0;
    for (std::size_t m = 0; m < 40; ++m)
        sum += lm.frame(5)[m];
    CHECK(cep.frame(5)[0] == Approx(sum / std::sqrt(40.0)).epsilon(1e-4));
    // Stack 3, stride 3: frame t holds raw frames 3t, 3t+1, 3t+2.
    feature_options s = raw;
    s.stack = 3;
    s.stride = 3;
    const features st = extract(a, s);
    CHECK(st.frames == 1 + (28 - 3) / 3);
    CHECK(st.dim == 120);
    CHECK(st.frame(2)[40 + 7] == lm.frame(7)[7]);
    CHECK(extract(sine(500, 0.01, 16000), o).frames == 0); // shorter than one frame
    feature_options bad;
    bad.high_hz = 9000;
    CHECK_THROWS_WITH(extract(a, bad), Catch::Contains("Nyquist") && Catch::Contains("16000"));
    bad = {};
    bad.mfcc = 41;
    CHECK_THROWS_WITH(extract(a, bad), Catch::Contains("41 MFCCs"));
    bad = {};
    bad.stride = 0;
    CHECK_THROWS_WITH(extract(a, bad), Catch::Contains("stride 0"));
}

TEST_CASE("speech: digit words, transcripts and labels", "[examples][speech]")
{
    REQUIRE(digit_classes() == 12);
    const auto l = parse_transcript("three oh one zero nine");
    CHECK(l == std::vector<std::int64_t>{5, 2, 3, 1, 11});
    CHECK(transcript(l) == "three oh one zero nine");
    CHECK(digit_string(l) == "30109");
    CHECK(parse_transcript("").empty());
    CHECK_THROWS_WITH(parse_transcript("one ten"), Catch::Contains("'ten'"));
    CHECK_THROWS_WITH(transcript({12}), Catch::Contains("label 12"));
}

TEST_CASE("speech: the corpus plan is a function of the seed and keeps test voices and speeds "
          "out of training",
          "[examples][speech]")
{
    corpus_options o;
    std::set<std::string> train_variants, test_variants;
    for (const auto& v : split_voices("train"))
        train_variants.insert(v.substr(v.find('+')));
    for (const auto& v : split_voices("test"))
        test_variants.insert(v.substr(v.find('+')));
    for (const auto& v : split_voices("dev"))
        CHECK(train_variants.count(v.substr(v.find('+'))) == 0);
    for (const auto& v : test_variants)
        CHECK(train_variants.count(v) == 0);
    for (std::size_t i = 0; i < 300; ++i)
    {
        const utterance tr = plan_utterance(o, "train", i), te = plan_utterance(o, "test", i);
        const auto n = parse_transcript(tr.text).size();
        CHECK((n >= 1 && n <= 7));
        CHECK((tr.speed >= 130 && tr.speed <= 200));
        const bool held = [](int s) {
            return (s >= 150 && s < 160) || (s >= 180 && s < 190);
        }(te.speed);
        CHECK(held);
        CHECK(!((tr.speed >= 150 && tr.speed < 160) || (tr.speed >= 180 && tr.speed < 190)));
        CHECK(test_variants.count(te.voice.substr(te.voice.find('+'))) == 1);
        CHECK((tr.pitch >= 25 && tr.pitch <= 75));
    }
    const utterance a = plan_utterance(o, "dev", 17), b = plan_utterance(o, "dev", 17);
    CHECK((a.text == b.text && a.voice == b.voice && a.speed == b.speed && a.snr_db == b.snr_db));
    corpus_options other = o;
    other.seed = 2;
    int same = 0;
    for (std::size_t i = 0; i < 20; ++i)
        same += plan_utterance(o, "train", i).text == plan_utterance(other, "train", i).text;
    CHECK(same < 5);
    CHECK_THROWS_WITH(split_voices("valid"), Catch::Contains("'valid'"));
}

TEST_CASE("speech: DTMF stand-in audio, manifests, batches and the model", "[examples][speech]")
{
    corpus_options o;
    o.source = "tones";
    utterance u = plan_utterance(o, "train", 3);
    CHECK(u.voice == "tones+dtmf");
    const audio a = synthesise(o, u, 99), again = synthesise(o, u, 99);
    CHECK(a.sample_rate == 16000);
    CHECK(a.samples == again.samples); // deterministic from the noise seed
    const std::size_t words = parse_transcript(u.text).size();
    // Each word takes 60 / speed seconds, plus up to 0.25 s of padding on each side.
    CHECK(a.samples.size() >= static_cast<std::size_t>(words * 60.0 / u.speed * 16000) - 16);
    CHECK(a.samples.size() <= static_cast<std::size_t>((words * 60.0 / u.speed + 0.5) * 16000));

    const std::string dir = std::filesystem::temp_directory_path() / "xgrad-test-speech";
    std::filesystem::create_directories(dir);
    const auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir + "/" + name) << text;
    };
    write("bad.tsv", "file\ttext\n");
    CHECK_THROWS_WITH(read_manifest(dir + "/bad.tsv"), Catch::Contains("not a speech manifest"));
    write("row.tsv", "file\ttext\tvoice\tspeed\tpitch\tsnr_db\na.wav\tone two\tv\t150\t50\t30\n"
                     "b.wav\tone eleven\tv\t150\t50\t30\n");
    CHECK_THROWS_WITH(read_manifest(dir + "/row.tsv"),
                      Catch::Contains("row.tsv:3") && Catch::Contains("'eleven'"));

    // Two utterances through the front end into a padded batch and the model.
    std::vector<example> data(2);
    feature_options f;
    f.stack = 3;
    f.stride = 3;
    for (std::size_t i = 0; i < 2; ++i)
    {
        const utterance ui = plan_utterance(o, "train", i);
        data[i].x = extract(synthesise(o, ui, i), f);
        data[i].labels = parse_transcript(ui.text);
    }
    const batch b = make_batch(data, {0, 1});
    const std::size_t T = std::max(data[0].x.frames, data[1].x.frames);
    CHECK(b.x.shape() == xgrad::shape_t{T, 2, 120});
    CHECK(b.frames == data[0].x.frames + data[1].x.frames);
    CHECK(b.x.data<float>()[(1 * 2 + 1) * 120 + 5] == data[1].x.frame(1)[5]);
    xgrad::generator g(4);
    model_config c;
    c.hidden = 8;
    c.layers = 1;
    c.front = f;
    speech_model m(c, g);
    const xgrad::Variable loss = m.loss(b);
    CHECK(std::isfinite(loss.item()));
    CHECK(loss.item() > 0);
    CHECK(m.recognise(b, 1).size() == 2);
    CHECK(m.recognise(b, 4).size() == 2);
    auto copy = speech_model::from_metadata(m.metadata(), "m", g);
    CHECK(copy->describe() == m.describe());
    CHECK(copy->parameter_count() == m.parameter_count());
    auto meta = m.metadata();
    meta["words"] = "one two";
    CHECK_THROWS_WITH(speech_model::from_metadata(meta, "m.safetensors", g),
                      Catch::Contains("other words"));
    std::filesystem::remove_all(dir);
}
