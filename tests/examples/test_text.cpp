// examples/text: corpus reading, tokenisation, vocabularies, batching.
#include <catch2/catch.hpp>

#include "examples/common/flags.hpp"
#include "examples/text/batches.hpp"
#include "examples/text/corpus.hpp"
#include "examples/text/tokenizer.hpp"
#include "examples/text/vocabulary.hpp"

using namespace text;
using words = std::vector<std::string>;

TEST_CASE("tokenizer on tricky text", "[examples][text]")
{
    CHECK(tokenize("I don't think it's Mr. Smith's, do you?") ==
          words{"I", "do", "n't", "think", "it", "'s", "Mr", ".", "Smith", "'s", ",", "do", "you",
                "?"});
    CHECK(tokenize("see https://example.com/a?b=1, or www.x.org.") ==
          words{"see", "https://example.com/a?b=1", ",", "or", "www.x.org", "."});
    CHECK(tokenize("pi is 3.14 and 1,000 well-known items...") ==
          words{"pi", "is", "3.14", "and", "1,000", "well-known", "items", "..."});
    CHECK(tokenize("'tis we'll--they've \"quoted\" (x)") ==
          words{"'tis", "we", "'ll", "--", "they", "'ve", "\"", "quoted", "\"", "(", "x", ")"});
    CHECK(tokenize("can't won't") == words{"can", "n't", "wo", "n't"});
    CHECK(tokenize("  ") == words{});

    CHECK(split_sentences("Hello there. How are you? Fine!") ==
          words{"Hello there.", " How are you?", " Fine!"});
    // Abbreviations and decimals do not end sentences; blank lines and speaker labels do.
    CHECK(split_sentences("Dr. Who paid 3.50 dollars. Done").size() == 2);
    CHECK(
        split_sentences("First Citizen:\nBefore we proceed\nany further.\n\nAll:\nSpeak").size() ==
        4);
    const auto doc = tokenize_document("ROMEO:\nWhat, ho! It's LATE.");
    REQUIRE(doc.size() == 3);
    CHECK(doc[0] == words{"romeo", ":"});
    CHECK(doc[2] == words{"it", "'s", "late", "."});
}

TEST_CASE("CSV body column with quoted multi-line fields", "[examples][text]")
{
    const std::string csv = "id,body,score\n1,\"Hello, world.\nSecond line \"\"quoted\"\".\",5\n"
                            "2,plain,3\r\n3,\"\",1";
    const auto body = csv_column(csv, "body");
    REQUIRE(body.size() == 3);
    CHECK(body[0] == "Hello, world.\nSecond line \"quoted\".");
    CHECK(body[1] == "plain");
    CHECK(body[2].empty());
    CHECK_THROWS_WITH(csv_column(csv, "text"), Catch::Contains("text"));
    CHECK_THROWS_WITH(csv_column("a\n\"open", "a"), Catch::Contains("not closed"));
    CHECK_THROWS_WITH(read_corpus("/nonexistent/corpus.txt"),
                      Catch::Contains("cannot open") && Catch::Contains("No such file"));
    // The in-memory entry point decides CSV or text by the name, as read_corpus does.
    CHECK(parse_corpus(csv, "x.csv") == body);
    CHECK(parse_corpus(csv, "x.txt") == words{csv});
    CHECK_THROWS_WITH(parse_corpus(" \n", "e.txt"), Catch::Contains("'e.txt' is empty"));
}

TEST_CASE("vocabularies", "[examples][text]")
{
    const std::vector<words> s{{"a", "b", "a"}, {"a", "c"}, {"d"}};
    const vocabulary v = vocabulary::build(s, 5);
    // START and END (3 each) and "a" (3) are the most frequent; ties break alphabetically.
    CHECK(v.words() == words{"SENTENCE_END", "SENTENCE_START", "a", "b", "UNKNOWN_TOKEN"});
    CHECK(v.id("zzz") == v.unknown_id());
    CHECK(v.encode({"a", "q"}) ==
          std::vector<std::int64_t>{v.start_id(), v.id("a"), v.unknown_id(), v.end_id()});
    CHECK_THROWS_WITH(vocabulary::build(s, 8), Catch::Contains("only 6 distinct"));
    CHECK_THROWS_AS(vocabulary::build(s, 3), std::runtime_error);
    CHECK_THROWS_AS(vocabulary(words{"a", "b"}), std::runtime_error);
    CHECK(
        vocabulary::parse("SENTENCE_END\nSENTENCE_START\na\nb\nUNKNOWN_TOKEN\n", "v.txt").words() ==
        v.words());
    CHECK_THROWS_WITH(vocabulary::parse("", "v.txt"), Catch::Contains("'v.txt' is empty"));

    char_vocabulary cv("hello");
    CHECK(cv.chars() == "ehlo");
    CHECK(cv.encode("hole") == std::vector<std::int64_t>{1, 3, 2, 0});
    CHECK_THROWS_AS(cv.id('z'), std::runtime_error);
}

TEST_CASE("batches are time-major, padded and deterministic", "[examples][text]")
{
    const std::vector<sequence> seqs{{1, 2, 3, 4}, {5, 6}, {7, 8, 9}};
    batch b = make_batch(seqs, {0, 1, 2});
    CHECK(b.steps == 3);
    CHECK(b.lengths == std::vector<std::size_t>{3, 1, 2});
    CHECK(b.tokens() == 6);
    // inputs (t, b) at t*3+b: t=0: 1 5 7; t=1: 2 pad 8; t=2: 3 pad pad
    CHECK(b.inputs == std::vector<std::int64_t>{1, 5, 7, 2, 0, 8, 3, 0, 0});
    CHECK(b.targets == std::vector<std::int64_t>{2, 6, 8, 3, -100, 9, 4, -100, -100});

    std::vector<sequence> many;
    for (int i = 0; i < 100; ++i)
        many.push_back(sequence(2 + i % 7, i));
    const auto e1 = epoch_batches(many, 8, 3, 1), e1b = epoch_batches(many, 8, 3, 1),
               e2 = epoch_batches(many, 8, 3, 2);
    CHECK(e1 == e1b);
    CHECK(e1 != e2);
    std::vector<std::size_t> seen;
    for (const auto& bt : e1)
        seen.insert(seen.end(), bt.begin(), bt.end());
    std::sort(seen.begin(), seen.end());
    CHECK(seen.size() == 100);
    CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end()); // each exactly once

    std::vector<sequence> train, valid;
    split(many, 0.1, train, valid);
    CHECK(valid.size() == 10);
    CHECK(train.size() == 90);
}

TEST_CASE("corpus text check: NUL bytes and invalid UTF-8 with their offsets", "[examples][text]")
{
    using namespace std::string_literals;
    CHECK(find_invalid_text("") == std::string::npos);
    CHECK(find_invalid_text("plain ASCII\n") == std::string::npos);
    // 2-, 3- and 4-byte characters, the largest code point U+10FFFF and U+FFFF.
    CHECK(find_invalid_text(
              "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xEF\xBF\xBF") ==
          std::string::npos);
    std::string why;
    CHECK(find_invalid_text("ab\0c"s, &why) == 2);
    CHECK(why.find("NUL") != std::string::npos);
    CHECK(find_invalid_text("abc\xFF", &why) == 3);     // never a lead byte
    CHECK(find_invalid_text("a\x80", &why) == 1);       // a lone continuation byte
    CHECK(find_invalid_text("x\xC0\xAF") == 1);         // overlong '/'
    CHECK(find_invalid_text("x\xC1\xBF") == 1);         // overlong
    CHECK(find_invalid_text("xy\xE0\x80\xAF") == 2);    // overlong 3-byte
    CHECK(find_invalid_text("\xF0\x80\x80\xAF") == 0);  // overlong 4-byte
    CHECK(find_invalid_text("ok\xED\xA0\x80") == 2);    // surrogate U+D800
    CHECK(find_invalid_text("\xF4\x90\x80\x80") == 0);  // U+110000
    CHECK(find_invalid_text("\xF5\x80\x80\x80") == 0);  // no 5-byte forms
    CHECK(find_invalid_text("abc\xE2\x82", &why) == 3); // cut off by the end
    CHECK(why.find("cut off") != std::string::npos);
    CHECK(find_invalid_text("\xE2\x28\xA1") == 0);     // bad continuation
    CHECK(find_invalid_text("\xF0\x9F\x98\x28") == 0); // bad last continuation
    CHECK_NOTHROW(check_text("fine", "f.txt"));
    try
    {
        check_text("hello\xC3", "f.txt");
        FAIL("check_text accepted a cut-off character");
    }
    catch (const std::runtime_error& e)
    {
        CHECK(std::string(e.what()).find("'f.txt' is not a text file: byte offset 5") !=
              std::string::npos);
    }
}

namespace
{
// What parse_or_throw says about `args`, or "" if it accepts them.
std::string refusal(cli::flags& f, const std::vector<std::string>& args)
{
    try
    {
        f.parse_or_throw(args);
        return "";
    }
    catch (const cli::usage_error& e)
    {
        return e.what();
    }
}
} // namespace

TEST_CASE("flags: strict numbers and declared ranges", "[examples][flags]")
{
    std::size_t batch = 1, max_len = 80;
    double lr = 0.1, valid = 0.05;
    std::uint64_t seed = 1;
    std::string cell = "rnn", data = "x";
    bool resume = false;
    cli::flags f("usage: t");
    f.add("batch", batch, "b").in_range(1, 64);
    f.add("max-length", max_len, "m").at_least(2).or_zero();
    f.add("lr", lr, "l").positive();
    f.add("valid", valid, "v").at_least(0).below(1);
    f.add("seed", seed, "s", 0);
    f.add("cell", cell, "c").one_of({"rnn", "lstm"});
    f.add("data", data, "d").not_empty();
    f.add("resume", resume, "r");

    CHECK(refusal(f, {"--batch", "8", "--lr=0.5", "--valid", "0", "--seed", "18446744073709551615",
                      "--cell", "lstm", "--resume", "--max-length", "0"}) == "");
    CHECK(batch == 8);
    CHECK(lr == 0.5);
    CHECK(valid == 0);
    CHECK(seed == 18446744073709551615ull); // exact: not through a double
    CHECK(cell == "lstm");
    CHECK(resume);
    CHECK(max_len == 0);
    CHECK(f.given("lr"));
    CHECK_FALSE(f.given("data"));

    CHECK(refusal(f, {"--batch", "0"}) ==
          "--batch: '0' is out of range (accepted: an integer from 1 to 64)");
    CHECK(refusal(f, {"--batch", "65"}).find("out of range") != std::string::npos);
    for (const char* bad :
         {"-1", "+1", " 1", "1 ", "1x", "0x10", "1e2", "1.0", "", "18446744073709551616"})
        CHECK(refusal(f, {"--batch", bad}).find("is not a valid value") != std::string::npos);
    CHECK(refusal(f, {"--seed", "-1"}).find("is not a valid value") != std::string::npos);
    CHECK(refusal(f, {"--max-length", "1"}) ==
          "--max-length: '1' is out of range (accepted: 0 or an integer >= 2)");
    for (const char* bad : {"0", "-1", "nan", "NaN", "inf", "-inf", "1e400", "0x1p3", "1.5x", ""})
        CHECK(refusal(f, {"--lr", bad}) != "");
    CHECK(refusal(f, {"--lr", "1e-3"}) == "");
    CHECK(refusal(f, {"--valid", "1"}) ==
          "--valid: '1' is out of range (accepted: a number >= 0 and < 1)");
    CHECK(refusal(f, {"--valid", "-0.5"}).find("out of range") != std::string::npos);
    CHECK(refusal(f, {"--cell", "gru"}) ==
          "--cell: 'gru' is not a valid value (accepted: one of rnn, lstm)");
    CHECK(refusal(f, {"--data", ""}).find("--data: ''") != std::string::npos);
    CHECK(lr == 1e-3); // refused values leave the flag alone
}

TEST_CASE("flags: unknown options, stray words, switches, --", "[examples][flags]")
{
    std::size_t hidden = 4;
    bool resume = false;
    cli::flags f("usage: t");
    f.add("hidden", hidden, "h").at_least(1);
    f.add("resume", resume, "r");
    CHECK(refusal(f, {"hidden", "32"}) == "unexpected argument 'hidden': this command takes only "
                                          "--options (did you mean --hidden?)");
    CHECK(refusal(f, {"--hiden", "3"}) == "unknown option --hiden (did you mean --hidden?)");
    CHECK(refusal(f, {"--bogus"}) == "unknown option --bogus (see --help)");
    CHECK(refusal(f, {"-x"}).find("unknown option -x") == 0);
    CHECK(refusal(f, {"--resume=1"}).find("is a switch") != std::string::npos);
    CHECK(refusal(f, {"--hidden"}) == "--hidden needs a value (an integer >= 1)");
    CHECK(refusal(f, {"--", "--hidden"}).find("unexpected argument '--hidden'") == 0);
    CHECK(refusal(f, {"--help"}) == "--help");

    cli::flags p("usage: t");
    p.add("hidden", hidden, "h");
    p.positionals("SENTENCE");
    CHECK(p.parse_or_throw({"a b", "--hidden", "3", "-", "--", "-x", "--hidden"}) ==
          std::vector<std::string>{"a b", "-", "-x", "--hidden"});
    CHECK(hidden == 3);
    CHECK(refusal(p, {"-x"}).find("unknown option -x") == 0);

    const std::string help = f.help();
    CHECK(help.find("--hidden V") != std::string::npos);
    CHECK(help.find("(default 4; an integer >= 1)") != std::string::npos);
    CHECK_THROWS_AS(f.add("name", hidden, "n").one_of({"a"}), std::logic_error);
}

TEST_CASE("flags: overflow-checked sizes and strict metadata", "[examples][flags]")
{
    CHECK(cli::checked_mul(1u << 20, 1u << 20, "x") == (std::size_t(1) << 40));
    CHECK_THROWS_AS(cli::checked_mul(std::size_t(1) << 40, std::size_t(1) << 40, "x"),
                    std::runtime_error);
    CHECK_THROWS_AS(cli::checked_add(SIZE_MAX, 1, "x"), std::runtime_error);
    CHECK_NOTHROW(cli::check_parameter_count(cli::max_parameters, "x"));
    CHECK_THROWS_AS(cli::check_parameter_count(cli::max_parameters + 1, "x"), cli::usage_error);

    const std::map<std::string, std::string> m{{"hidden", "abc"}, {"layers", "3"}};
    CHECK(cli::metadata_size(m, "layers", "f", 1, 64) == 3);
    CHECK_THROWS_WITH(cli::metadata_size(m, "hidden", "m.safetensors", 1, 64),
                      "m.safetensors: metadata 'hidden' is 'abc', not an integer from 1 to 64");
    CHECK_THROWS_WITH(cli::metadata_size(m, "vocab", "m.safetensors", 1, 64),
                      "m.safetensors: the metadata has no 'vocab'");
    CHECK_THROWS(cli::metadata_size(m, "layers", "f", 4, 64));
}
