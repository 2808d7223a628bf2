// examples/translate: beam search with k = 1 is greedy decoding exactly; the data split keeps a
// source's translations together; the pairs reader's errors; BLEU with per-sentence references.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "examples/translate/bleu.hpp"
#include "examples/translate/decode.hpp"
#include "xgrad/autograd/autograd.hpp"
#include "xgrad/layers/gradcheck.hpp"

using namespace mt;

namespace
{

std::vector<std::vector<std::int64_t>> mt_test_sources()
{
    // Ragged lengths, ids within a vocabulary of 20; more sentences than one decoding batch.
    return {{4, 5, 6}, {7}, {8, 9, 10, 11, 12}, {13, 4}, {5, 5, 5, 5}, {19, 18, 17}, {6}};
}

std::string mt_test_file(const std::string& name, const std::string& contents)
{
    const auto p = std::filesystem::temp_directory_path() / ("xgrad-mt-test-" + name);
    std::ofstream(p) << contents;
    return p.string();
}

} // namespace

TEST_CASE("translate: beam search with k = 1 equals greedy decoding exactly", "[examples][mt]")
{
    for (const std::string cell : {"gru", "lstm"})
        for (const std::string att : {"general", "additive", "none"})
        {
            INFO(cell << " " << att);
            model_config c;
            c.cell = cell;
            c.attention = att;
            c.src_vocab = c.tgt_vocab = 20;
            c.embed = 6;
            c.hidden = 5;
            c.dec_hidden = 7;
            c.attention_size = 4;
            xgrad::generator g(7);
            Seq2Seq m(c, g);
            m.eval();
            xgrad::no_grad guard;
            decode_options o;
            o.batch = 3;
            o.max_length = 12;
            for (double alpha : {0.0, 0.6, 2.0})
            {
                o.alpha = alpha;
                o.beam = 1;
                const auto greedy_out = greedy(m, mt_test_sources(), o);
                const auto beam_out = beam_search(m, mt_test_sources(), o);
                CHECK(beam_out == greedy_out);
                o.beam = 4;
                const auto wide = beam_search(m, mt_test_sources(), o);
                REQUIRE(wide.size() == greedy_out.size());
                for (std::size_t i = 0; i < wide.size(); ++i)
                    CHECK(wide[i].size() <=
                          std::min<std::size_t>(12, 2 * mt_test_sources()[i].size() + 10));
            }
        }
}

TEST_CASE("translate: a beam wider than the vocabulary allows still gives one translation each",
          "[examples][mt]")
{
    // 8 x 12 candidates, fewer than 2k of them non-final at some steps: the live list is padded.
    model_config c;
    c.src_vocab = c.tgt_vocab = 12;
    c.embed = c.hidden = 4;
    c.dec_hidden = 8;
    c.attention = "dot";
    xgrad::generator g(3);
    Seq2Seq m(c, g);
    m.eval();
    xgrad::no_grad guard;
    decode_options o;
    o.beam = 8;
    o.max_length = 6;
    CHECK(beam_search(m, {{4, 5}, {6}}, o).size() == 2);
}

TEST_CASE("translate: the split keeps every translation of a source in one part", "[examples][mt]")
{
    std::vector<sentence_pair> pairs;
    for (int s = 0; s < 40; ++s)
        for (int t = 0; t <= s % 3; ++t)
            pairs.push_back(
                {"src" + std::to_string(s), "tgt" + std::to_string(s) + "." + std::to_string(t)});
    const corpus_split a = split_by_source(pairs, 5, 6, 42), b = split_by_source(pairs, 5, 6, 42);
    CHECK(a.valid.sources == b.valid.sources);
    CHECK(a.test.references == b.test.references);
    CHECK(split_by_source(pairs, 5, 6, 43).valid.sources != a.valid.sources);
    REQUIRE(a.valid.sources.size() == 5);
    REQUIRE(a.test.sources.size() == 6);
    std::set<std::string> held(a.valid.sources.begin(), a.valid.sources.end());
    held.insert(a.test.sources.begin(), a.test.sources.end());
    CHECK(held.size() == 11);
    for (const auto& p : a.train)
        CHECK(!held.count(p.source));
    for (std::size_t i = 0; i < a.test.sources.size(); ++i)
    {
        const int s = std::stoi(a.test.sources[i].substr(3));
        CHECK(a.test.references[i].size() == std::size_t(s % 3 + 1));
    }
    CHECK(a.train.size() + 0 < pairs.size());
    CHECK_THROWS_AS(split_by_source(pairs, 20, 20, 1), std::runtime_error);
}

TEST_CASE("translate: the pairs reader deduplicates and refuses malformed lines", "[examples][mt]")
{
    const auto ok =
        read_pairs(mt_test_file("ok.tsv", "a b\tx y\tCC-BY\n\na b\tx y\nc\td\n"), false);
    REQUIRE(ok.size() == 2);
    CHECK(ok[0].source == "a b");
    CHECK(ok[0].target == "x y");
    CHECK(read_pairs(mt_test_file("rev.tsv", "a\tb\n"), true)[0].source == "b");
    CHECK_THROWS_WITH(read_pairs(mt_test_file("notab.tsv", "a\tb\nno tab here\n"), false),
                      Catch::Contains("line 2: no tab"));
    CHECK_THROWS_WITH(read_pairs(mt_test_file("empty.tsv", "a\t \n"), false),
                      Catch::Contains("line 1: the second side is empty"));
    CHECK_THROWS_AS(read_pairs("/nonexistent/pairs.tsv", false), std::runtime_error);
    CHECK(tokenize("Don't go, Tom!") == std::vector<std::string>{"Don't", "go", ",", "Tom", "!"});
    CHECK(detokenize({"Geh", ",", "Tom", "!"}) == "Geh, Tom!");
}

TEST_CASE("translate: corpus BLEU takes each sentence's own references", "[examples][mt]")
{
    const std::vector<std::string> hyps{"The dog bit the man.", "It wasn't surprising."};
    // Two references each: the same as sacreBLEU's streams layout.
    const bleu_score two = corpus_bleu(hyps, {{"The dog bit the man.", "The dog had bit the man."},
                                              {"It was not unexpected.", "No one was surprised."}});
    const metrics::bleu_score streams =
        metrics::corpus_bleu(hyps, {{"The dog bit the man.", "It was not unexpected."},
                                    {"The dog had bit the man.", "No one was surprised."}});
    CHECK(two.score == streams.score);
    CHECK(two.signature == streams.signature);
    // A varying number: nrefs:var, and a sentence without one is refused.
    const bleu_score var =
        corpus_bleu(hyps, {{"The dog bit the man."}, {"It was not unexpected.", "No one was."}});
    CHECK(var.signature.find("nrefs:var") != std::string::npos);
    CHECK(corpus_bleu({"a b c d"}, {{"a b c d"}}).score == Approx(100));
    CHECK_THROWS_AS(corpus_bleu(hyps, {{"x"}, {}}), std::invalid_argument);
    CHECK_THROWS_AS(corpus_bleu(hyps, {{"x"}}), std::invalid_argument);
}

TEST_CASE("translate: the model's training loss gradchecks in float64", "[examples][mt]")
{
    for (const std::string att : {"general", "additive", "none"})
        for (const std::string cell : {"gru", "lstm"})
        {
            INFO(cell << " " << att);
            model_config c;
            c.cell = cell;
            c.attention = att;
            c.src_vocab = c.tgt_vocab = 9;
            c.embed = 3;
            c.hidden = 3;
            c.dec_hidden = 4;
            c.attention_size = 3;
            c.dropout = 0; // gradcheck needs a deterministic loss
            xgrad::generator g(11);
            Seq2Seq m(c, g);
            m.to(xgrad::f64);
            // Ragged sources and targets: padding must not count in the loss or the gradient.
            const std::vector<std::int64_t> s0{4, 5, 6}, s1{7}, t0{5, 8, vocab::eos},
                t1{vocab::eos};
            const padded src = pad_batch({&s0, &s1}), tgt = pad_batch({&t0, &t1});
            const auto report = xgrad::nn::gradcheck_module(m, [&] {
                xgrad::generator sg(1);
                return m.loss(src, tgt, 1.0, sg);
            });
            INFO(report.table());
            CHECK(report.ok());
        }
}
