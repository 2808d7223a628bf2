// Reading corpora: a UTF-8 text file, or one column of a CSV file (the tutorial's Reddit comments
// come as a CSV with a "body" column whose quoted fields may span lines).
#pragma once

#include <string>
#include <vector>

namespace text
{

// The whole file. Throws std::runtime_error naming the path if it cannot be read.
std::string read_file(const std::string& path);

// The values of column `column` (by header name) of an RFC 4180 CSV document: comma-separated,
// fields optionally quoted with "", "" inside quotes is a quote, quoted fields may hold commas
// and newlines. Throws std::runtime_error when the column is missing or a quote is unclosed.
std::vector<std::string> csv_column(const std::string& csv, const std::string& column);

// A corpus as documents: the CSV column "body" when the path ends in .csv, otherwise the whole
// file as one document. Throws std::runtime_error for a missing or empty corpus.
std::vector<std::string> read_corpus(const std::string& path);

// What read_corpus does with the file's contents `data` once read (`path` decides CSV or text and
// names the corpus in errors): for tests and the fuzz targets, which hold the bytes.
std::vector<std::string> parse_corpus(const std::string& data, const std::string& path);

} // namespace text
