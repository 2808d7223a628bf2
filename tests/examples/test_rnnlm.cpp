// examples/rnnlm: the tutorial model's initial loss, learning, scoring and sampling.
#include <cmath>

#include "examples/rnnlm/generate.hpp"
#include "examples/rnnlm/model.hpp"
#include "examples/text/batches.hpp"
#include "examples/text/tokenizer.hpp"
#include "tests/support.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/sgd.hpp"

using namespace xgrad;

namespace
{
// A small corpus with real structure: "<name> <verb>s the <noun> ." and variations.
std::vector<std::vector<std::string>> toy_corpus()
{
    const std::vector<std::string> names{"romeo", "juliet", "the king", "a friar", "the nurse"};
    const std::vector<std::string> verbs{"loves", "sees", "fears", "calls", "follows"};
    const std::vector<std::string> nouns{"the moon", "a sword", "the night", "a letter"};
    std::vector<std::vector<std::string>> out;
    for (const auto& n : names)
        for (const auto& v : verbs)
            for (const auto& o : nouns)
                out.push_back(text::tokenize(n + " " + v + " " + o + " ."));
    return out;
}
} // namespace

TEST_CASE("the tutorial RNN starts at ln(V) and learns", "[examples][rnnlm]")
{
    const auto corpus = toy_corpus();
    const auto vocab = text::vocabulary::build(corpus, 20);
    std::vector<text::sequence> seqs;
    for (const auto& s : corpus)
        seqs.push_back(vocab.encode(s));
    generator g(42);
    rnnlm::Model m({"rnn", 1, 16, 20}, g);
    CHECK(m.parameter_count() == 2 * 16 * 20 + 16 * 16);

    auto mean_loss = [&] {
        no_grad guard;
        double total = 0;
        std::size_t tokens = 0;
        for (const auto& which : text::epoch_batches(seqs, 32, 0, 0, false))
        {
            auto b = text::make_batch(seqs, which);
            total += m.run_batch(b, 0, false) * double(b.tokens());
            tokens += b.tokens();
        }
        return total / double(tokens);
    };
    const double initial = mean_loss();
    CHECK(std::abs(initial - std::log(20.0)) < 0.01 * std::log(20.0)); // within 1% of ln V

    optim::Adam opt(m.parameters(), optim::adam_options{0.02});
    for (std::size_t epoch = 0; epoch < 15; ++epoch)
        for (const auto& which : text::epoch_batches(seqs, 10, 7, epoch))
        {
            opt.zero_grad();
            m.run_batch(text::make_batch(seqs, which), 0, true);
            opt.step();
        }
    const double trained = mean_loss();
    INFO("loss " << initial << " -> " << trained);
    CHECK(trained < initial - 1.5);

    // A sentence of the corpus beats the same words shuffled.
    auto logprob = [&](const std::string& s) {
        double t = 0;
        for (double lp : m.next_token_logprobs(vocab.encode(text::tokenize(s))))
            t += lp;
        return t;
    };
    CHECK(logprob("romeo loves the moon .") > logprob("moon the loves romeo .") + 2.0);

    // Sampling: sentences end at SENTENCE_END, never contain a marker or UNKNOWN_TOKEN.
    generator sg(5);
    std::size_t finished = 0;
    for (int i = 0; i < 20; ++i)
    {
        const auto words = rnnlm::sample_sentence(m, vocab, {1.0, 0, 30}, sg);
        if (!words)
            continue;
        ++finished;
        for (const auto& w : *words)
        {
            CHECK(w != text::unknown_token);
            CHECK(w != text::sentence_start);
            CHECK(w != text::sentence_end);
        }
    }
    CHECK(finished >= 18);
    // With top-k 1 the model's single most likely sentence comes out, the same every time.
    generator g1(1), g2(2);
    CHECK(rnnlm::sample_sentence(m, vocab, {1.0, 1, 30}, g1) ==
          rnnlm::sample_sentence(m, vocab, {1.0, 1, 30}, g2));
}

TEST_CASE("truncated BPTT gives the same loss and a different gradient", "[examples][rnnlm]")
{
    const auto corpus = toy_corpus();
    const auto vocab = text::vocabulary::build(corpus, 20);
    std::vector<text::sequence> seqs;
    for (std::size_t i = 0; i < 8; ++i)
        seqs.push_back(vocab.encode(corpus[i * 7]));
    generator g(3);
    rnnlm::Model m({"gru", 2, 8, 20}, g);
    const auto b = text::make_batch(seqs, {0, 1, 2, 3, 4, 5, 6, 7});
    const double full = m.run_batch(b, 0, true);
    const Tensor g_full = m.parameters()[1].grad().clone();
    m.zero_grad();
    const double truncated = m.run_batch(b, 2, true);
    CHECK(full == Approx(truncated).epsilon(1e-6)); // the forward values do not change
    CHECK(test::max_diff(g_full, m.parameters()[1].grad()) > 1e-6); // the gradient does
}

TEST_CASE("the rnnlm weight file names: tutorial names and PyTorch's flat ones",
          "[examples][rnnlm]")
{
    auto names = [](const xgrad::nn::Module& m) {
        std::vector<std::string> out;
        for (const auto& p : m.named_parameters())
            out.push_back(p.first);
        return out;
    };
    generator g(3);
    rnnlm::Model tutorial({"rnn", 2, 4, 10}, g);
    CHECK(names(tutorial) ==
          std::vector<std::string>{"U", "W", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "V"});
    // A module's own parameters come before its children's.
    rnnlm::Model lstm({"lstm", 2, 4, 10}, g);
    CHECK(names(lstm) ==
          std::vector<std::string>{"V", "embed.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0",
                                   "rnn.bias_ih_l0", "rnn.bias_hh_l0", "rnn.weight_ih_l1",
                                   "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"});
    // Each parameter is listed once, so an optimizer over parameters() updates it once.
    CHECK(lstm.parameter_count() == 10 * 4 + 2 * (16 * 4 + 16 * 4 + 32) + 10 * 4);
}

TEST_CASE("rnnlm config: parameter count before allocating, strict metadata", "[examples][rnnlm]")
{
    for (const char* cell : {"rnn", "lstm", "gru"})
        for (std::size_t layers : {1, 3})
        {
            const rnnlm::config c{cell, layers, 6, 11};
            xgrad::generator g(1);
            CHECK(c.parameter_count() == rnnlm::Model(c, g).parameter_count());
        }
    // 2^62 would wrap the products: refused, not allocated.
    CHECK_THROWS(rnnlm::config{"rnn", 1, std::size_t(1) << 62, 8000}.parameter_count());
    CHECK_THROWS_WITH(rnnlm::config({"rnn", 1, 65536, 65536}).parameter_count(),
                      Catch::Contains("more than the limit"));
    auto meta = rnnlm::config{"lstm", 2, 8, 50}.to_metadata();
    CHECK(rnnlm::config::from_metadata(meta).describe() ==
          rnnlm::config{"lstm", 2, 8, 50}.describe());
    meta["hidden"] = "abc";
    CHECK_THROWS_WITH(rnnlm::config::from_metadata(meta, "m.safetensors"),
                      "m.safetensors: metadata 'hidden' is 'abc', not an integer from 1 to 65536");
    meta["hidden"] = "65536";
    meta["vocab"] = "65536";
    CHECK_THROWS_WITH(rnnlm::config::from_metadata(meta, "m.safetensors"),
                      Catch::StartsWith("m.safetensors: a model of"));
}
