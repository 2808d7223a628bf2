#include "examples/text/tokenizer.hpp"

#include <cctype>
#include <set>

namespace text
{
namespace
{

bool is_alnum(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80);
}
bool is_space(char c)
{
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

const std::set<std::string>& abbreviations()
{
    static const std::set<std::string> a{"mr",  "mrs", "ms",  "dr", "st",   "jr",  "sr", "vs",
                                         "etc", "e.g", "i.e", "no", "prof", "inc", "ltd"};
    return a;
}

// The word just before position `dot` (letters and inner dots), lowercased.
std::string word_before(const std::string& s, std::size_t dot)
{
    std::size_t b = dot;
    while (b > 0 && (is_alnum(s[b - 1]) || s[b - 1] == '.'))
        --b;
    return lowercase(s.substr(b, dot - b));
}

bool starts_with(const std::string& s, std::size_t at, const char* prefix)
{
    return s.compare(at, std::char_traits<char>::length(prefix), prefix) == 0;
}

} // namespace

std::string lowercase(const std::string& s)
{
    std::string out = s;
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::vector<std::string> split_sentences(const std::string& doc)
{
    std::vector<std::string> out;
    std::string cur;
    auto flush = [&] {
        if (cur.find_first_not_of(" \t\r\n") != std::string::npos)
            out.push_back(cur);
        cur.clear();
    };
    for (std::size_t i = 0; i < doc.size(); ++i)
    {
        const char c = doc[i];
        if (c == '\n')
        {
            // A blank line, or a line ending in ':' (a speaker label), closes the sentence.
            std::size_t j = i + 1;
            while (j < doc.size() && (doc[j] == ' ' || doc[j] == '\t' || doc[j] == '\r'))
                ++j;
            std::size_t k = cur.find_last_not_of(" \t\r");
            const bool label = k != std::string::npos && cur[k] == ':';
            cur += ' ';
            if (j >= doc.size() || doc[j] == '\n' || label)
                flush();
            continue;
        }
        cur += c;
        if (c == '.' || c == '!' || c == '?')
        {
            // Keep runs like "?!" or "..." together, and closing quotes/brackets with them.
            while (i + 1 < doc.size() &&
                   (doc[i + 1] == '.' || doc[i + 1] == '!' || doc[i + 1] == '?' ||
                    doc[i + 1] == '"' || doc[i + 1] == '\'' || doc[i + 1] == ')'))
                cur += doc[++i];
            const bool at_end = i + 1 >= doc.size() || is_space(doc[i + 1]);
            if (!at_end)
                continue; // "3.14", "e.g.x", urls
            if (c == '.' && abbreviations().count(word_before(doc, i)))
                continue;
            flush();
        }
    }
    flush();
    return out;
}

std::vector<std::string> tokenize(const std::string& s)
{
    static const char* const suffixes[] = {"n't", "'s", "'re", "'ll", "'ve", "'d", "'m"};
    std::vector<std::string> out;
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n)
    {
        if (is_space(s[i]))
        {
            ++i;
            continue;
        }
        // URLs and e-mail addresses run to the next space (minus trailing punctuation).
        if (starts_with(s, i, "http://") || starts_with(s, i, "https://") ||
            starts_with(s, i, "www."))
        {
            std::size_t j = i;
            while (j < n && !is_space(s[j]))
                ++j;
            while (j > i && std::string(".,;:!?)\"'").find(s[j - 1]) != std::string::npos)
                --j;
            out.push_back(s.substr(i, j - i));
            i = j;
            continue;
        }
        if (is_alnum(s[i]) ||
            (s[i] == '\'' && i + 1 < n && is_alnum(s[i + 1]) && (i == 0 || !is_alnum(s[i - 1]))))
        {
            // A word: letters and digits, with inner '-', '\'', '@', and inner '.' or ',' between
            // digits (3.14, 1,000) or letters followed by more (e.g. "u.s.").
            std::size_t j = i + 1;
            while (j < n)
            {
                const char c = s[j];
                const bool inner = j + 1 < n && is_alnum(s[j + 1]) && is_alnum(s[j - 1]);
                if (is_alnum(c) || (inner && (c == '-' || c == '\'' || c == '@')) ||
                    (inner && (c == '.' || c == ',') &&
                     std::isdigit(static_cast<unsigned char>(s[j - 1])) &&
                     std::isdigit(static_cast<unsigned char>(s[j + 1]))))
                    ++j;
                else
                    break;
            }
            std::string word = s.substr(i, j - i);
            // Split one contraction suffix off, Penn Treebank style.
            std::string tail;
            for (const char* suf : suffixes)
            {
                const std::size_t len = std::char_traits<char>::length(suf);
                if (word.size() > len && word.compare(word.size() - len, len, suf) == 0)
                {
                    tail = word.substr(word.size() - len);
                    word.resize(word.size() - len);
                    break;
                }
            }
            // "can't" -> "ca" "n't" is NLTK's choice; keep "can" readable instead.
            if (tail == "n't" && word == "ca")
                word = "can";
            out.push_back(word);
            if (!tail.empty())
                out.push_back(tail);
            i = j;
            continue;
        }
        // Punctuation: runs of the same mark ("...", "--", "!!") are one token.
        std::size_t j = i + 1;
        while (j < n && s[j] == s[i] && (s[i] == '.' || s[i] == '-' || s[i] == '!' || s[i] == '?'))
            ++j;
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

std::vector<std::vector<std::string>> tokenize_document(const std::string& document)
{
    std::vector<std::vector<std::string>> out;
    for (const std::string& sentence : split_sentences(lowercase(document)))
    {
        auto tokens = tokenize(sentence);
        if (!tokens.empty())
            out.push_back(std::move(tokens));
    }
    return out;
}

} // namespace text
