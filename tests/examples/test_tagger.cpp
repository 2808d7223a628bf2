// The tagger example's readers (examples/tagger/conll.hpp): CoNLL-U and two-column files.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "examples/tagger/conll.hpp"

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
