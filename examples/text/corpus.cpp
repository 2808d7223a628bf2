#include "examples/text/corpus.hpp"

#include <stdexcept>
#include <string_view>

#include "xgrad/autograd/io/json.hpp"
#include "xgrad/autograd/io/read_file.hpp"

namespace text
{

std::string read_file(const std::string& path)
{
    return xgrad::io::read_file(path);
}

namespace
{
// Why the UTF-8 sequence at `at` (where io::json::utf8_invalid_at stopped) is malformed.
const char* utf8_problem(std::string_view data, std::size_t at)
{
    const auto b = static_cast<unsigned char>(data[at]);
    if (b < 0xC2 || b > 0xF4) // a continuation byte, C0/C1 (always overlong), or F5..FF
        return "invalid UTF-8 (a byte that cannot start a character)";
    const std::size_t len = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    if (at + len > data.size())
        return "invalid UTF-8 (a character cut off by the end of the file)";
    return "invalid UTF-8 (a bad continuation byte, or an overlong, surrogate or out-of-range "
           "sequence)";
}
} // namespace

std::size_t find_invalid_text(const std::string& data, std::string* why)
{
    // NUL is valid UTF-8: report whichever of the two problems comes first.
    const std::size_t nul = data.find('\0'), bad = xgrad::io::json::utf8_invalid_at(data);
    if (bad < nul)
    {
        if (why)
            *why = utf8_problem(data, bad);
        return bad;
    }
    if (nul != std::string::npos && why)
        *why = "a NUL byte (binary data?)";
    return nul;
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
