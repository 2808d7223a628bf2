// The tagger example: its readers (examples/tagger/conll.hpp, CoNLL-U and two-column files) and
// its vocabularies and batches (examples/tagger/data.hpp).
#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>
#include <string>

#include "examples/tagger/conll.hpp"
#include "examples/tagger/data.hpp"
#include "examples/tagger/model.hpp"

using tagger::conllu_column;

namespace
{

// The message of the runtime_error that f throws ("" if none).
template <class F>
std::string error_of(F f)
{
    try
    {
        f();
    }
    catch (const std::runtime_error& e)
    {
        return e.what();
    }
    return "";
}

const std::string ud_sample = "# sent_id = a\n"
                              "# text = I'm here.\n"
                              "1-2\tI'm\t_\t_\t_\t_\t_\t_\t_\t_\n"
                              "1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_\n"
                              "2\t'm\tbe\tAUX\tVBP\t_\t3\tcop\t_\t_\n"
                              "3\there\there\tADV\tRB\t_\t0\troot\t_\t_\n"
                              "3.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t3:x\t_\n"
                              "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\n"
                              "\n"
                              "1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_\r\n";

} // namespace

TEST_CASE("parse_conllu reads UPOS or XPOS, skipping multiword tokens and empty nodes")
{
    const auto u = tagger::parse_conllu(ud_sample, conllu_column::upos, "s.conllu");
    REQUIRE(u.size() == 2);
    CHECK(u[0].words == std::vector<std::string>{"I", "'m", "here", "."});
    CHECK(u[0].tags == std::vector<std::string>{"PRON", "AUX", "ADV", "PUNCT"});
    CHECK(u[0].line == 4);
    CHECK(u[1].words == std::vector<std::string>{"Yes"});
    CHECK(u[1].tags == std::vector<std::string>{"INTJ"}); // the "\r" is gone
    const auto x = tagger::parse_conllu(ud_sample, conllu_column::xpos, "s.conllu");
    CHECK(x[0].tags == std::vector<std::string>{"PRP", "VBP", "RB", "."});
    CHECK(tagger::parse_conllu("", conllu_column::upos, "e").empty());
    CHECK(tagger::parse_conllu("# only\n\n  \n", conllu_column::upos, "e").empty());
}

TEST_CASE("parse_conllu names the file and line of a malformed line")
{
    auto err = [](const std::string& text) {
        return error_of([&] { tagger::parse_conllu(text, conllu_column::upos, "f.conllu"); });
    };
    const std::string good = "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n";
    CHECK(err(good + "2\tb\tb\tX\n").find("f.conllu:2: ") == 0);
    CHECK(err(good + "2\tb\tb\tX\n").find("this one 4") != std::string::npos);
    CHECK(err(good + "\n2\t\tb\tX\tX\t_\t0\troot\t_\t_\n").find("f.conllu:3: empty token") == 0);
    CHECK(err("x\ta\ta\tX\tX\t_\t0\troot\t_\t_\n").find("f.conllu:1: ID 'x'") == 0);
    CHECK(err("1-\ta\ta\tX\tX\t_\t0\troot\t_\t_\n").find("f.conllu:1: ID") == 0);
    CHECK(err("1\ta\ta\t_\tX\t_\t0\troot\t_\t_\n").find("f.conllu:1: no UPOS tag") == 0);
    CHECK(err("1\ta\ta\tX Y\tX\t_\t0\troot\t_\t_\n").find("holds whitespace") != std::string::npos);
    CHECK(err(std::string("1\ta\0b\n", 5)).find("not a text file") != std::string::npos);
}

TEST_CASE("parse_two_column splits sentences at any whitespace-only line")
{
    const auto s = tagger::parse_two_column("-DOCSTART- O\n\nJohn\tB-person\nlives O\n\t\n"
                                            "in\tO\n \nParis\tB-location\r\n",
                                            "w.conll");
    REQUIRE(s.size() == 3);
    CHECK(s[0].words == std::vector<std::string>{"John", "lives"});
    CHECK(s[0].tags == std::vector<std::string>{"B-person", "O"});
    CHECK(s[0].line == 3);
    CHECK(s[1].words == std::vector<std::string>{"in"});
    CHECK(s[2].tags == std::vector<std::string>{"B-location"});
}

TEST_CASE("parse_two_column names the file and line of a malformed line")
{
    auto err = [](const std::string& text) {
        return error_of([&] { tagger::parse_two_column(text, "w.conll"); });
    };
    CHECK(err("a O\nb\n").find("w.conll:2: ") == 0);
    CHECK(err("a O\nb O x\n").find("this one 3") != std::string::npos);
    CHECK(err("a O\n\tO\n").find("w.conll:2: ") == 0);
    CHECK(err("a O\n\tB-x y\n").find("w.conll:2: empty token") == 0);
    CHECK(err("a O\xff\n").find("not a text file") != std::string::npos);
}

TEST_CASE("the file readers refuse missing and empty files")
{
    CHECK(error_of([] {
              tagger::read_two_column("/nonexistent/x.conll");
          }).find("/nonexistent/x.conll") != std::string::npos);
    CHECK(tagger::guess_format("a/b.conllu") == "conllu");
    CHECK(tagger::guess_format("a/b.conll") == "conll");
}

// --- examples/tagger/data.hpp: vocabularies and batches

namespace
{

std::vector<tagger::sentence> tiny_corpus()
{
    return tagger::parse_two_column("The O\ncat O\nsat O\n\nthe O\nCat B-animal\nin O\n1984 O\n"
                                    "\nA B-animal\ndog I-animal\n",
                                    "t.conll");
}

} // namespace

TEST_CASE("vocabulary normalizes words, orders by count and maps the rest to UNK")
{
    CHECK(tagger::normalize_word("McDonald's 1984") == "mcdonald's 0000");
    const auto v = tagger::vocabulary::build(tiny_corpus(), 1);
    REQUIRE(v.words().size() == 2 + 7);
    CHECK(v.words()[0] == "<pad>");
    CHECK(v.words()[1] == "<unk>");
    CHECK(v.words()[2] == "cat"); // twice, then "the" twice: ties by byte order
    CHECK(v.words()[3] == "the");
    CHECK(v.count(v.id("THE")) == 2);
    CHECK(v.id("zebra") == tagger::unk_id);
    CHECK(v.id("2001") == v.id("1984"));
    const auto v2 = tagger::vocabulary::build(tiny_corpus(), 2);
    CHECK(v2.size() == 4);
    CHECK(error_of([] { tagger::vocabulary::from_list({"a"}, "m"); }).find("m: ") == 0);
    CHECK(error_of([] {
              tagger::vocabulary::from_list({"<pad>", "<unk>", "a", "a"}, "m");
          }).find("twice") != std::string::npos);
}

TEST_CASE("tag_set recognises BIO tags and lists the moves BIO forbids")
{
    const auto t = tagger::tag_set::build(tiny_corpus());
    REQUIRE(t.tags() == std::vector<std::string>{"B-animal", "I-animal", "O"});
    CHECK(t.is_bio());
    using move = std::pair<std::size_t, std::size_t>;
    CHECK(t.forbidden_bio_transitions() == std::vector<move>{{2, 1}}); // O -> I-animal
    CHECK(t.forbidden_bio_starts() == std::vector<std::size_t>{1});
    const auto two = tagger::tag_set::from_list({"B-a", "I-a", "B-b", "I-b", "O"}, "x");
    CHECK(two.forbidden_bio_transitions() ==
          std::vector<move>{{2, 1}, {3, 1}, {4, 1}, {0, 3}, {1, 3}, {4, 3}});
    CHECK_FALSE(tagger::tag_set::from_list({"NOUN", "VERB"}, "x").is_bio());
    CHECK_FALSE(tagger::tag_set::from_list({"O"}, "x").is_bio());
    CHECK(t.id("B-plant") == -1);
}

TEST_CASE("make_batch lays words out time-major and each distinct word once as characters")
{
    const auto data = tiny_corpus();
    const auto v = tagger::vocabulary::build(data, 1);
    const auto t = tagger::tag_set::build(data);
    const tagger::batch b = tagger::make_batch(data, {2, 0}, v, t, 2);
    CHECK(b.steps == 3);
    CHECK(b.size == 2);
    CHECK(b.lengths == std::vector<std::size_t>{2, 3});
    CHECK(b.tokens == 5);
    // time-major: (t=0: A, The), (t=1: dog, cat), (t=2: pad, sat)
    CHECK(b.words[0] == v.id("a"));
    CHECK(b.words[1] == v.id("the"));
    CHECK(b.words[4] == tagger::pad_id);
    CHECK(b.mask == std::vector<std::uint8_t>{1, 1, 1, 1, 0, 1});
    CHECK(b.tags[0] == t.id("B-animal"));
    CHECK(b.tags[2] == t.id("I-animal"));
    REQUIRE(b.distinct == 5);
    CHECK(b.char_steps == 2); // max_chars
    CHECK(b.char_lengths == std::vector<std::size_t>{1, 2, 2, 2, 2});
    // word 0 is "A": byte + 1, then padding
    CHECK(b.chars[0] == 'A' + 1);
    CHECK(b.chars[b.distinct] == 0);
    const tagger::batch same = tagger::make_batch(data, {0, 1}, v, t, 20);
    CHECK(same.distinct == 7); // "The" and "the" differ in writing: separate char sequences
}

TEST_CASE("word dropout replaces a word of count c by UNK with probability a / (c + a)")
{
    std::vector<tagger::sentence> data(1);
    for (int i = 0; i < 4000; ++i)
    {
        data[0].words.push_back(i % 2 ? "once" : "often");
        data[0].tags.push_back("X");
    }
    data.push_back({{"once"}, {"X"}, 1});
    auto v = tagger::vocabulary::build({data[1], data[1], data[1]}, 1); // "once" seen 3 times
    const auto t = tagger::tag_set::build(data);
    xgrad::generator g(7);
    const tagger::batch b = tagger::make_batch(data, {0}, v, t, 20, &g, 1.0);
    std::size_t unk_once = 0;
    for (std::size_t i = 1; i < 4000; i += 2)
        unk_once += b.words[i] == tagger::unk_id;
    CHECK(double(unk_once) / 2000 == Approx(0.25).margin(0.03)); // 1 / (3 + 1)
    CHECK(b.words[0] == tagger::unk_id);                         // "often" is not in v
}

TEST_CASE("length_batches groups sentences of similar length")
{
    const auto data = tiny_corpus(); // lengths 3, 4, 2
    const auto b = tagger::length_batches(data, 2);
    CHECK(b == std::vector<std::vector<std::size_t>>{{2, 0}, {1}});
}

// --- examples/tagger/model.hpp: the network

TEST_CASE("tagger_model counts its parameters, trains and round-trips through its metadata")
{
    const auto data = tiny_corpus();
    const auto v = tagger::vocabulary::build(data, 1);
    const auto t = tagger::tag_set::build(data);
    for (const std::string output : {"softmax", "crf"})
    {
        tagger::model_config c;
        c.word_dim = 6;
        c.char_dim = 3;
        c.char_hidden = 4;
        c.hidden = 5;
        c.layers = 2;
        c.output = output;
        xgrad::generator g(1);
        tagger::tagger_model m(c, v, t, g);
        CHECK(m.parameter_count() == tagger::count_parameters(c, v.size(), t.size()));
        const tagger::batch b = tagger::make_batch(data, {0, 1, 2}, v, t, 20);
        xgrad::Variable loss = m.loss(b);
        const double l = loss.item();
        CHECK(std::isfinite(l));
        CHECK(l > 0);
        loss.backward();
        const auto p = m.predict(b);
        REQUIRE(p.size() == 3);
        for (std::size_t j = 0; j < 3; ++j)
            CHECK(p[j].size() == b.lengths[j]);
        // The same weights under the metadata's description predict the same tags.
        xgrad::generator g2(2);
        auto back = tagger::tagger_model::from_metadata(m.metadata(), "m", g2);
        CHECK(back->load_state_dict(m.state_dict()).empty());
        CHECK(back->predict(b) == p);
        CHECK(back->cfg.output == output);
    }
    xgrad::generator g3(3);
    auto meta = tagger::tagger_model(tagger::model_config{}, v, t, g3).metadata();
    meta["layers"] = "0";
    CHECK(error_of([&] {
              tagger::tagger_model::from_metadata(meta, "bad.safetensors", g3);
          }).find("bad.safetensors") != std::string::npos);
    meta.erase("format");
    CHECK(error_of([&] {
              tagger::tagger_model::from_metadata(meta, "x", g3);
          }).find("not a tagger model") != std::string::npos);
}

TEST_CASE("the CRF tagger never decodes a move BIO forbids")
{
    const auto data = tiny_corpus();
    const auto v = tagger::vocabulary::build(data, 1);
    const auto t = tagger::tag_set::build(data);
    tagger::model_config c;
    c.word_dim = 4;
    c.char_dim = 2;
    c.char_hidden = 2;
    c.hidden = 3;
    c.layers = 1;
    c.output = "crf";
    xgrad::generator g(5);
    tagger::tagger_model m(c, v, t, g);
    // Push the emissions towards I-animal everywhere: the decoder must still start and continue
    // chunks legally.
    m.head->bias.data().fill(0);
    m.head->bias.data().data<float>()[t.id("I-animal")] = 5.0f;
    const tagger::batch b = tagger::make_batch(data, {0, 1, 2}, v, t, 20);
    for (const auto& tags : m.predict(b))
        for (std::size_t i = 0; i < tags.size(); ++i)
            if (tags[i] == t.id("I-animal"))
                CHECK((i > 0 && tags[i - 1] != t.id("O")));
}
