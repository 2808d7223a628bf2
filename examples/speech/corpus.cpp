#include "examples/speech/corpus.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/core.h>
#include <sys/wait.h>

#include "examples/common/progress.hpp"
#include "examples/speech/digits.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/read_file.hpp"
#include "xgrad/autograd/random.hpp"

namespace speech
{
namespace
{

const std::vector<std::string> accents{"en",         "en-us",  "en-gb-scotland", "en-gb-x-gbclan",
                                       "en-gb-x-rp", "en-029", "en-us-nyc",      "en-gb-x-gbcwmd"};

const std::vector<std::string>& variants(const std::string& split)
{
    static const std::vector<std::string> train{"m1", "m2", "m4", "m5",    "m7",
                                                "f1", "f3", "f5", "klatt", "klatt3"},
        dev{"m6", "f2", "klatt4"}, test{"m3", "m8", "f4", "klatt2"};
    if (split == "train")
        return train;
    if (split == "dev")
        return dev;
    if (split == "test")
        return test;
    throw std::invalid_argument("unknown split '" + split + "' (train, dev, test)");
}

std::vector<int> split_speeds(const std::string& split)
{
    std::vector<int> out;
    for (int s = 130; s <= 200; ++s)
    {
        const bool held_out = (s >= 150 && s < 160) || (s >= 180 && s < 190);
        if (held_out == (split == "test"))
            out.push_back(s);
    }
    return out;
}

std::uint64_t mix(std::uint64_t seed, const std::string& split, std::size_t index)
{
    // splitmix64 over the three: independent streams per utterance.
    std::uint64_t h = 0xcbf29ce484222325ull; // FNV-1a of the split's name: the same everywhere
    for (const char c : split)
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    h += seed * 0x9e3779b97f4a7c15ull;
    h ^= index + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

std::string shell_quote(const std::string& s)
{
    std::string out = "'";
    for (const char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string run_capture(const std::string& command)
{
    FILE* p = ::popen(command.c_str(), "r");
    if (!p)
        throw std::runtime_error("cannot run: " + command);
    std::string out;
    char buffer[1 << 16];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0)
        out.append(buffer, n);
    const int status = ::pclose(p);
    if (status != 0)
        throw std::runtime_error(fmt::format(
            "'{}' failed (exit status {}){}", command, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
            WIFEXITED(status) && WEXITSTATUS(status) == 127
                ? ": espeak-ng is not installed (Debian: apt-get install espeak-ng)"
                : ""));
    return out;
}

// Runs work(i) for every i < n on `threads` threads (this one among them), counting finished
// items in *done when given; the first exception stops the others and is rethrown (as
// std::runtime_error with its message) once all have joined.
template <class F>
void parallel_for(std::size_t n, std::size_t threads, const F& work,
                  std::atomic<std::size_t>* done = nullptr)
{
    std::atomic<std::size_t> next{0};
    std::mutex error_lock;
    std::string error;
    const auto run = [&] {
        for (std::size_t i; (i = next++) < n;)
        {
            try
            {
                work(i);
            }
            catch (const std::exception& e)
            {
                std::lock_guard<std::mutex> lock(error_lock);
                if (error.empty())
                    error = e.what();
                next = n;
            }
            if (done)
                ++*done;
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < std::max<std::size_t>(threads, 1); ++t)
        pool.emplace_back(run);
    run();
    for (auto& t : pool)
        t.join();
    if (!error.empty())
        throw std::runtime_error(error);
}

} // namespace

std::vector<std::string> split_voices(const std::string& split)
{
    std::vector<std::string> out;
    for (const std::string& v : variants(split))
        for (const std::string& a : accents)
            out.push_back(a + "+" + v);
    return out;
}

utterance plan_utterance(const corpus_options& o, const std::string& split, std::size_t index)
{
    xgrad::generator g(mix(o.seed, split, index));
    utterance u;
    const std::size_t n = o.min_digits + g.below(o.max_digits - o.min_digits + 1);
    for (std::size_t i = 0; i < n; ++i)
    {
        const std::size_t d = g.below(10);
        // 0 is said "zero" or "oh", as people say it.
        const std::string w = d == 0 ? (g.below(2) ? "oh" : "zero") : digit_words()[d + 1];
        u.text += (i ? " " : "") + w;
    }
    const auto voices = split_voices(split);
    u.voice = voices[g.below(voices.size())];
    if (o.source == "tones")
        u.voice = "tones+dtmf";
    const auto speeds = split_speeds(split);
    u.speed = speeds[g.below(speeds.size())];
    u.pitch = 25 + static_cast<int>(g.below(51));
    u.snr_db = g.uniform(o.min_snr_db, o.max_snr_db);
    u.file = fmt::format("{}/{:06}.wav", split, index);
    return u;
}

bool espeak_available(const std::string& espeak)
{
    return std::system((shell_quote(espeak) + " --version >/dev/null 2>&1").c_str()) == 0;
}

namespace
{

// DTMF: each key is the sum of a row and a column tone.
audio dtmf(const utterance& u)
{
    static const double row[] = {697, 770, 852, 941}, column[] = {1209, 1336, 1477};
    // Keypad positions (row, column) of the words in label order: zero = 0, oh = #, 1..9.
    static const int key[][2] = {{3, 1}, {3, 2}, {0, 0}, {0, 1}, {0, 2}, {1, 0},
                                 {1, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2}};
    audio a;
    a.sample_rate = 16000;
    const double word = 60.0 / u.speed; // seconds per word at the planned rate
    const auto tone = static_cast<std::size_t>(0.6 * word * a.sample_rate);
    const auto gap = static_cast<std::size_t>(0.4 * word * a.sample_rate);
    constexpr double two_pi = 6.283185307179586;
    for (const std::int64_t l : parse_transcript(u.text))
    {
        const int* k = key[l - 1];
        for (std::size_t n = 0; n < tone; ++n)
            a.samples.push_back(
                static_cast<float>(0.25 * (std::sin(two_pi * row[k[0]] * n / a.sample_rate) +
                                           std::sin(two_pi * column[k[1]] * n / a.sample_rate))));
        a.samples.insert(a.samples.end(), gap, 0.0f);
    }
    return a;
}

audio espeak(const corpus_options& o, const utterance& u)
{
    const std::string command =
        fmt::format("{} -v {} -s {} -p {} --stdout {} 2>/dev/null", shell_quote(o.espeak),
                    shell_quote(u.voice), u.speed, u.pitch, shell_quote(u.text));
    audio a = parse_wav(run_capture(command), "espeak-ng's output for \"" + u.text + "\"");
    if (a.samples.empty())
        throw std::runtime_error(command + ": no audio");
    return a;
}

} // namespace

audio synthesise(const corpus_options& o, const utterance& u, std::uint64_t noise_seed)
{
    const audio speech = o.source == "tones" ? dtmf(u) : espeak(o, u);
    // A random gain, up to 0.25 s of leading and trailing silence, and white noise at the
    // planned signal-to-noise ratio (relative to the speech's power).
    xgrad::generator g(noise_seed);
    const double gain = g.uniform(0.3, 1.0);
    double power = 0;
    for (const float s : speech.samples)
        power += double(s) * s;
    power = power / double(speech.samples.size()) * gain * gain;
    const double sigma = std::sqrt(power / std::pow(10.0, u.snr_db / 10));
    const auto pad = [&] {
        return static_cast<std::size_t>(g.uniform(0, 0.25) * speech.sample_rate);
    };
    const std::size_t before = pad(), after = pad();
    audio out;
    out.sample_rate = speech.sample_rate;
    out.samples.assign(before + speech.samples.size() + after, 0.0f);
    for (std::size_t i = 0; i < speech.samples.size(); ++i)
        out.samples[before + i] = static_cast<float>(gain * speech.samples[i]);
    for (float& s : out.samples)
        s += static_cast<float>(g.normal(0, sigma));
    return out;
}

void make_corpus(const corpus_options& o)
{
    if (o.source != "espeak" && o.source != "tones")
        throw std::invalid_argument("make-data: unknown source '" + o.source + "'");
    if (o.source == "espeak" && !espeak_available(o.espeak))
        throw std::runtime_error("'" + o.espeak +
                                 "' does not run: make-data needs espeak-ng (Debian: apt-get "
                                 "install espeak-ng)");
    namespace fs = std::filesystem;
    const std::vector<std::pair<std::string, std::size_t>> splits{
        {"train", o.train}, {"dev", o.dev}, {"test", o.test}};
    std::size_t total = 0, done_before = 0;
    for (const auto& s : splits)
        total += s.second;
    const auto started = std::chrono::steady_clock::now();
    const auto report = [&](std::size_t done) {
        const double t =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const double rate = t > 0 ? double(done) / t : 0;
        fmt::print("make-data: {}/{} utterances  {:.0f} utt/s  ETA {}\n", done, total, rate,
                   cli::format_duration(rate > 0 ? double(total - done) / rate : -1));
        std::fflush(stdout);
    };
    for (const auto& entry : splits)
    {
        // Plain names, not a structured binding: the lambdas below capture them (C++17).
        const std::string& split = entry.first;
        const std::size_t count = entry.second;
        fs::create_directories(fs::path(o.out) / split);
        std::vector<utterance> rows(count);
        std::atomic<std::size_t> finished{0};
        std::atomic<bool> working{true};
        {
            // A second thread reports progress every 5 s while the pool works.
            std::thread reporter([&] {
                for (int tick = 1; working; ++tick)
                {
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    if (tick % 50 == 0)
                        report(done_before + finished);
                }
            });
            struct stop_reporter // when the pool is done, or has thrown
            {
                std::atomic<bool>& working;
                std::thread& thread;
                ~stop_reporter()
                {
                    working = false;
                    thread.join();
                }
            } stop{working, reporter};
            parallel_for(
                count, o.threads,
                [&](std::size_t i) {
                    rows[i] = plan_utterance(o, split, i);
                    write_wav((fs::path(o.out) / rows[i].file).string(),
                              synthesise(o, rows[i], mix(o.seed + 1, split, i)));
                },
                &finished);
        }
        done_before += count;
        std::ostringstream m;
        m << "file\ttext\tvoice\tspeed\tpitch\tsnr_db\n";
        for (const utterance& u : rows)
            m << fmt::format("{}\t{}\t{}\t{}\t{}\t{:.2f}\n", u.file, u.text, u.voice, u.speed,
                             u.pitch, u.snr_db);
        xgrad::io::write_file_atomically((fs::path(o.out) / (split + ".tsv")).string(),
                                         [&](std::ostream& out) { out << m.str(); });
    }
    report(total);
}

std::vector<utterance> read_manifest(const std::string& path)
{
    std::istringstream in(xgrad::io::read_file(path));
    std::string line;
    std::vector<utterance> out;
    std::size_t number = 0;
    while (std::getline(in, line))
    {
        ++number;
        if (number == 1)
        {
            if (line != "file\ttext\tvoice\tspeed\tpitch\tsnr_db")
                throw std::runtime_error(path + ": not a speech manifest (its first line is not "
                                                "the header file, text, voice, speed, pitch, "
                                                "snr_db)");
            continue;
        }
        if (line.empty())
            continue;
        std::vector<std::string> f;
        std::istringstream cells(line);
        for (std::string c; std::getline(cells, c, '\t');)
            f.push_back(c);
        utterance u;
        try
        {
            if (f.size() != 6)
                throw std::invalid_argument(fmt::format("{} fields, 6 expected", f.size()));
            u.file = f[0];
            u.text = f[1];
            u.voice = f[2];
            u.speed = std::stoi(f[3]);
            u.pitch = std::stoi(f[4]);
            u.snr_db = std::stod(f[5]);
            parse_transcript(u.text);
        }
        catch (const std::exception& e)
        {
            throw std::runtime_error(fmt::format("{}:{}: {}", path, number, e.what()));
        }
        out.push_back(u);
    }
    if (number == 0)
        throw std::runtime_error(path + ": empty manifest");
    return out;
}

std::vector<example> load_split(const std::string& dir, const std::string& split,
                                const feature_options& f, std::size_t max, std::size_t threads)
{
    std::vector<utterance> rows = read_manifest(dir + "/" + split + ".tsv");
    if (max && rows.size() > max)
        rows.resize(max);
    std::vector<example> out(rows.size());
    parallel_for(rows.size(), threads, [&](std::size_t i) {
        out[i].x = extract(read_wav(dir + "/" + rows[i].file), f);
        out[i].labels = parse_transcript(rows[i].text);
        out[i].voice = rows[i].voice;
        out[i].speed = rows[i].speed;
    });
    return out;
}

} // namespace speech
