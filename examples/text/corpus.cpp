#include "examples/text/corpus.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace text
{

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read '" + path + "'");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
