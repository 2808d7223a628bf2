#include "examples/text/corpus.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace text
{

std::string read_file(const std::string& path)
{
    // A directory opens as a stream on Linux and reads as empty: say what it is instead.
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw std::runtime_error("cannot read '" + path + "': it is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read '" + path + "'");
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw std::runtime_error("cannot read '" + path + "': read error");
    return data;
}

std::size_t find_invalid_text(const std::string& data, std::string* why)
{
    auto fail = [&](std::size_t at, const char* reason) {
        if (why)
            *why = reason;
        return at;
    };
    const auto* b = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t n = data.size();
    for (std::size_t i = 0; i < n;)
    {
        const unsigned c = b[i];
        if (c == 0)
            return fail(i, "a NUL byte (binary data?)");
        if (c < 0x80)
        {
            ++i;
            continue;
        }
        // The lead byte gives the length and the range of the first continuation byte, which
        // excludes overlong forms, UTF-16 surrogates and code points above U+10FFFF (RFC 3629).
        std::size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
        {
            len = 3;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        }
        else if (c >= 0xF0 && c <= 0xF4)
        {
            len = 4;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        }
        else
            return fail(i, "invalid UTF-8 (a byte that cannot start a character)");
        if (i + len > n)
            return fail(i, "invalid UTF-8 (a character cut off by the end of the file)");
        if (b[i + 1] < lo || b[i + 1] > hi)
            return fail(i, "invalid UTF-8 (a bad or overlong sequence)");
        for (std::size_t k = 2; k < len; ++k)
            if (b[i + k] < 0x80 || b[i + k] > 0xBF)
                return fail(i, "invalid UTF-8 (a bad continuation byte)");
        i += len;
    }
    return std::string::npos;
}

void check_text(const std::string& data, const std::string& path)
{
    std::string why;
    const std::size_t at = find_invalid_text(data, &why);
    if (at != std::string::npos)
        throw std::runtime_error("'" + path + "' is not a text file: byte offset " +
                                 std::to_string(at) + ": " + why);
}

namespace
{
// Splits a CSV document into rows of fields.
std::vector<std::vector<std::string>> parse_csv(const std::string& s)
{
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        const char c = s[i];
        if (quoted)
        {
            if (c == '"' && i + 1 < s.size() && s[i + 1] == '"')
            {
                field += '"';
                ++i;
            }
            else if (c == '"')
                quoted = false;
            else
                field += c;
            continue;
        }
        if (c == '"')
            quoted = true;
        else if (c == ',')
        {
            rows.back().push_back(field);
            field.clear();
        }
        else if (c == '\n' || c == '\r')
        {
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n')
                ++i;
            rows.back().push_back(field);
            field.clear();
            rows.emplace_back();
        }
        else
            field += c;
    }
    if (quoted)
        throw std::runtime_error("csv: a quoted field is not closed");
    if (!field.empty() || !rows.back().empty())
        rows.back().push_back(field);
    if (rows.back().empty())
        rows.pop_back();
    return rows;
}
} // namespace

std::vector<std::string> csv_column(const std::string& csv, const std::string& column)
{
    const auto rows = parse_csv(csv);
    if (rows.empty())
        throw std::runtime_error("csv: no header row");
    std::size_t col = rows[0].size();
    for (std::size_t i = 0; i < rows[0].size(); ++i)
        if (rows[0][i] == column)
            col = i;
    if (col == rows[0].size())
        throw std::runtime_error("csv: no column named '" + column + "'");
    std::vector<std::string> out;
    for (std::size_t r = 1; r < rows.size(); ++r)
        if (col < rows[r].size())
            out.push_back(rows[r][col]);
    return out;
}

std::vector<std::string> read_corpus(const std::string& path)
{
    return parse_corpus(read_file(path), path);
}

std::vector<std::string> parse_corpus(const std::string& data, const std::string& path)
{
    check_text(data, path);
    std::vector<std::string> docs;
    const bool csv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
    if (csv)
        docs = csv_column(data, "body");
    else
        docs.push_back(data);
    bool empty = true;
    for (const auto& d : docs)
        if (d.find_first_not_of(" \t\r\n") != std::string::npos)
            empty = false;
    if (empty)
        throw std::runtime_error("corpus '" + path + "' is empty");
    return docs;
}

} // namespace text
