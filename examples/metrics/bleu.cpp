#include "examples/metrics/bleu.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <unordered_map>

#include "xgrad/autograd/io/json.hpp"

namespace metrics
{

namespace
{

#include "examples/metrics/unicode_tables.inc"

// ---- UTF-8 <-> code points. Python works on code points, so every rule below does too. ----

std::u32string decode_utf8(const std::string& s)
{
    // Validated first (overlong forms, surrogates and values past U+10FFFF are refused, as
    // Python refuses them), so the decoding below can trust every sequence.
    if (const std::size_t at = xgrad::io::json::utf8_invalid_at(s); at != std::string::npos)
        throw std::invalid_argument("bleu: invalid UTF-8 at byte " + std::to_string(at));
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();)
    {
        const auto b0 = static_cast<unsigned char>(s[i]);
        const std::size_t len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
        char32_t cp = len == 1 ? b0 : b0 & (0x7F >> len); // the lead byte's payload bits
        for (std::size_t k = 1; k < len; ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        out += cp;
        i += len;
    }
    return out;
}

using xgrad::io::json::append_utf8;

std::string encode_utf8(const std::u32string& s)
{
    std::string out;
    out.reserve(s.size());
    for (char32_t c : s)
        append_utf8(out, c);
    return out;
}

// ---- Python's character predicates ----

// Py_UNICODE_ISSPACE: what str.split() and str.rstrip() treat as whitespace.
bool is_space(char32_t c)
{
    if (c <= 0x20)
        return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

template <std::size_t N>
bool in_ranges(const char32_t (&ranges)[N][2], char32_t c)
{
    // The first range whose end is >= c.
    const auto* it = std::lower_bound(std::begin(ranges), std::end(ranges), c,
                                      [](const char32_t(&r)[2], char32_t v) { return r[1] < v; });
    return it != std::end(ranges) && (*it)[0] <= c;
}

std::u32string lower(const std::u32string& s)
{
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        const char32_t c = s[i];
        if (c < 0x80)
        {
            out += (c >= 'A' && c <= 'Z') ? c + 32 : c;
            continue;
        }
        if (c == 0x130) // the one code point whose full lowercase mapping is two long
        {
            out += U'i';
            out += char32_t(0x307);
            continue;
        }
        if (c == 0x3A3) // capital sigma: Python's Final_Sigma rule, on the original string
        {
            std::size_t j = i;
            bool final_sigma = false;
            while (j > 0 && in_ranges(case_ignorable_ranges, s[j - 1]))
                --j;
            final_sigma = j > 0 && in_ranges(cased_ranges, s[j - 1]);
            if (final_sigma)
            {
                std::size_t k = i + 1;
                while (k < s.size() && in_ranges(case_ignorable_ranges, s[k]))
                    ++k;
                final_sigma = k == s.size() || !in_ranges(cased_ranges, s[k]);
            }
            out += final_sigma ? char32_t(0x3C2) : char32_t(0x3C3);
            continue;
        }
        const auto* it =
            std::lower_bound(std::begin(lower_pairs), std::end(lower_pairs), c,
                             [](const char32_t(&p)[2], char32_t v) { return p[0] < v; });
        out += (it != std::end(lower_pairs) && (*it)[0] == c) ? (*it)[1] : c;
    }
    return out;
}

std::u32string rstrip(std::u32string s)
{
    while (!s.empty() && is_space(s.back()))
        s.pop_back();
    return s;
}

std::vector<std::u32string> split(const std::u32string& s)
{
    std::vector<std::u32string> out;
    std::size_t i = 0;
    while (i < s.size())
    {
        while (i < s.size() && is_space(s[i]))
            ++i;
        const std::size_t start = i;
        while (i < s.size() && !is_space(s[i]))
            ++i;
        if (i > start)
            out.emplace_back(s, start, i - start);
    }
    return out;
}

// ' '.join(line.split())
std::u32string collapse(const std::u32string& s)
{
    std::u32string out;
    out.reserve(s.size());
    for (const auto& t : split(s))
    {
        if (!out.empty())
            out += U' ';
        out += t;
    }
    return out;
}

// str.replace(from, to): left to right, non-overlapping.
std::u32string replace_all(const std::u32string& s, const std::u32string& from,
                           const std::u32string& to)
{
    std::u32string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (true)
    {
        const std::size_t j = s.find(from, i);
        if (j == std::u32string::npos)
            break;
        out.append(s, i, j - i);
        out += to;
        i = j + from.size();
    }
    out.append(s, i, std::u32string::npos);
    return out;
}

bool is_digit(char32_t c)
{
    return c >= '0' && c <= '9';
} // Python re's [0-9]: ASCII only

// re.sub(r'(A)(B)', r'<a><b>', line) for one-character groups: scanning left to right, a
// match consumes both characters, otherwise one character is copied.
template <class First, class Second>
std::u32string sub_pairs(const std::u32string& s, First first, Second second, bool space_before,
                         bool space_after)
{
    std::u32string out;
    out.reserve(s.size() + s.size() / 2);
    std::size_t i = 0;
    while (i < s.size())
    {
        if (i + 1 < s.size() && first(s[i]) && second(s[i + 1]))
        {
            // '\1 \2 ' puts the space between and after; ' \1 \2' before and between.
            if (space_before)
                out += U' ';
            out += s[i];
            out += U' ';
            out += s[i + 1];
            if (space_after)
                out += U' ';
            i += 2;
        }
        else
            out += s[i++];
    }
    return out;
}

// 13a's first rule: [\{-\~\[-\` -\&\(-\+\:-\@\/]
bool is_13a_split(char32_t c)
{
    return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
           (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == 0x2F;
}

std::u32string tok_13a(std::u32string line)
{
    line = replace_all(line, U"<skipped>", U"");
    line = replace_all(line, U"-\n", U"");
    line = replace_all(line, U"\n", U" ");
    if (line.find(U'&') != std::u32string::npos)
    {
        line = replace_all(line, U"&quot;", U"\"");
        line = replace_all(line, U"&amp;", U"&");
        line = replace_all(line, U"&lt;", U"<");
        line = replace_all(line, U"&gt;", U">");
    }
    // f' {line} ', then the first rule over all of it (the padding spaces included).
    line = U" " + line + U" ";
    std::u32string padded;
    padded.reserve(line.size() * 2);
    for (char32_t c : line)
    {
        if (is_13a_split(c))
        {
            padded += U' ';
            padded += c;
            padded += U' ';
        }
        else
            padded += c;
    }
    auto period_comma = [](char32_t c) {
        return c == '.' || c == ',';
    };
    auto non_digit = [](char32_t c) {
        return !is_digit(c);
    };
    line = sub_pairs(padded, non_digit, period_comma, false, true);
    line = sub_pairs(line, period_comma, non_digit, true, false);
    line = sub_pairs(
        line, is_digit, [](char32_t c) { return c == '-'; }, false, true);
    return collapse(line);
}

// sacreBLEU's TokenizerV14International: \p{N}, \p{P}, \p{S} by general category.
std::u32string tok_intl(const std::u32string& line)
{
    auto number = [](char32_t c) {
        return in_ranges(number_ranges, c);
    };
    auto non_number = [&](char32_t c) {
        return !number(c);
    };
    auto punct = [](char32_t c) {
        return in_ranges(punctuation_ranges, c);
    };
    std::u32string s = sub_pairs(line, non_number, punct, false, true);
    s = sub_pairs(s, punct, non_number, true, false);
    std::u32string out;
    out.reserve(s.size() + 8);
    for (char32_t c : s)
    {
        if (in_ranges(symbol_ranges, c))
        {
            out += U' ';
            out += c;
            out += U' ';
        }
        else
            out += c;
    }
    return collapse(out);
}

// sacreBLEU's TokenizerChar: " ".join(line)
std::u32string tok_char(const std::u32string& line)
{
    std::u32string out;
    out.reserve(line.size() * 2);
    for (std::size_t i = 0; i < line.size(); ++i)
    {
        if (i)
            out += U' ';
        out += line[i];
    }
    return out;
}

enum class tokenizer_kind
{
    t13a,
    none,
    chr,
    intl
};

tokenizer_kind tokenizer_of(const std::string& name)
{
    if (name == "13a")
        return tokenizer_kind::t13a;
    if (name == "none")
        return tokenizer_kind::none;
    if (name == "char")
        return tokenizer_kind::chr;
    if (name == "intl")
        return tokenizer_kind::intl;
    if (name == "zh" || name == "ja-mecab" || name == "ko-mecab" || name == "spm" ||
        name == "flores101" || name == "flores200")
        throw std::invalid_argument("bleu: tokenizer '" + name +
                                    "' is a sacreBLEU tokenizer that xgrad does not implement "
                                    "(it needs external dictionaries or models); use 13a, "
                                    "none, char or intl");
    throw std::invalid_argument("bleu: unknown tokenizer '" + name +
                                "' (known: 13a, none, char, intl)");
}

std::u32string apply_tokenizer(tokenizer_kind kind, const std::u32string& line)
{
    switch (kind)
    {
    case tokenizer_kind::t13a:
        return tok_13a(line);
    case tokenizer_kind::none:
        return line;
    case tokenizer_kind::chr:
        return tok_char(line);
    case tokenizer_kind::intl:
        return tok_intl(line);
    }
    return line;
}

void check_options(const bleu_options& o)
{
    tokenizer_of(o.tokenize);
    if (o.max_ngram_order < 1)
        throw std::invalid_argument("bleu: max_ngram_order must be at least 1, got " +
                                    std::to_string(o.max_ngram_order));
    if (o.smooth_value && !std::isfinite(*o.smooth_value))
        throw std::invalid_argument("bleu: smooth_value must be finite");
}

double default_smooth_value(bleu_smooth m)
{
    return m == bleu_smooth::floor ? 0.1 : m == bleu_smooth::add_k ? 1.0 : 0.0;
}

// _preprocess_segment followed by str.split(): lower, rstrip, tokenize, split.
std::vector<std::u32string> segment_tokens(const std::string& segment, const bleu_options& o,
                                           tokenizer_kind kind)
{
    std::u32string s = decode_utf8(segment);
    if (o.lowercase)
        s = lower(s);
    return split(apply_tokenizer(kind, rstrip(std::move(s))));
}

// n-grams of each order, keyed by their tokens joined with '\n' (whitespace never occurs inside
// a token, so the key is unambiguous).
using ngram_counts = std::vector<std::unordered_map<std::u32string, std::int64_t>>;

ngram_counts count_ngrams(const std::vector<std::u32string>& tokens, int max_order)
{
    ngram_counts counts(static_cast<std::size_t>(max_order));
    for (int n = 1; n <= max_order; ++n)
        for (std::size_t i = 0; i + static_cast<std::size_t>(n) <= tokens.size(); ++i)
        {
            std::u32string key = tokens[i];
            for (int k = 1; k < n; ++k)
                (key += U'\n') += tokens[i + static_cast<std::size_t>(k)];
            ++counts[static_cast<std::size_t>(n - 1)][key];
        }
    return counts;
}

std::string fmt(const char* format, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

} // namespace

bleu_smooth parse_bleu_smooth(const std::string& name)
{
    if (name == "exp")
        return bleu_smooth::exp;
    if (name == "floor")
        return bleu_smooth::floor;
    if (name == "add-k")
        return bleu_smooth::add_k;
    if (name == "none")
        return bleu_smooth::none;
    throw std::invalid_argument("bleu: unknown smoothing method '" + name +
                                "' (known: exp, floor, add-k, none)");
}

std::string bleu_smooth_name(bleu_smooth method)
{
    switch (method)
    {
    case bleu_smooth::exp:
        return "exp";
    case bleu_smooth::floor:
        return "floor";
    case bleu_smooth::add_k:
        return "add-k";
    case bleu_smooth::none:
        return "none";
    }
    return "?";
}

std::string bleu_score::format(bool with_signature, int width) const
{
    char spec[16];
    std::snprintf(spec, sizeof spec, "%%.%df", width);
    std::string s = "BLEU";
    if (with_signature && !signature.empty())
        s += "|" + signature;
    s += " = " + fmt(spec, score) + " ";
    for (std::size_t i = 0; i < precisions.size(); ++i)
        s += (i ? "/" : "") + fmt("%.1f", precisions[i]);
    s += " (BP = " + fmt("%.3f", bp) + " ratio = " + fmt("%.3f", ratio) +
         " hyp_len = " + std::to_string(stats.sys_len) +
         " ref_len = " + std::to_string(stats.ref_len) + ")";
    return s;
}

bleu_score bleu_from_stats(const bleu_stats& stats, bleu_smooth smooth,
                           std::optional<double> smooth_value, bool effective_order)
{
    if (stats.counts.empty() || stats.counts.size() != stats.totals.size())
        throw std::invalid_argument("bleu: counts and totals must have the same non-zero "
                                    "length (got " +
                                    std::to_string(stats.counts.size()) + " and " +
                                    std::to_string(stats.totals.size()) + ")");
    const double value = smooth_value ? *smooth_value : default_smooth_value(smooth);
    const std::size_t max_order = stats.counts.size();

    bleu_score r;
    r.stats = stats;
    r.ratio = stats.ref_len ? static_cast<double>(stats.sys_len) / stats.ref_len : 0.0;
    if (stats.sys_len < stats.ref_len)
        r.bp = stats.sys_len > 0
                   ? std::exp(1.0 - static_cast<double>(stats.ref_len) / stats.sys_len)
                   : 0.0;
    else
        r.bp = 1.0;
    r.precisions.assign(max_order, 0.0);

    // No match of any order: 0 whatever the smoothing (sacreBLEU #141).
    if (std::all_of(stats.counts.begin(), stats.counts.end(), [](auto c) { return c == 0; }))
        return r;

    double smooth_mteval = 1.0;
    std::size_t eff_order = max_order;
    for (std::size_t n = 1; n <= max_order; ++n)
    {
        // Python's counts become floats once add-k adds a float; doubles hold both exactly.
        double correct = static_cast<double>(stats.counts[n - 1]);
        double total = static_cast<double>(stats.totals[n - 1]);
        if (smooth == bleu_smooth::add_k && n > 1)
        {
            correct += value;
            total += value;
        }
        if (total == 0)
            break;
        if (effective_order)
            eff_order = n;
        if (correct == 0)
        {
            if (smooth == bleu_smooth::exp)
            {
                smooth_mteval *= 2;
                r.precisions[n - 1] = 100. / (smooth_mteval * total);
            }
            else if (smooth == bleu_smooth::floor)
                r.precisions[n - 1] = 100. * value / total;
        }
        else
            r.precisions[n - 1] = 100. * correct / total;
    }
    // Plain left-to-right summation, as Python 3.11's sum() (3.12 compensates), and
    // sacreBLEU's my_log: log(0) is -9999999999.
    double sum = 0;
    for (std::size_t n = 0; n < eff_order; ++n)
        sum += r.precisions[n] == 0.0 ? -9999999999.0 : std::log(r.precisions[n]);
    r.score = r.bp * std::exp(sum / static_cast<double>(eff_order));
    return r;
}

std::string tokenize(const std::string& line, const std::string& tokenizer)
{
    const tokenizer_kind kind = tokenizer_of(tokenizer);
    return encode_utf8(apply_tokenizer(kind, decode_utf8(line)));
}

std::string tokenize_13a(const std::string& line)
{
    return tokenize(line, "13a");
}

std::string python_lower(const std::string& line)
{
    return encode_utf8(lower(decode_utf8(line)));
}

std::vector<std::string> python_split(const std::string& line)
{
    std::vector<std::string> out;
    for (const auto& t : split(decode_utf8(line)))
        out.push_back(encode_utf8(t));
    return out;
}

std::string bleu_signature(const bleu_options& o, int nrefs)
{
    check_options(o);
    std::string smooth = bleu_smooth_name(o.smooth);
    if (o.smooth == bleu_smooth::floor || o.smooth == bleu_smooth::add_k)
        smooth += "[" +
                  fmt("%.2f", o.smooth_value ? *o.smooth_value : default_smooth_value(o.smooth)) +
                  "]";
    std::string s = "nrefs:" + (nrefs < 0 ? std::string("var") : std::to_string(nrefs));
    s += std::string("|case:") + (o.lowercase ? "lc" : "mixed");
    s += std::string("|eff:") + (o.effective_order ? "yes" : "no");
    s += "|tok:" + o.tokenize + "|smooth:" + smooth;
    if (o.max_ngram_order != 4)
        s += "|order:" + std::to_string(o.max_ngram_order);
    return s + "|version:xgrad-1.0";
}

bleu_accumulator::bleu_accumulator(bleu_options options) : options_(std::move(options))
{
    check_options(options_);
    stats_.counts.assign(static_cast<std::size_t>(options_.max_ngram_order), 0);
    stats_.totals.assign(static_cast<std::size_t>(options_.max_ngram_order), 0);
}

void bleu_accumulator::add(const std::string& hypothesis,
                           const std::vector<std::string>& references)
{
    if (references.empty())
        throw std::invalid_argument("bleu: segment " + std::to_string(segments_ + 1) +
                                    " has no reference");
    const tokenizer_kind kind = tokenizer_of(options_.tokenize);
    const int max_order = options_.max_ngram_order;

    // _extract_reference_info: the maximum count of each n-gram over the references.
    ngram_counts ref_ngrams(static_cast<std::size_t>(max_order));
    std::vector<std::int64_t> ref_lens;
    // Name the segment and the string in a UTF-8 error: the bare byte offset does not say
    // which of thousands of lines is broken.
    const std::string where = "segment " + std::to_string(segments_ + 1);
    auto tokens_of = [&](const std::string& text, const std::string& what) {
        try
        {
            return segment_tokens(text, options_, kind);
        }
        catch (const std::invalid_argument& e)
        {
            throw std::invalid_argument(std::string(e.what()) + " (" + where + ", " + what + ")");
        }
    };
    for (std::size_t k = 0; k < references.size(); ++k)
    {
        const auto tokens = tokens_of(references[k], "reference " + std::to_string(k + 1));
        ref_lens.push_back(static_cast<std::int64_t>(tokens.size()));
        const ngram_counts c = count_ngrams(tokens, max_order);
        for (std::size_t n = 0; n < c.size(); ++n)
            for (const auto& [gram, count] : c[n])
            {
                auto& m = ref_ngrams[n][gram];
                m = std::max(m, count);
            }
    }
    const auto hyp_tokens = tokens_of(hypothesis, "hypothesis");
    const auto hyp_len = static_cast<std::int64_t>(hyp_tokens.size());

    // _get_closest_ref_len: the closest length, the shorter one on a tie.
    std::int64_t closest_diff = -1, closest_len = -1;
    for (const std::int64_t len : ref_lens)
    {
        const std::int64_t diff = std::abs(hyp_len - len);
        if (closest_diff == -1 || diff < closest_diff)
        {
            closest_diff = diff;
            closest_len = len;
        }
        else if (diff == closest_diff && len < closest_len)
            closest_len = len;
    }

    const ngram_counts hyp_ngrams = count_ngrams(hyp_tokens, max_order);
    for (std::size_t n = 0; n < hyp_ngrams.size(); ++n)
        for (const auto& [gram, count] : hyp_ngrams[n])
        {
            stats_.totals[n] += count;
            const auto it = ref_ngrams[n].find(gram);
            if (it != ref_ngrams[n].end())
                stats_.counts[n] += std::min(count, it->second);
        }
    stats_.sys_len += hyp_len;
    stats_.ref_len += closest_len;
    nrefs_seen_.insert(references.size());
    ++segments_;
}

bleu_score bleu_accumulator::score() const
{
    bleu_score r =
        bleu_from_stats(stats_, options_.smooth, options_.smooth_value, options_.effective_order);
    if (segments_)
        r.signature = signature();
    return r;
}

std::string bleu_accumulator::signature() const
{
    if (!segments_)
        throw std::runtime_error("bleu: the signature needs at least one segment (the number "
                                 "of references is not known yet)");
    const int nrefs = nrefs_seen_.size() == 1 ? static_cast<int>(*nrefs_seen_.begin()) : -1;
    return bleu_signature(options_, nrefs);
}

bleu_score
corpus_bleu_with_missing(const std::vector<std::string>& hypotheses,
                         const std::vector<std::vector<std::optional<std::string>>>& references,
                         const bleu_options& options)
{
    if (hypotheses.empty())
        throw std::invalid_argument("bleu: no hypotheses");
    if (references.empty())
        throw std::invalid_argument("bleu: no reference streams");
    for (std::size_t k = 0; k < references.size(); ++k)
        if (references[k].size() != hypotheses.size())
            throw std::invalid_argument("bleu: reference stream " + std::to_string(k + 1) +
                                        " has " + std::to_string(references[k].size()) +
                                        " segments but there are " +
                                        std::to_string(hypotheses.size()) + " hypotheses");
    bleu_accumulator acc(options);
    std::vector<std::string> refs;
    for (std::size_t i = 0; i < hypotheses.size(); ++i)
    {
        refs.clear();
        for (const auto& stream : references)
            if (stream[i])
                refs.push_back(*stream[i]);
        if (refs.empty())
            throw std::invalid_argument("bleu: hypothesis " + std::to_string(i + 1) +
                                        " has no reference (every stream has None there)");
        acc.add(hypotheses[i], refs);
    }
    return acc.score();
}

bleu_score corpus_bleu(const std::vector<std::string>& hypotheses,
                       const std::vector<std::vector<std::string>>& references,
                       const bleu_options& options)
{
    std::vector<std::vector<std::optional<std::string>>> streams;
    streams.reserve(references.size());
    for (const auto& s : references)
        streams.emplace_back(s.begin(), s.end());
    return corpus_bleu_with_missing(hypotheses, streams, options);
}

} // namespace metrics
