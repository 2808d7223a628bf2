#include "examples/metrics/conlleval.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "xgrad/autograd/io/read_file.hpp"

namespace metrics
{

namespace
{

const std::string boundary = "-X-";

// Perl's split(/$delimiter/, $line) for a literal delimiter: every occurrence separates, and
// trailing empty fields are removed (so an empty or all-delimiter line has no fields).
std::vector<std::string> perl_split(const std::string& line, const std::string& delimiter)
{
    std::vector<std::string> fields;
    std::size_t i = 0;
    while (true)
    {
        const std::size_t j = line.find(delimiter, i);
        if (j == std::string::npos)
        {
            fields.push_back(line.substr(i));
            break;
        }
        fields.push_back(line.substr(i, j - i));
        i = j + delimiter.size();
    }
    while (!fields.empty() && fields.back().empty())
        fields.pop_back();
    return fields;
}

// /^([^-]*)-(.*)$/: prefix and type split at the first hyphen; no hyphen, no type. Perl's
// `$type ? $type : ""` then turns a type "0" into no type.
void split_tag(const std::string& tag, std::string& prefix, std::string& type)
{
    const std::size_t h = tag.find('-');
    if (h == std::string::npos)
    {
        prefix = tag;
        type.clear();
    }
    else
    {
        prefix = tag.substr(0, h);
        type = tag.substr(h + 1);
    }
    if (type == "0")
        type.clear();
}

bool end_of_chunk(const std::string& prev_tag, const std::string& tag, const std::string& prev_type,
                  const std::string& type)
{
    bool end = false;
    if (prev_tag == "B" && tag == "B")
        end = true;
    if (prev_tag == "B" && tag == "O")
        end = true;
    if (prev_tag == "I" && tag == "B")
        end = true;
    if (prev_tag == "I" && tag == "O")
        end = true;
    if (prev_tag == "E" && tag == "E")
        end = true;
    if (prev_tag == "E" && tag == "I")
        end = true;
    if (prev_tag == "E" && tag == "O")
        end = true;
    if (prev_tag != "O" && prev_tag != "." && prev_type != type)
        end = true;
    // The script's 1998-12-22 correction: these chunks have length 1.
    if (prev_tag == "]" || prev_tag == "[")
        end = true;
    return end;
}

bool start_of_chunk(const std::string& prev_tag, const std::string& tag,
                    const std::string& prev_type, const std::string& type)
{
    bool start = false;
    if (prev_tag == "B" && tag == "B")
        start = true;
    if (prev_tag == "I" && tag == "B")
        start = true;
    if (prev_tag == "O" && tag == "B")
        start = true;
    if (prev_tag == "O" && tag == "I")
        start = true;
    if (prev_tag == "E" && tag == "E")
        start = true;
    if (prev_tag == "E" && tag == "I")
        start = true;
    if (prev_tag == "O" && tag == "E")
        start = true;
    if (tag != "O" && tag != "." && prev_type != type)
        start = true;
    if (tag == "[" || tag == "]")
        start = true;
    return start;
}

chunk_figures figures(std::int64_t gold, std::int64_t found, std::int64_t correct)
{
    chunk_figures f;
    f.gold = gold;
    f.found = found;
    f.correct = correct;
    // The script's formulas, in its order of operations (100*c/n, then 2*p*r/(p+r)).
    if (found > 0)
        f.precision = 100.0 * static_cast<double>(correct) / static_cast<double>(found);
    if (gold > 0)
        f.recall = 100.0 * static_cast<double>(correct) / static_cast<double>(gold);
    if (f.precision + f.recall > 0)
        f.f1 = 2 * f.precision * f.recall / (f.precision + f.recall);
    return f;
}

std::int64_t get(const std::map<std::string, std::int64_t>& m, const std::string& k)
{
    const auto it = m.find(k);
    return it == m.end() ? 0 : it->second;
}

std::string printf_string(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string printf_string(const char* format, ...)
{
    char buf[512];
    va_list args;
    va_start(args, format);
    const int n = std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    if (n < 0)
        return {};
    if (static_cast<std::size_t>(n) < sizeof buf)
        return std::string(buf, static_cast<std::size_t>(n));
    // A very long type name: print again into a buffer of the right size.
    std::string big(static_cast<std::size_t>(n) + 1, '\0');
    va_start(args, format);
    std::vsnprintf(&big[0], big.size(), format, args);
    va_end(args);
    big.pop_back();
    return big;
}

// Perl's split(/$re/, $line): the fields between matches, each match's capture groups as
// extra fields (an unmatched group is undef, which compares as ""), trailing empty fields
// removed.
std::vector<std::string> perl_split(const std::string& line, const std::regex& re,
                                    std::int64_t line_number)
{
    std::vector<std::string> fields;
    std::size_t i = 0;
    for (auto it = std::sregex_iterator(line.begin(), line.end(), re); it != std::sregex_iterator();
         ++it)
    {
        const std::smatch& m = *it;
        if (m.length(0) == 0)
            throw std::runtime_error("conlleval: line " + std::to_string(line_number) +
                                     ": the delimiter matches an empty string there");
        fields.push_back(line.substr(i, static_cast<std::size_t>(m.position(0)) - i));
        for (std::size_t g = 1; g < m.size(); ++g)
            fields.push_back(m[g].matched ? m[g].str() : std::string());
        i = static_cast<std::size_t>(m.position(0) + m.length(0));
    }
    fields.push_back(line.substr(i));
    while (!fields.empty() && fields.back().empty())
        fields.pop_back();
    return fields;
}

} // namespace

struct conlleval::delimiter_regex
{
    std::regex re;
};

conlleval::conlleval(conlleval_options options) : options_(std::move(options))
{
    if (options_.delimiter.empty())
        throw std::invalid_argument("conlleval: the delimiter must not be empty");
    if (options_.delimiter.find_first_of("\\^$.|?*+()[]{}") == std::string::npos)
        return;
    auto d = std::make_shared<delimiter_regex>();
    try
    {
        d->re = std::regex(options_.delimiter, std::regex::ECMAScript);
    }
    catch (const std::regex_error& e)
    {
        throw std::invalid_argument("conlleval: the delimiter '" + options_.delimiter +
                                    "' is not a valid regular expression: " + e.what());
    }
    if (std::regex_match(std::string(), d->re))
        throw std::invalid_argument("conlleval: the delimiter '" + options_.delimiter +
                                    "' matches the empty string");
    regex_ = std::move(d);
}

void conlleval::add_line(const std::string& text)
{
    // chomp: only "\n".
    std::string line = text;
    if (!line.empty() && line.back() == '\n')
        line.pop_back();
    if (line.find('\n') != std::string::npos)
        throw std::invalid_argument("conlleval: add_line got several lines (after line " +
                                    std::to_string(line_number_) + "); use add_text");
    ++line_number_;
    std::vector<std::string> features =
        regex_ ? perl_split(line, regex_->re, line_number_) : perl_split(line, options_.delimiter);

    const long n = static_cast<long>(features.size());
    if (columns_ < 0)
    {
        if (n > 0)
        {
            columns_ = n;
            columns_line_ = line_number_;
        }
    }
    else if (n != columns_ && n != 0)
        throw std::runtime_error("conlleval: line " + std::to_string(line_number_) + " has " +
                                 std::to_string(n) + " columns but line " +
                                 std::to_string(columns_line_) + " has " +
                                 std::to_string(columns_) + ": '" + line + "'");
    if (features.empty() || features[0] == boundary)
        features = {boundary, "O", "O"};
    if (features.size() < 2)
    {
        // The script dies here; it also fixes the column count at this first line.
        throw std::runtime_error("conlleval: line " + std::to_string(line_number_) +
                                 " has 1 column; it needs at least the gold and the predicted "
                                 "tag: '" +
                                 line + "'");
    }
    std::string& guessed_tag = features[features.size() - 1];
    std::string& correct_tag = features[features.size() - 2];
    if (options_.raw)
    {
        if (guessed_tag == options_.o_tag)
            guessed_tag = "O";
        if (correct_tag == options_.o_tag)
            correct_tag = "O";
        if (guessed_tag != "O")
            guessed_tag = "B-" + guessed_tag;
        if (correct_tag != "O")
            correct_tag = "B-" + correct_tag;
    }
    std::string guessed, guessed_type, correct, correct_type;
    split_tag(guessed_tag, guessed, guessed_type);
    split_tag(correct_tag, correct, correct_type);
    // With exactly two columns the script's $firstItem is undefined, which is never "-X-".
    const bool is_boundary = features.size() > 2 && features[0] == boundary;
    if (is_boundary)
        guessed = "O";

    const bool correct_ends =
        end_of_chunk(last_correct_, correct, last_correct_type_, correct_type);
    const bool guessed_ends =
        end_of_chunk(last_guessed_, guessed, last_guessed_type_, guessed_type);
    if (in_correct_)
    {
        if (correct_ends && guessed_ends && last_guessed_type_ == last_correct_type_)
        {
            in_correct_ = false;
            ++correct_chunks_;
            ++correct_by_type_[last_correct_type_];
        }
        else if (correct_ends != guessed_ends || guessed_type != correct_type)
            in_correct_ = false;
    }
    const bool correct_starts =
        start_of_chunk(last_correct_, correct, last_correct_type_, correct_type);
    const bool guessed_starts =
        start_of_chunk(last_guessed_, guessed, last_guessed_type_, guessed_type);
    if (correct_starts && guessed_starts && guessed_type == correct_type)
        in_correct_ = true;
    if (correct_starts)
    {
        ++found_correct_;
        ++gold_by_type_[correct_type];
    }
    if (guessed_starts)
    {
        ++found_guessed_;
        ++found_by_type_[guessed_type];
    }
    if (!is_boundary)
    {
        if (correct == guessed && guessed_type == correct_type)
            ++correct_tags_;
        ++tokens_;
    }
    last_guessed_ = guessed;
    last_correct_ = correct;
    last_guessed_type_ = guessed_type;
    last_correct_type_ = correct_type;
}

void conlleval::add_text(const std::string& text)
{
    std::size_t i = 0;
    while (i < text.size())
    {
        std::size_t j = text.find('\n', i);
        j = j == std::string::npos ? text.size() : j + 1;
        add_line(text.substr(i, j - i));
        i = j;
    }
}

conlleval_result conlleval::result() const
{
    std::int64_t correct_chunks = correct_chunks_;
    std::map<std::string, std::int64_t> correct_by_type = correct_by_type_;
    // The chunk open at the end of the input is closed, as after the script's loop.
    if (in_correct_)
    {
        ++correct_chunks;
        ++correct_by_type[last_correct_type_];
    }
    conlleval_result r;
    r.tokens = tokens_;
    r.correct_tags = correct_tags_;
    if (tokens_ > 0)
        r.accuracy = 100.0 * static_cast<double>(correct_tags_) / static_cast<double>(tokens_);
    r.overall = figures(found_correct_, found_guessed_, correct_chunks);

    // sort(keys %foundCorrect, keys %foundGuessed) with the script's duplicate filter, which
    // lets a repeated empty type through because "" is false in Perl.
    std::vector<std::string> keys;
    for (const auto& kv : gold_by_type_)
        keys.push_back(kv.first);
    for (const auto& kv : found_by_type_)
        keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    const std::string* last = nullptr;
    for (const auto& k : keys)
    {
        if (!last || last->empty() || *last != k)
            r.printed_types.push_back(k);
        last = &k;
    }
    for (const auto& k : r.printed_types)
        r.per_type[k] =
            figures(get(gold_by_type_, k), get(found_by_type_, k), get(correct_by_type, k));
    return r;
}

std::vector<std::string> conlleval_result::report_lines() const
{
    std::vector<std::string> lines;
    lines.push_back(printf_string(
        "processed %lld tokens with %lld phrases; found: %lld "
        "phrases; correct: %lld.",
        static_cast<long long>(tokens), static_cast<long long>(overall.gold),
        static_cast<long long>(overall.found), static_cast<long long>(overall.correct)));
    if (tokens > 0)
        lines.push_back(
            printf_string("accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f",
                          accuracy, overall.precision, overall.recall, overall.f1));
    for (const auto& type : printed_types)
    {
        const chunk_figures& f = per_type.at(type);
        lines.push_back(printf_string("%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %lld",
                                      type.c_str(), f.precision, f.recall, f.f1,
                                      static_cast<long long>(f.found)));
    }
    return lines;
}

std::string conlleval_result::report() const
{
    std::string s;
    for (const auto& l : report_lines())
        s += l + "\n";
    return s;
}

conlleval_result conlleval_file(const std::string& path, const conlleval_options& options)
{
    std::istringstream in(xgrad::io::read_file(path, "conlleval"));
    conlleval c(options);
    std::string line;
    try
    {
        while (std::getline(in, line))
            c.add_line(line);
    }
    catch (const std::runtime_error& e)
    {
        throw std::runtime_error(path + ": " + e.what());
    }
    if (in.bad())
        throw std::runtime_error("conlleval: error reading " + path);
    return c.result();
}

} // namespace metrics
