// caption: describing pictures of coloured shapes (issue 13: a CNN composed with an LSTM).
//   caption make-data  scenes of 1-3 shapes, captions, held-out colour-shape pairs, samples
//   caption train      see train.cpp
//   caption describe   captions of PNG/PGM/PPM files; --attention-plot DIR draws where it looked
//   caption evaluate   exact match, BLEU-4 and the image-shuffle control on a split
#include <cmath>
#include <memory>
#include <sys/stat.h>

#include <fmt/core.h>

#include "examples/caption/commands.hpp"
#include "examples/caption/data.hpp"
#include "examples/caption/eval.hpp"
#include "examples/caption/model.hpp"
#include "examples/common/flags.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/io/image.hpp"
#include "xgrad/autograd/io/safetensors.hpp"

using namespace xgrad;

namespace caption
{
namespace
{

std::unique_ptr<Captioner> load_model(const std::string& dir)
{
    const io::checkpoint_dir ckpt(dir);
    const std::string path =
        (ckpt.exists() ? ckpt.verify({"best.safetensors"}) : dir) + "/best.safetensors";
    auto w = io::load_tensors(path);
    generator g(0);
    auto m = std::make_unique<Captioner>(model_config::from_metadata(w.metadata, path), g);
    if (!m->load_state_dict(w.tensors, false).empty())
        throw std::runtime_error(path + ": the weights do not match the model its metadata "
                                        "describes");
    m->eval();
    return m;
}

int make_data_command(int argc, char** argv)
{
    std::string out = "caption-data";
    data_sizes n;
    std::uint64_t seed = 1;
    cli::flags f("usage: caption make-data [options]\n"
                 "Generates scenes of 1-3 coloured shapes with their captions: train, valid and\n"
                 "test use only colour-shape pairs seen in training; unseen holds at least one\n"
                 "held-out pair per scene. Also writes a few pictures to DIR/samples/.");
    f.add("out", out, "dataset directory").not_empty();
    f.add("train", n.train, "training scenes").in_range(1, 10000000);
    f.add("valid", n.valid, "validation scenes").in_range(1, 10000000);
    f.add("test", n.test, "test scenes (seen pairs)").in_range(1, 10000000);
    f.add("unseen", n.unseen, "test scenes with held-out pairs").in_range(1, 10000000);
    f.add("samples", n.samples, "pictures written per test split").in_range(0, 1000);
    f.add("seed", seed, "random seed", 0);
    f.parse(argc, argv, 2);
    make_data(out, seed, n);
    fmt::print("{}: {} training, {} valid, {} test and {} unseen scenes; samples in "
               "{}/samples/\n",
               out, n.train, n.valid, n.test, n.unseen, out);
    return 0;
}

// The picture with the attention over its 6 x 6 grid: brightness 0.25 + 0.75 w / max w.
Tensor attention_picture(const Tensor& img, const std::vector<float>& w)
{
    const std::size_t side = img.shape()[1], cells = std::size_t(std::lround(std::sqrt(w.size())));
    const float top = *std::max_element(w.begin(), w.end());
    Tensor out = img.clone();
    float* d = out.data<float>();
    for (std::size_t y = 0; y < side; ++y)
        for (std::size_t x = 0; x < side; ++x)
        {
            const float a = w[(y * cells / side) * cells + x * cells / side] / std::max(top, 1e-9f);
            for (std::size_t k = 0; k < 3; ++k)
                d[(k * side + y) * side + x] *= 0.25f + 0.75f * a;
        }
    return out;
}

int describe_command(int argc, char** argv)
{
    std::string model = "caption-model", plot_dir;
    cli::flags f("usage: caption describe [options] IMAGE...\n"
                 "Prints a caption for each PNG, PGM or PPM picture (48 x 48, RGB or gray).");
    f.add("model", model, "checkpoint directory written by train").not_empty();
    f.add("attention-plot", plot_dir,
          "write DIR/<image>-<k>-<word>.png: the picture lit where the decoder looked for its "
          "k-th word, and DIR/<image>-strip.png with every word side by side (attend models)")
        .hide_default();
    f.positionals("IMAGE");
    const auto files = f.parse(argc, argv, 2);
    if (files.empty())
        throw cli::usage_error("no IMAGE given");
    auto m = load_model(model);
    if (!plot_dir.empty() && m->cfg.variant != "attend")
        throw cli::usage_error("--attention-plot: the model has no attention (--variant tell)");
    const vocabulary vocab;
    for (std::size_t i = 0; i < files.size(); ++i)
    {
        const Tensor img = io::read_image(files[i], {3});
        if (img.shape()[1] != image_side || img.shape()[2] != image_side)
            throw std::runtime_error(fmt::format("{}: {}x{} pixels; the model reads {}x{}",
                                                 files[i], img.shape()[2], img.shape()[1],
                                                 image_side, image_side));
        const decoded d = m->greedy(Variable(img.reshape({1, 3, image_side, image_side})), 24);
        fmt::print("{}: {}\n", files[i], vocab.decode(d.words[0]));
        if (!plot_dir.empty())
        {
            ::mkdir(plot_dir.c_str(), 0755);
            for (std::size_t k = 0; k < d.words[0].size(); ++k)
            {
                const std::string path = fmt::format("{}/{}-{}-{}.png", plot_dir, i, k,
                                                     vocab.word(std::size_t(d.words[0][k])));
                io::write_png(path, attention_picture(img, d.weights[0][k]));
            }
            // All words side by side, 2 white pixels apart: DIR/<image>-strip.png.
            const std::size_t k_words = d.words[0].size(), gap = 2;
            if (k_words > 0)
            {
                const std::size_t wide = k_words * (image_side + gap) - gap;
                Tensor strip = Tensor::full({3, image_side, wide}, 1.0, f32);
                for (std::size_t k = 0; k < k_words; ++k)
                {
                    const Tensor pic = attention_picture(img, d.weights[0][k]);
                    for (std::size_t ch = 0; ch < 3; ++ch)
                        for (std::size_t y = 0; y < image_side; ++y)
                            for (std::size_t x = 0; x < image_side; ++x)
                                strip.data<float>()[(ch * image_side + y) * wide +
                                                    k * (image_side + gap) + x] =
                                    pic.data<float>()[(ch * image_side + y) * image_side + x];
                }
                io::write_png(fmt::format("{}/{}-strip.png", plot_dir, i), strip);
            }
            fmt::print("  attention for its {} words in {}/{}-*.png ({}/{}-strip.png: all)\n",
                       k_words, plot_dir, i, plot_dir, i);
        }
    }
    return 0;
}

int evaluate_command(int argc, char** argv)
{
    std::string model = "caption-model", data = "caption-data", split = "test";
    std::size_t show = 0;
    cli::flags f("usage: caption evaluate [options]\n"
                 "Scores greedy captions on a split: exact match, BLEU-4 (sacreBLEU's), and the\n"
                 "same with the pictures shuffled among the scenes (the control).");
    f.add("model", model, "checkpoint directory written by train").not_empty();
    f.add("data", data, "dataset directory written by make-data").not_empty();
    f.add("split", split, "test (seen pairs) | unseen | valid").one_of({"test", "unseen", "valid"});
    f.add("show", show, "print the first N captions beside the references");
    f.parse(argc, argv, 2);
    auto m = load_model(model);
    const auto examples = load_split(data + "/" + split + ".tsv");
    const scores s = evaluate(*m, examples, true);
    for (std::size_t i = 0; i < std::min(show, examples.size()); ++i)
        fmt::print("{} {}\n  reference: {}\n", s.hypotheses[i] == examples[i].caption ? "=" : "x",
                   s.hypotheses[i], examples[i].caption);
    fmt::print("{} ({} scenes): exact match = {:.1f}%, BLEU-4 = {:.1f}; images shuffled: exact "
               "match {:.1f}%, BLEU-4 {:.1f}\n",
               split, examples.size(), 100 * s.exact, s.bleu, 100 * s.shuffled_exact,
               s.shuffled_bleu);
    return 0;
}

} // namespace
} // namespace caption

int main(int argc, char** argv)
{
    return cli::run_commands("caption", argc, argv,
                             {{"make-data", caption::make_data_command},
                              {"train", caption::train_command},
                              {"describe", caption::describe_command},
                              {"evaluate", caption::evaluate_command}});
}
