// Writes the fuzz targets' seed corpora from files the library and the examples really write, so
// that fuzzing starts from valid inputs and mutates them into every way they can be wrong:
//   xgrad-fuzz-seeds OUT_DIR DATA_DIR
// gives OUT_DIR/<target>/... for safetensors, json, optimizer_state, text and vocabulary.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "examples/text/corpus.hpp"
#include "examples/text/tokenizer.hpp"
#include "examples/text/vocabulary.hpp"
#include "tests/fuzz/optimizers.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/layers/weights.hpp"
#ifdef XGRAD_FUZZ_WAV
#include "examples/speech/wav.hpp"
#endif

namespace fs = std::filesystem;
using namespace xgrad;

namespace
{

void write(const fs::path& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

// The JSON header of a safetensors file: a seed for the JSON target that is exactly what the
// library writes.
std::string header_of(const std::string& bytes)
{
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    return bytes.substr(8, n);
}

// A file the writer cannot produce: an entry of a dtype xgrad does not load.
std::string bf16_file()
{
    const std::string header =
        R"({"__metadata__":{"format":"pt"},"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})";
    std::string bytes(8, '\0');
    const std::uint64_t n = header.size();
    std::memcpy(bytes.data(), &n, 8);
    return bytes + header + std::string("\x80\x3f\x00\x40", 4);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
    {
        std::cerr << "usage: xgrad-fuzz-seeds OUT_DIR DATA_DIR\n";
        return 2;
    }
    const fs::path out = argv[1];
    for (const char* t : {"safetensors", "json", "optimizer_state", "text", "vocabulary", "metrics",
                          "pairs", "conll"})
        fs::create_directories(out / t);
    const fs::path st = out / "safetensors";

    // Safetensors: a model, every dtype with metadata, nothing at all, an unsupported dtype.
    nn::LSTM lstm(3, 4, nn::rnn_options{2});
    nn::save(lstm, (st / "lstm.safetensors").string());
    nn::save(fuzz::model(), (st / "linear.safetensors").string());
    io::save_tensors((st / "dtypes.safetensors").string(),
                     {{"f32", Tensor::ones({2, 2}).to(f32)},
                      {"f64", Tensor::scalar(-0.5, f64)},
                      {"i64", Tensor::from_indices({1, -2, 3})},
                      {"i32", Tensor::from_indices({7}).to(i32)},
                      {"empty", Tensor::zeros({0, 3})}},
                     {{"note", "quote \" backslash \\ \xc3\xa9"}});
    io::save_tensors((st / "nothing.safetensors").string(), {});
    write(st / "bf16.safetensors", bf16_file());

    // Optimizer states after two updates, for the parameters the fuzz target uses; also
    // safetensors seeds.
    const auto optimizers = fuzz::optimizers();
    for (const auto& o : optimizers)
        for (int step = 0; step < 2; ++step)
        {
            o->zero_grad();
            sum(fuzz::model()(Variable(Tensor::ones({4, 3})))).backward();
            o->step();
        }
    for (const auto& o : optimizers)
    {
        o->save((out / "optimizer_state" / (o->name() + ".safetensors")).string());
        o->save((st / ("optimizer_" + o->name() + ".safetensors")).string());
    }

    // JSON: every header written above, and the value kinds headers do not use.
    for (const auto& e : fs::directory_iterator(st))
        write(out / "json" / (e.path().stem().string() + ".json"),
              header_of(text::read_file(e.path().string())));
    write(out / "json" / "values.json",
          R"([null, true, false, -0, 1.5e-3, "\u00e9\ud83d\ude00\n\"", {"a": [[], {}]}])");

    // Text: the examples' corpora, as text and as a CSV body column; a vocabulary built from it.
    std::string sample = text::read_file((fs::path(argv[2]) / "tinyshakespeare.txt").string());
    sample.resize(std::min<std::size_t>(sample.size(), 2000));
    write(out / "text" / "shakespeare.txt", sample);
    write(out / "text" / "comments.csv",
          "id,body,score\n1,\"Hello, world. I don't think it's Mr. Smith's!\n"
          "See https://example.com/a?b=1 or 3.14 \"\"quoted\"\".\",5\r\n2,plain text...,3\n"
          "3,\"\",1\n");
    const text::vocabulary v = text::vocabulary::build(text::tokenize_document(sample), 50);
    v.save((out / "vocabulary" / "vocab.txt").string());

    // Metrics (tests/fuzz/fuzz_metrics.cpp): the first byte picks the scorer.
    const std::string conll = "-DOCSTART- -X- O O\n\nJohn NNP B-PER B-PER\nSmith NNP I-PER I-PER\n"
                              "lives VBZ O O\nin IN O O\nNew NNP B-LOC B-ORG\nYork NNP I-LOC "
                              "I-ORG\n. . O O\n\nB-WORK-OF-ART x I-X E-Y\n";
    write(out / "metrics" / "conlleval.txt", std::string(1, '\0') + conll);
    write(out / "metrics" / "conlleval-ws.txt", std::string(1, '\1') + conll);
    write(out / "metrics" / "bleu.txt",
          std::string(1, '\2') +
              "The dog bit the man.\nIt wasn't surprising.\n&quot;3.14-2&quot; caf\xc3\xa9\t"
              "The dog had bit the man.\nNo one was surprised.\n\"3.14-2\" cafe");
    // Parallel corpus (fuzz_pairs): the shipped Tatoeba file's first lines, and odd ones.
    std::string tsv = text::read_file((fs::path(argv[2]) / "eng-deu-tatoeba-50k.tsv").string());
    tsv.resize(std::min<std::size_t>(tsv.size(), 3000));
    write(out / "pairs" / "tatoeba.tsv", tsv);
    write(out / "pairs" / "odd.tsv", "a\tb\r\n\n  \t x\ta\tb\textra\nI don't.\tIch nicht.\n");
    write(out / "metrics" / "bleu-lower.txt", std::string(1, '\3') + "A b c d\tA B c e");

    // CoNLL readers (tests/fuzz/fuzz_conll.cpp): the first byte picks CoNLL-U UPOS/XPOS or two
    // columns; the rest is the start of the shipped files when present, else a sample.
    const std::string conllu = "# sent_id = a\n1-2\tI'm\t_\t_\t_\t_\t_\t_\t_\t_\n"
                               "1\tI\tI\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n"
                               "2\t'm\tbe\tAUX\tVBP\t_\t0\troot\t_\t_\n"
                               "2.1\tx\tx\tX\tX\t_\t_\t_\t2:x\t_\n\n";
    write(out / "conll" / "ud.conllu", std::string(1, '\0') + conllu);
    write(out / "conll" / "ud-xpos.conllu", std::string(1, '\1') + conllu);
    write(out / "conll" / "wnut.conll",
          std::string(1, '\2') + "-DOCSTART- O\n\nJohn\tB-person\nSmith\tI-person\n\t\nin O\n");
    for (const char* name : {"ud-english-ewt/en_ewt-ud-dev.conllu", "wnut17/emerging.dev.conll"})
        if (fs::exists(fs::path(argv[2]) / name))
        {
            std::string head = text::read_file((fs::path(argv[2]) / name).string());
            head.resize(std::min<std::size_t>(head.size(), 3000));
            const char mode = std::string(name).find(".conllu") != std::string::npos ? 0 : 2;
            write(out / "conll" / (std::string("data-") + fs::path(name).filename().string()),
                  std::string(1, mode) + head);
        }
#ifdef XGRAD_FUZZ_WAV
    // WAV (tests/fuzz/fuzz_wav.cpp): what the writer writes, a stream's placeholder size, an
    // odd-sized chunk before the data, WAVE_FORMAT_EXTENSIBLE.
    fs::create_directories(out / "wav");
    speech::audio a;
    a.samples = {0.0f, 0.5f, -0.5f, 0.99f, -1.0f, 0.25f};
    const std::string w = speech::wav_bytes(a);
    write(out / "wav" / "pcm16.wav", w);
    std::string streamed = w;
    streamed.replace(40, 4, std::string("\x00\xf0\xff\x7f", 4));
    write(out / "wav" / "streamed.wav", streamed);
    write(out / "wav" / "list-chunk.wav",
          w.substr(0, 36) + std::string("LIST\x03\0\0\0abc\0", 12) + w.substr(36));
    std::string ext = w.substr(0, 12) + std::string("fmt \x28\0\0\0\xfe\xff", 10) +
                      w.substr(22, 14) + std::string("\x16\0\x10\0\0\0\0\0\x01\0", 10) +
                      std::string(14, '\0') + w.substr(36);
    write(out / "wav" / "extensible.wav", ext);
#endif
    return 0;
}
