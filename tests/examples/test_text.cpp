// examples/text: corpus reading, tokenisation, vocabularies, batching.
#include <catch2/catch.hpp>

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
    CHECK_THROWS_WITH(read_corpus("/nonexistent/corpus.txt"), Catch::Contains("cannot read"));
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
