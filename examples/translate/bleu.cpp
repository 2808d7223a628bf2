#include "examples/translate/bleu.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

#include <fmt/core.h>

namespace mt
{
namespace
{

std::string replace_all(std::string s, const std::string& from, const std::string& to)
{
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

// One UTF-8 character: whitespace for Python's str.isspace()?
bool is_python_space(const std::string& ch)
{
    if (ch.size() == 1)
    {
        const auto c = static_cast<unsigned char>(ch[0]);
        return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    }
    static const std::set<std::string> wide{"\u0085", "\u00a0", "\u1680", "\u2000", "\u2001",
                                            "\u2002", "\u2003", "\u2004", "\u2005", "\u2006",
                                            "\u2007", "\u2008", "\u2009", "\u200a", "\u2028",
                                            "\u2029", "\u202f", "\u205f", "\u3000"};
    return wide.count(ch) != 0;
}

using ngram_counts = std::map<std::vector<std::string>, std::size_t>;

ngram_counts count_ngrams(const std::vector<std::string>& w, std::size_t n)
{
    ngram_counts c;
    for (std::size_t i = 0; i + n <= w.size(); ++i)
        ++c[std::vector<std::string>(w.begin() + std::ptrdiff_t(i),
                                     w.begin() + std::ptrdiff_t(i + n))];
    return c;
}

} // namespace

std::vector<std::string> tokenize_13a(const std::string& in)
{
    // sacrebleu/tokenizers/tokenizer_13a.py and tokenizer_re.py, in order.
    std::string s = replace_all(in, "<skipped>", "");
    s = replace_all(s, "-\n", "");
    s = replace_all(s, "\n", " ");
    if (s.find('&') != std::string::npos)
    {
        s = replace_all(s, "&quot;", "\"");
        s = replace_all(s, "&amp;", "&");
        s = replace_all(s, "&lt;", "<");
        s = replace_all(s, "&gt;", ">");
    }
    static const std::regex punct(R"(([\{-\~\[-\` -\&\(-\+\:-\@\/]))");
    static const std::regex period_comma_a(R"(([^0-9])([\.,]))");
    static const std::regex period_comma_b(R"(([\.,])([^0-9]))");
    static const std::regex dash(R"(([0-9])(-))");
    s = " " + s + " ";
    s = std::regex_replace(s, punct, " $1 ");
    s = std::regex_replace(s, period_comma_a, "$1 $2 ");
    s = std::regex_replace(s, period_comma_b, " $1 $2");
    s = std::regex_replace(s, dash, "$1 $2 ");
    // Python's str.split(): every Unicode whitespace code point separates.
    std::vector<std::string> out;
    std::string cur;
    for (std::size_t i = 0; i < s.size();)
    {
        std::size_t len = 1;
        const auto b = static_cast<unsigned char>(s[i]);
        if (b >= 0xF0)
            len = 4;
        else if (b >= 0xE0)
            len = 3;
        else if (b >= 0xC0)
            len = 2;
        len = std::min(len, s.size() - i);
        const std::string ch = s.substr(i, len);
        i += len;
        if (is_python_space(ch))
        {
            if (!cur.empty())
                out.push_back(cur);
            cur.clear();
        }
        else
            cur += ch;
    }
    if (!cur.empty())
        out.push_back(cur);
    return out;
}

bleu_score corpus_bleu(const std::vector<std::string>& hyps,
                       const std::vector<std::vector<std::string>>& refs)
{
    if (hyps.size() != refs.size())
        throw std::invalid_argument(fmt::format("corpus_bleu: {} hypotheses, {} reference lists",
                                                hyps.size(), refs.size()));
    std::array<std::size_t, 4> correct{}, total{};
    bleu_score r;
    std::size_t nrefs = refs.empty() ? 0 : refs[0].size();
    bool same_count = true;
    for (std::size_t i = 0; i < hyps.size(); ++i)
    {
        if (refs[i].empty())
            throw std::invalid_argument(
                fmt::format("corpus_bleu: sentence {} has no reference", i));
        same_count = same_count && refs[i].size() == nrefs;
        const auto h = tokenize_13a(hyps[i]);
        std::vector<std::vector<std::string>> rt;
        for (const auto& ref : refs[i])
            rt.push_back(tokenize_13a(ref));
        // Closest reference length, the shorter one on a tie.
        std::size_t best = rt[0].size();
        for (const auto& t : rt)
        {
            const auto d = [&](std::size_t l) {
                return l > h.size() ? l - h.size() : h.size() - l;
            };
            if (d(t.size()) < d(best) || (d(t.size()) == d(best) && t.size() < best))
                best = t.size();
        }
        r.hyp_len += h.size();
        r.ref_len += best;
        for (std::size_t n = 1; n <= 4; ++n)
        {
            ngram_counts max_ref;
            for (const auto& t : rt)
                for (const auto& [g, c] : count_ngrams(t, n))
                    max_ref[g] = std::max(max_ref[g], c);
            for (const auto& [g, c] : count_ngrams(h, n))
            {
                const auto it = max_ref.find(g);
                correct[n - 1] += std::min(c, it == max_ref.end() ? 0 : it->second);
                total[n - 1] += c;
            }
        }
    }
    // sacrebleu BLEU.compute_bleu with smooth_method 'exp', effective order off.
    double smooth = 1, log_sum = 0;
    bool zero = false;
    for (std::size_t n = 0; n < 4; ++n)
    {
        if (total[n] == 0)
        {
            zero = true;
            r.precisions[n] = 0;
            continue;
        }
        if (correct[n] == 0)
        {
            smooth *= 2;
            r.precisions[n] = 100.0 / (smooth * double(total[n]));
        }
        else
            r.precisions[n] = 100.0 * double(correct[n]) / double(total[n]);
        log_sum += std::log(r.precisions[n]);
    }
    r.ratio = r.ref_len ? double(r.hyp_len) / double(r.ref_len) : 0;
    r.bp = r.hyp_len == 0          ? 0
           : r.hyp_len < r.ref_len ? std::exp(1 - double(r.ref_len) / double(r.hyp_len))
                                   : 1;
    r.score = zero || r.hyp_len == 0 ? 0 : r.bp * std::exp(log_sum / 4);
    r.signature = fmt::format("nrefs:{}|case:mixed|eff:no|tok:13a|smooth:exp|version:xgrad-mt-0.1",
                              same_count ? std::to_string(nrefs) : std::string("var"));
    return r;
}

std::string bleu_score::format() const
{
    return fmt::format("BLEU = {:.2f} {:.1f}/{:.1f}/{:.1f}/{:.1f} (BP = {:.3f} ratio = {:.3f} "
                       "hyp_len = {} ref_len = {})",
                       score, precisions[0], precisions[1], precisions[2], precisions[3], bp, ratio,
                       hyp_len, ref_len);
}

} // namespace mt
