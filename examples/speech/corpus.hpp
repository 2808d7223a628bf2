// The spoken-digits corpus, made on the machine: espeak-ng speaks random digit strings in many
// voices, speeds and pitches, with a little noise, and the split keeps the test set's voices
// and speeds out of training.
//
// A voice is an espeak-ng accent (en, en-us, en-gb-scotland, ...) with a variant (m1, f3,
// klatt2, ...: a different vocal tract, pitch range and voice quality). Variants are split
// three ways: the training set's, the dev set's (model selection) and the test set's, so
// every test voice is unheard in training; test speeds (150-159 and 180-189 words/min) are
// never used in training or dev (130-149, 160-179, 190-200). Every utterance's text, voice,
// speed, pitch, gain, padding and noise come from a generator seeded by (seed, split, index):
// the corpus is a function of the seed, whatever the number of threads.
//
// On disk (DIR given to make-data): DIR/{train,dev,test}/NNNNNN.wav (16-bit mono, 22.05 kHz as
// espeak-ng speaks) and DIR/{train,dev,test}.tsv manifests with the header
//   file  text  voice  speed  pitch  snr_db
// (file relative to DIR). Every file is written atomically; the manifests last, so a corpus
// whose manifest exists is complete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "examples/speech/features.hpp"

namespace speech
{

struct corpus_options
{
    std::string out = "speech-data";
    std::size_t train = 4000, dev = 300, test = 600;
    std::uint64_t seed = 1;
    std::size_t threads = 2;
    std::size_t min_digits = 1, max_digits = 7;
    double min_snr_db = 20, max_snr_db = 40;
    std::string espeak = "espeak-ng";
    // "espeak": speech; "tones": each word a DTMF dual tone (zero 0, oh #, one..nine 1..9) at
    // 16 kHz, durations following the planned speed: a stand-in with the same files, labels
    // and pipeline where espeak-ng is not installed (tests).
    std::string source = "espeak";
};

struct utterance
{
    std::string file, text, voice;
    int speed = 0, pitch = 0;
    double snr_db = 0;
};

// The voices of a split ("train", "dev" or "test").
std::vector<std::string> split_voices(const std::string& split);
// What utterance `index` of `split` will be (everything but its audio).
utterance plan_utterance(const corpus_options& o, const std::string& split, std::size_t index);

// Synthesises the corpus. Throws std::runtime_error when espeak-ng is missing or fails (with
// its command line), io_error when a file cannot be written. Prints a progress line.
void make_corpus(const corpus_options& o);
// The audio of one utterance from o.source (noise, gain and padding applied as planned).
audio synthesise(const corpus_options& o, const utterance& u, std::uint64_t noise_seed);
// True when `espeak` runs.
bool espeak_available(const std::string& espeak = "espeak-ng");

// A manifest's rows; throws std::runtime_error naming the file and line of a bad row.
std::vector<utterance> read_manifest(const std::string& path);

// An utterance as the model reads it.
struct example
{
    features x;
    std::vector<std::int64_t> labels;
    std::string voice;
    int speed = 0;
};

// Reads and featurises every utterance of DIR/SPLIT.tsv (max 0: all), on `threads` threads.
std::vector<example> load_split(const std::string& dir, const std::string& split,
                                const feature_options& f, std::size_t max = 0,
                                std::size_t threads = 2);

} // namespace speech
