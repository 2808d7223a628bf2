// examples/metrics: sacreBLEU-exact BLEU and conlleval-exact chunk F1 against the shared test
// vectors in tests/examples/fixtures (see the README there for their sources).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

#include "examples/metrics/bleu.hpp"
#include "examples/metrics/conlleval.hpp"
#include "xgrad/autograd/io/json.hpp"

namespace json = xgrad::io::json;
using namespace metrics;

namespace
{

std::string fixture(const std::string& name)
{
    return std::string(XGRAD_EXAMPLES_FIXTURES) + "/" + name;
}

json::value load_json(const std::string& name)
{
    std::ifstream in(fixture(name), std::ios::binary);
    REQUIRE(in);
    return json::parse(
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

const json::value& at(const json::value& v, const std::string& key)
{
    const json::value* p = v.find(key);
    if (!p)
        FAIL("fixture field '" << key << "' missing");
    return *p;
}

std::vector<std::int64_t> ints(const json::value& v)
{
    std::vector<std::int64_t> out;
    for (const auto& x : v.items)
        out.push_back(x.integer);
    return out;
}

std::vector<std::string> strings(const json::value& v)
{
    std::vector<std::string> out;
    for (const auto& x : v.items)
        out.push_back(x.str);
    return out;
}

std::optional<double> smooth_value_of(const json::value& c)
{
    const json::value& v = at(c, "smooth_value");
    if (v.kind == json::value::null)
        return std::nullopt;
    return v.num;
}

// The fixtures' rule: abs(score - expected) < tolerance; a published tolerance of 0 means exact
// equality (the upstream test writes `score == 0.0`).
bool within(double score, const json::value& c)
{
    const double expected = at(c, "expected").num;
    const double tolerance = at(c, "tolerance").num;
    return tolerance == 0 ? score == expected : std::abs(score - expected) < tolerance;
}

} // namespace

TEST_CASE("sacreBLEU corpus_bleu cases", "[metrics][bleu]")
{
    const json::value doc = load_json("sacrebleu-cases.json");
    const auto& cases = at(doc, "corpus_bleu").items;
    REQUIRE(cases.size() == 40);
    int passed = 0, skipped = 0;
    for (const auto& c : cases)
    {
        const std::string id = at(c, "id").str;
        INFO(id << " (" << at(c, "source").str << ")");
        bleu_options o;
        o.tokenize = at(c, "tokenize").str;
        o.smooth = parse_bleu_smooth(at(c, "smooth").str);
        o.smooth_value = smooth_value_of(c);
        o.lowercase = at(c, "lowercase").b;
        o.effective_order = at(c, "effective_order").b;
        o.max_ngram_order = static_cast<int>(at(c, "max_ngram_order").integer);
        // Every tokenizer in the file is implemented; the filter stays so that a new case with
        // another tokenizer is counted, not failed.
        if (o.tokenize != "13a" && o.tokenize != "none" && o.tokenize != "char" &&
            o.tokenize != "intl")
        {
            ++skipped;
            continue;
        }
        std::vector<std::vector<std::optional<std::string>>> refs;
        for (const auto& stream : at(c, "refs").items)
        {
            refs.emplace_back();
            for (const auto& r : stream.items)
                refs.back().push_back(
                    r.kind == json::value::null ? std::nullopt : std::optional<std::string>(r.str));
        }
        const bleu_score s = corpus_bleu_with_missing(strings(at(c, "hyps")), refs, o);
        CHECK(within(s.score, c));
        if (const json::value* computed = c.find("computed"))
            CHECK(std::abs(s.score - computed->num) <= 1e-9);
        if (const json::value* st = c.find("stats"))
        {
            CHECK(s.stats.counts == ints(at(*st, "counts")));
            CHECK(s.stats.totals == ints(at(*st, "totals")));
            CHECK(s.stats.sys_len == at(*st, "sys_len").integer);
            CHECK(s.stats.ref_len == at(*st, "ref_len").integer);
        }
        if (const json::value* st = c.find("published_stats"))
        {
            CHECK(s.stats.counts == ints(at(*st, "counts")));
            CHECK(s.stats.totals == ints(at(*st, "totals")));
        }
        ++passed;
    }
    WARN("corpus_bleu: " << passed << " cases run, " << skipped
                         << " skipped (tokenizer not implemented)");
    CHECK(passed + skipped == 40);
}

TEST_CASE("sacreBLEU bleu_from_stats cases", "[metrics][bleu]")
{
    const json::value doc = load_json("sacrebleu-cases.json");
    const auto& cases = at(doc, "bleu_from_stats").items;
    REQUIRE(cases.size() == 7);
    for (const auto& c : cases)
    {
        INFO(at(c, "id").str);
        bleu_stats st;
        st.counts = ints(at(c, "correct"));
        st.totals = ints(at(c, "total"));
        st.sys_len = at(c, "sys_len").integer;
        st.ref_len = at(c, "ref_len").integer;
        REQUIRE(st.counts.size() == static_cast<std::size_t>(at(c, "max_ngram_order").integer));
        const bleu_score s = bleu_from_stats(st, parse_bleu_smooth(at(c, "smooth").str),
                                             smooth_value_of(c), at(c, "effective_order").b);
        CHECK(within(s.score, c));
        CHECK(std::abs(s.score - at(c, "computed").num) <= 1e-9);
    }
}

TEST_CASE("sacreBLEU 13a tokenizer pairs", "[metrics][bleu]")
{
    const json::value doc = load_json("sacrebleu-cases.json");
    const auto& pairs = at(doc, "tokenize_13a").items;
    REQUIRE(pairs.size() == 32);
    for (const auto& p : pairs)
    {
        INFO(at(p, "id").str);
        CHECK(tokenize_13a(at(p, "in").str) == at(p, "out").str);
    }
}

TEST_CASE("BLEU text line, signature, streaming and Python string rules", "[metrics][bleu]")
{
    const std::vector<std::string> hyps{"The dog bit the man.", "It wasn't surprising.",
                                        "The man had just bitten him."};
    const std::vector<std::vector<std::string>> refs{
        {"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
        {"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."}};
    const bleu_score s = corpus_bleu(hyps, refs);
    // sacreBLEU README, "Using SacreBLEU from Python".
    CHECK(s.format() ==
          "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)");
    CHECK(s.signature == "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:xgrad-1.0");
    CHECK(s.format(true).rfind("BLEU|nrefs:2|case:mixed|", 0) == 0);

    // One segment at a time gives the same statistics and score.
    bleu_accumulator acc;
    CHECK_THROWS_AS(acc.signature(), std::runtime_error);
    for (std::size_t i = 0; i < hyps.size(); ++i)
        acc.add(hyps[i], {refs[0][i], refs[1][i]});
    CHECK(acc.segments() == 3);
    CHECK(acc.score().score == s.score);
    CHECK(acc.stats().counts == s.stats.counts);
    acc.add("x", {"x"}); // a segment with one reference: the count varies now
    CHECK(acc.signature() == "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:xgrad-1.0");

    bleu_options o;
    o.lowercase = true;
    o.effective_order = true;
    o.smooth = bleu_smooth::floor;
    o.max_ngram_order = 3;
    CHECK(bleu_signature(o, 1) ==
          "nrefs:1|case:lc|eff:yes|tok:13a|smooth:floor[0.10]|order:3|version:xgrad-1.0");
    o.smooth = bleu_smooth::add_k;
    o.smooth_value = 2;
    o.max_ngram_order = 4;
    CHECK(bleu_signature(o, 1) ==
          "nrefs:1|case:lc|eff:yes|tok:13a|smooth:add-k[2.00]|version:xgrad-1.0");

    // Python's str.split()/rstrip() whitespace and str.lower().
    CHECK(python_split("a\u00a0b\u3000c\u2028d\x1f"
                       "e \u200bf") ==
          std::vector<std::string>{"a", "b", "c", "d", "e", "\u200bf"}); // U+200B is not space
    CHECK(python_lower("\u0130STANBUL \u00c9T\u00c9") == "i\u0307stanbul \u00e9t\u00e9");
    // Final sigma: at a word end after a cased letter, not before one.
    CHECK(python_lower("\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3") ==
          "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2");
    CHECK(python_lower("\u03a3") == "\u03c3");
    CHECK(python_lower("A\u03a3.") == "a\u03c2.");
    CHECK(tokenize("ab c", "char") == "a b   c");
    CHECK(tokenize("x y", "none") == "x y");
    CHECK(tokenize("a,b 1,000 \u00a3$5 \u201chi\u201d", "intl") ==
          "a , b 1,000 \u00a3 $ 5 \u201c hi \u201d");
    // Segments are rstripped before tokenizing, so a final "-\n" is not 13a's line-break
    // hyphen: "abc-\n" is the token "abc-", not "abc".
    CHECK(corpus_bleu({"abc-\n"}, {{"abc-"}}).stats.counts[0] == 1);
    CHECK(corpus_bleu({"abc-\n"}, {{"abc"}}).stats.counts[0] == 0);
}

TEST_CASE("BLEU refuses bad input by name", "[metrics][bleu]")
{
    CHECK_THROWS_WITH(corpus_bleu({"a", "b"}, {{"a"}}),
                      Catch::Contains("reference stream 1 has 1 segments but there are 2"));
    CHECK_THROWS_AS(corpus_bleu({"a", "b"}, {{"a"}}), std::invalid_argument);
    bleu_options o;
    o.tokenize = "moses";
    CHECK_THROWS_WITH(corpus_bleu({"a"}, {{"a"}}, o), Catch::Contains("unknown tokenizer 'moses'"));
    o.tokenize = "zh";
    CHECK_THROWS_WITH(bleu_accumulator(o),
                      Catch::Contains("'zh'") && Catch::Contains("not implement"));
    CHECK_THROWS_WITH(corpus_bleu({"a", "caf\xc3"}, {{"a", "b"}}),
                      Catch::Contains("invalid UTF-8 at byte 3 (segment 2, hypothesis)"));
    CHECK_THROWS_WITH(corpus_bleu({"a"}, {{"b"}, {"\xed\xa0\x80"}}),
                      Catch::Contains("invalid UTF-8 at byte 0 (segment 1, reference 2)"));
    CHECK_THROWS_WITH(corpus_bleu({"a"}, {{"\xc0\xaf"}}), Catch::Contains("invalid UTF-8"));
    CHECK_THROWS_WITH(corpus_bleu({}, {{}}), Catch::Contains("no hypotheses"));
    CHECK_THROWS_WITH(corpus_bleu({"a"}, {}), Catch::Contains("no reference streams"));
    CHECK_THROWS_WITH(corpus_bleu_with_missing({"a"}, {{std::nullopt}}),
                      Catch::Contains("hypothesis 1 has no reference"));
    CHECK_THROWS_WITH(parse_bleu_smooth("add_k"), Catch::Contains("'add_k'"));
    o.tokenize = "13a";
    o.max_ngram_order = 0;
    CHECK_THROWS_WITH(bleu_accumulator(o), Catch::Contains("max_ngram_order"));
    CHECK_THROWS_AS(bleu_from_stats(bleu_stats{{1, 2}, {3}, 3, 3}), std::invalid_argument);
    bleu_accumulator acc;
    CHECK_THROWS_WITH(acc.add("a", {}), Catch::Contains("segment 1 has no reference"));
    CHECK(acc.segments() == 0);
}

namespace
{

void check_figures(const chunk_figures& f, const json::value& e)
{
    CHECK(f.gold == at(e, "gold_chunks").integer);
    CHECK(f.found == at(e, "pred_chunks").integer);
    CHECK(f.correct == at(e, "correct_chunks").integer);
    CHECK(std::abs(f.precision - at(e, "precision").num) <= 1e-9);
    CHECK(std::abs(f.recall - at(e, "recall").num) <= 1e-9);
    CHECK(std::abs(f.f1 - at(e, "f1").num) <= 1e-9);
}

void check_result(const conlleval_result& r, const json::value& expected, const json::value& report)
{
    const auto lines = r.report_lines();
    const auto want = strings(report);
    REQUIRE(lines.size() == want.size());
    for (std::size_t i = 0; i < lines.size(); ++i)
    {
        INFO("report line " << i + 1);
        CHECK(lines[i] == want[i]);
    }
    const json::value& overall = at(expected, "overall");
    CHECK(r.tokens == at(overall, "tokens").integer);
    CHECK(r.correct_tags == at(overall, "correct_tags").integer);
    CHECK(std::abs(r.accuracy - at(overall, "accuracy").num) <= 1e-9);
    check_figures(r.overall, overall);
    const json::value& types = at(expected, "per_type");
    CHECK(r.per_type.size() == types.members.size());
    for (const auto& [type, e] : types.members)
    {
        INFO("type " << type);
        REQUIRE(r.per_type.count(type) == 1);
        check_figures(r.per_type.at(type), e);
    }
}

} // namespace

TEST_CASE("conlleval on the published CoNLL-2000 example", "[metrics][conlleval]")
{
    const json::value expected = load_json("conlleval-expected.json");
    const conlleval_result r = conlleval_file(fixture("conlleval-cases.txt"));
    check_result(r, expected, at(expected, "published_report"));

    // Fed line by line (the streaming API) it is the same.
    std::ifstream in(fixture("conlleval-cases.txt"), std::ios::binary);
    conlleval c;
    std::string line;
    while (std::getline(in, line))
        c.add_line(line + "\n");
    CHECK(c.lines() == 1000);
    CHECK(c.result().report() == r.report());
}

TEST_CASE("conlleval supplementary edge cases", "[metrics][conlleval]")
{
    const json::value expected = load_json("conlleval-expected.json");
    const json::value& sup = at(expected, "supplementary_case");
    conlleval c;
    for (const auto& l : at(sup, "lines").items)
        c.add_line(l.str);
    check_result(c.result(), sup, at(sup, "report"));
}

TEST_CASE("conlleval options, script quirks and errors", "[metrics][conlleval]")
{
    // -DOCSTART- lines are tokens (the script knows only -X- as a boundary); -X- lines are not.
    conlleval d;
    d.add_text("-DOCSTART- -X- O O\n\nw X B-PER B-PER\n-X- -X- B-NP B-VP\nw X I-PER I-PER");
    const auto rd = d.result();
    CHECK(rd.tokens == 3);
    CHECK(rd.overall.gold == 2);
    CHECK(rd.overall.correct == 2);

    // -d with a tab, and -r raw tags with -o.
    conlleval_options o;
    o.delimiter = "\t";
    o.raw = true;
    o.o_tag = "OUT";
    conlleval raw(o);
    raw.add_text("a\tPER\tPER\nb\tPER\tOUT\nc\tOUT\tLOC\n");
    const auto rr = raw.result();
    CHECK(rr.overall.gold == 2);
    CHECK(rr.overall.found == 2);
    CHECK(rr.overall.correct == 1);
    CHECK(rr.correct_tags == 1);

    // -d is a regular expression, as in the script: "\\t" is a tab, "\\s+" any blank run;
    // one that matches the empty string, or is malformed, is refused.
    conlleval_options re_tab;
    re_tab.delimiter = "\\t";
    conlleval tab(re_tab);
    tab.add_text("a\tB-NP\tB-NP\nb c\tI-NP\tI-NP\n");
    CHECK(tab.result().overall.correct == 1);
    CHECK(tab.result().tokens == 2);
    conlleval_options re_blank;
    re_blank.delimiter = "\\s+";
    conlleval blank(re_blank);
    blank.add_text("a  B-NP\tB-NP\n");
    CHECK(blank.result().overall.correct == 1);
    CHECK_THROWS_WITH(conlleval(conlleval_options{"|", false, "O"}),
                      Catch::Contains("matches the empty string"));
    CHECK_THROWS_WITH(conlleval(conlleval_options{"[", false, "O"}),
                      Catch::Contains("not a valid regular expression"));

    // An untyped chunk found in both columns is printed twice, as the script does.
    conlleval u;
    u.add_text("a B B\n");
    CHECK(u.result().printed_types == std::vector<std::string>{"", ""});
    CHECK(u.result().report_lines().size() == 4);

    // No tokens: only the first line.
    CHECK(conlleval().result().report() ==
          "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n");

    conlleval bad;
    bad.add_line("w X B-NP B-NP");
    bad.add_line("");
    CHECK_THROWS_WITH(bad.add_line("w B-NP B-NP"),
                      Catch::Contains("line 3 has 3 columns but line 1 has 4"));
    CHECK_THROWS_WITH(conlleval().add_line("lonely"), Catch::Contains("line 1 has 1 column"));
    CHECK_THROWS_WITH(conlleval_file("/nonexistent/x.txt"),
                      Catch::Contains("cannot open") && Catch::Contains("No such file"));
    CHECK_THROWS_AS(conlleval().add_line("a O O\nb O O"), std::invalid_argument);
    CHECK_THROWS_AS(conlleval(conlleval_options{"", false, "O"}), std::invalid_argument);
}
