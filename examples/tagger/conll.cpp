#include "examples/tagger/conll.hpp"

#include <stdexcept>

#include "examples/text/corpus.hpp"

namespace tagger
{
namespace
{

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool blank(const std::string& line)
{
    for (char c : line)
        if (!is_space(c))
            return false;
    return true;
}

bool all_digits(const std::string& s, std::size_t from, std::size_t to)
{
    if (from >= to)
        return false;
    for (std::size_t i = from; i < to; ++i)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

[[noreturn]] void fail(const std::string& source, std::size_t line, const std::string& what)
{
    throw std::runtime_error(source + ":" + std::to_string(line) + ": " + what);
}

// Calls f(line_number, line) for every line, "\r\n" or "\n" ended (a last line without "\n"
// counts).
template <class F>
void for_each_line(const std::string& text, F f)
{
    std::size_t start = 0, number = 0;
    while (start < text.size())
    {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::size_t stop = end;
        if (stop > start && text[stop - 1] == '\r')
            --stop;
        f(++number, text.substr(start, stop - start));
        start = end + 1;
    }
}

std::vector<std::string> split_tabs(const std::string& line)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true)
    {
        const std::size_t tab = line.find('\t', start);
        out.push_back(
            line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos)
            return out;
        start = tab + 1;
    }
}

std::vector<std::string> split_space(const std::string& line)
{
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < line.size())
    {
        while (i < line.size() && is_space(line[i]))
            ++i;
        const std::size_t start = i;
        while (i < line.size() && !is_space(line[i]))
            ++i;
        if (i > start)
            out.push_back(line.substr(start, i - start));
    }
    return out;
}

void end_sentence(std::vector<sentence>& out, sentence& s)
{
    if (!s.words.empty())
        out.push_back(std::move(s));
    s = sentence{};
}

} // namespace

std::vector<sentence> parse_conllu(const std::string& text, conllu_column column,
                                   const std::string& source)
{
    text::check_text(text, source);
    const std::size_t col = column == conllu_column::upos ? 3 : 4;
    const char* col_name = column == conllu_column::upos ? "UPOS" : "XPOS";
    std::vector<sentence> out;
    sentence s;
    for_each_line(text, [&](std::size_t n, const std::string& line) {
        if (blank(line))
            return end_sentence(out, s);
        if (line[0] == '#')
            return;
        const std::vector<std::string> f = split_tabs(line);
        if (f.size() != 10)
            fail(source, n,
                 "a CoNLL-U word line has 10 tab-separated columns, this one " +
                     std::to_string(f.size()));
        const std::string& id = f[0];
        const std::size_t mark = id.find_first_of("-.");
        if (mark != std::string::npos)
        {
            if (all_digits(id, 0, mark) && all_digits(id, mark + 1, id.size()))
                return; // a multiword token "1-2" or an empty node "8.1": not a tagged word
            fail(source, n, "ID '" + id + "' is not a number, a range N-M or a decimal N.M");
        }
        if (!all_digits(id, 0, id.size()))
            fail(source, n, "ID '" + id + "' is not a number, a range N-M or a decimal N.M");
        if (f[1].empty())
            fail(source, n, "empty token (FORM column)");
        const std::string& tag = f[col];
        if (tag.empty() || tag == "_")
            fail(source, n,
                 std::string("no ") + col_name + " tag (column " + std::to_string(col + 1) +
                     " is '" + tag + "')");
        for (char c : tag)
            if (is_space(c))
                fail(source, n, std::string(col_name) + " tag '" + tag + "' holds whitespace");
        if (s.words.empty())
            s.line = n;
        s.words.push_back(f[1]);
        s.tags.push_back(tag);
    });
    end_sentence(out, s);
    return out;
}

std::vector<sentence> parse_two_column(const std::string& text, const std::string& source)
{
    text::check_text(text, source);
    std::vector<sentence> out;
    sentence s;
    for_each_line(text, [&](std::size_t n, const std::string& line) {
        const std::vector<std::string> f = split_space(line);
        if (f.empty())
            return end_sentence(out, s);
        if (f.size() != 2)
        {
            if (f[0] == "-DOCSTART-")
                return end_sentence(out, s);
            fail(source, n,
                 "a line has two whitespace-separated columns (token, tag), this one " +
                     std::to_string(f.size()));
        }
        if (f[0] == "-DOCSTART-")
            return end_sentence(out, s);
        // A token line starting with whitespace lost its token: "\tO" reads as one field above,
        // but "\tB-x y" would read a tag as the token.
        if (is_space(line[0]))
            fail(source, n, "empty token (the line starts with whitespace)");
        if (s.words.empty())
            s.line = n;
        s.words.push_back(f[0]);
        s.tags.push_back(f[1]);
    });
    end_sentence(out, s);
    return out;
}

namespace
{

std::vector<sentence> non_empty(std::vector<sentence> s, const std::string& path)
{
    if (s.empty())
        throw std::runtime_error("'" + path + "' holds no sentence");
    return s;
}

} // namespace

std::vector<sentence> read_conllu(const std::string& path, conllu_column column)
{
    return non_empty(parse_conllu(text::read_file(path), column, path), path);
}

std::vector<sentence> read_two_column(const std::string& path)
{
    return non_empty(parse_two_column(text::read_file(path), path), path);
}

std::string guess_format(const std::string& path)
{
    const std::string ext = ".conllu";
    return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0
               ? "conllu"
               : "conll";
}

} // namespace tagger
