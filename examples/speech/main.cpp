// speech: a CTC recogniser of spoken digit strings, on speech synthesised by espeak-ng.
//   speech make-data [options]     synthesise the corpus (train, dev, test: unseen voices/speeds)
//   speech train     [options]     fit a BiLSTM + CTC model, choosing epochs on the dev set
//   speech recognise FILE.wav ...  print the digits heard in each file
//   speech evaluate  [options]     label error rate on a split: greedy, beam, per voice
#include <map>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "examples/speech/commands.hpp"
#include "examples/speech/digits.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/safetensors.hpp"

using namespace xgrad;

namespace speech
{

std::unique_ptr<speech_model> load_model(const std::string& dir, generator& g)
{
    const io::checkpoint_dir ckpt(dir);
    const std::string path =
        (ckpt.exists() ? ckpt.verify({"best.safetensors"}) : dir) + "/best.safetensors";
    auto w = io::load_tensors(path);
    auto m = speech_model::from_metadata(w.metadata, path, g);
    const auto bad = m->load_state_dict(w.tensors);
    if (!bad.empty())
        throw std::runtime_error(path + ": the weights do not match the model its metadata "
                                        "describes");
    m->eval();
    return m;
}

std::vector<nn::label_sequence> recognise_all(speech_model& m, const std::vector<example>& data,
                                              const std::vector<std::vector<std::size_t>>& batches,
                                              std::size_t beam)
{
    std::vector<nn::label_sequence> out(data.size());
    for (const auto& ids : batches)
    {
        const auto heard = m.recognise(make_batch(data, ids), beam);
        for (std::size_t j = 0; j < ids.size(); ++j)
            out[ids[j]] = heard[j];
    }
    return out;
}

double label_error_rate(speech_model& m, const std::vector<example>& data,
                        const std::vector<std::vector<std::size_t>>& batches, std::size_t beam)
{
    const auto heard = recognise_all(m, data, batches, beam);
    std::vector<nn::label_sequence> refs;
    for (const example& e : data)
        refs.push_back(e.labels);
    return nn::label_error_rate(heard, refs);
}

int make_data_command(int argc, char** argv)
{
    corpus_options o;
    cli::flags f(
        "usage: speech make-data [options]\n"
        "Synthesises spoken digit strings with espeak-ng into --out: train, dev and test\n"
        "splits whose voices differ (test voices and speeds are never heard in training),\n"
        "each a folder of WAV files and a manifest SPLIT.tsv. Deterministic from --seed.");
    f.add("out", o.out, "corpus directory").not_empty();
    f.add("train", o.train, "training utterances").in_range(1, 10000000);
    f.add("dev", o.dev, "dev utterances (model selection)").in_range(1, 10000000);
    f.add("test", o.test, "test utterances (held-out voices and speeds)").in_range(1, 10000000);
    f.add("min-digits", o.min_digits, "shortest digit string").in_range(1, 100);
    f.add("max-digits", o.max_digits, "longest digit string").in_range(1, 100);
    f.add("min-snr", o.min_snr_db, "lowest signal-to-noise ratio, dB").at_least(-20).at_most(200);
    f.add("max-snr", o.max_snr_db, "highest signal-to-noise ratio, dB").at_least(-20).at_most(200);
    f.add("threads", o.threads, "espeak-ng processes at once").in_range(1, 256);
    f.add("espeak", o.espeak, "the espeak-ng program").not_empty();
    f.add("source", o.source,
          "espeak: synthesised speech; tones: DTMF tones per word (no espeak-ng needed)")
        .one_of({"espeak", "tones"});
    f.add("seed", o.seed, "random seed", 0);
    f.parse(argc, argv, 2);
    if (o.min_digits > o.max_digits)
        throw cli::usage_error(
            fmt::format("--min-digits {} exceeds --max-digits {}", o.min_digits, o.max_digits));
    if (o.min_snr_db > o.max_snr_db)
        throw cli::usage_error(
            fmt::format("--min-snr {} exceeds --max-snr {}", o.min_snr_db, o.max_snr_db));
    make_corpus(o);
    fmt::print("{}: {} train, {} dev, {} test utterances\n", o.out, o.train, o.dev, o.test);
    return 0;
}

int recognise_command(int argc, char** argv)
{
    std::string model = "speech-model";
    std::size_t beam = 8;
    cli::flags f("usage: speech recognise [options] FILE.wav ...\n"
                 "Prints the digits heard in each WAV file (16-bit PCM mono at 16 kHz or more,\n"
                 "e.g. 16 or 22.05 kHz; the front end works in Hz and milliseconds, so no\n"
                 "resampling is needed).");
    f.add("model", model, "checkpoint directory written by speech train").not_empty();
    f.add("beam", beam, "prefix beam width (1: greedy)").in_range(1, 1000);
    f.positionals("FILE.wav");
    const std::vector<std::string> files = f.parse(argc, argv, 2);
    if (files.empty())
        throw cli::usage_error("give at least one WAV file");
    generator g(1);
    auto m = load_model(model, g);
    for (const std::string& path : files)
    {
        std::vector<example> one(1);
        one[0].x = extract(read_wav(path), m->cfg.front);
        if (one[0].x.frames == 0)
            throw std::runtime_error(path + ": shorter than one frame (" +
                                     fmt::format("{} ms", m->cfg.front.frame_ms) + ")");
        const auto heard = m->recognise(make_batch(one, {0}), beam)[0];
        fmt::print("{}\t{}\t{}\n", path, digit_string(heard), transcript(heard));
    }
    return 0;
}

int evaluate_command(int argc, char** argv)
{
    std::string model = "speech-model", data = "speech-data", split = "test";
    std::size_t beam = 8, show = 5, errors = 5, threads = 2;
    cli::flags f("usage: speech evaluate [options]\n"
                 "Scores a trained model on a split made by make-data: the label error rate\n"
                 "(word edits over reference words) greedy and with beam search, per held-out\n"
                 "variant and accent, and a few recognised utterances. Ends with \"LER = x%\"\n"
                 "(beam search).");
    f.add("model", model, "checkpoint directory written by speech train").not_empty();
    f.add("data", data, "corpus directory written by make-data").not_empty();
    f.add("split", split, "which split").one_of({"train", "dev", "test"});
    f.add("beam", beam, "prefix beam width").in_range(1, 1000);
    f.add("show", show, "utterances to print").in_range(0, 1000000);
    f.add("errors", errors, "misrecognised utterances to print").in_range(0, 1000000);
    f.add("threads", threads, "threads reading and featurising the audio").in_range(1, 256);
    f.parse(argc, argv, 2);
    generator g(1);
    auto m = load_model(model, g);
    const auto examples = load_split(data, split, m->cfg.front, 0, threads);
    const auto batches = length_batches(examples, 64);
    const auto greedy = recognise_all(*m, examples, batches, 1);
    const auto beamed = recognise_all(*m, examples, batches, beam);
    std::vector<nn::label_sequence> refs;
    for (const example& e : examples)
        refs.push_back(e.labels);
    // Per group: edits and reference words, beam search.
    std::map<std::string, std::pair<std::size_t, std::size_t>> by_variant, by_accent;
    std::size_t exact = 0;
    for (std::size_t i = 0; i < examples.size(); ++i)
    {
        const std::string& v = examples[i].voice;
        const std::size_t plus = v.find('+');
        const std::size_t d = nn::edit_distance(beamed[i], refs[i]);
        for (auto* group : {&by_variant[v.substr(plus + 1)], &by_accent[v.substr(0, plus)]})
        {
            group->first += d;
            group->second += refs[i].size();
        }
        exact += beamed[i] == refs[i];
    }
    fmt::print("{} utterances of {}/{}\n", examples.size(), data, split);
    fmt::print("greedy LER {:.2f}%, beam {} LER {:.2f}%, utterances exactly right {:.1f}%\n",
               100 * nn::label_error_rate(greedy, refs), beam,
               100 * nn::label_error_rate(beamed, refs), 100.0 * exact / examples.size());
    for (const auto* table : {&by_variant, &by_accent})
    {
        fmt::print("{:<16} {:>8} {:>7}\n", table == &by_variant ? "variant" : "accent", "words",
                   "LER");
        for (const auto& [name, ed] : *table)
            fmt::print("{:<16} {:>8} {:>6.2f}%\n", name, ed.second,
                       100.0 * ed.first / std::max<std::size_t>(ed.second, 1));
    }
    const auto line = [&](std::size_t i) {
        fmt::print("{:<24} {:>3} wpm  said: {:<40} heard: {}\n", examples[i].voice,
                   examples[i].speed, transcript(refs[i]), transcript(beamed[i]));
    };
    for (std::size_t i = 0; i < std::min(show, examples.size()); ++i)
        line(i);
    if (errors > 0 && exact < examples.size())
        fmt::print("misrecognised:\n");
    for (std::size_t i = 0, shown = 0; i < examples.size() && shown < errors; ++i)
        if (beamed[i] != refs[i])
        {
            line(i);
            ++shown;
        }
    fmt::print("LER = {:.1f}%\n", 100 * nn::label_error_rate(beamed, refs));
    return 0;
}

} // namespace speech

int main(int argc, char** argv)
{
    return cli::run_commands("speech", argc, argv,
                             {{"make-data", speech::make_data_command},
                              {"train", speech::train_command},
                              {"recognise", speech::recognise_command},
                              {"evaluate", speech::evaluate_command}});
}
