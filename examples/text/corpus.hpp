// Reading corpora: a UTF-8 text file, or one column of a CSV file (the tutorial's Reddit comments
// come as a CSV with a "body" column whose quoted fields may span lines).
#pragma once

#include <string>
#include <vector>

namespace text
{

// The whole file (io::read_file). Throws xgrad::io_error "cannot open 'PATH': REASON" if it cannot
// be read (missing, unreadable, a directory).
std::string read_file(const std::string& path);

// Where `data` stops being text: the byte offset of the first NUL byte or invalid UTF-8 sequence
// (overlong forms, surrogates, code points past U+10FFFF and truncated sequences are invalid),
// or npos if it is all valid UTF-8 without NUL. `why` (if given) receives the reason.
std::size_t find_invalid_text(const std::string& data, std::string* why = nullptr);

// Throws std::runtime_error "'PATH' is not a text file: byte offset N: WHY" unless `data` is
// valid UTF-8 without NUL bytes (a binary file given as a corpus).
void check_text(const std::string& data, const std::string& path);

// The values of column `column` (by header name) of an RFC 4180 CSV document: comma-separated,
// fields optionally quoted with "", "" inside quotes is a quote, quoted fields may hold commas
// and newlines. Throws std::runtime_error when the column is missing or a quote is unclosed.
std::vector<std::string> csv_column(const std::string& csv, const std::string& column);

// A corpus as documents: the CSV column "body" when the path ends in .csv, otherwise the whole
// file as one document. Throws std::runtime_error for a missing, empty or binary corpus (see
// check_text).
std::vector<std::string> read_corpus(const std::string& path);

// What read_corpus does with the file's contents `data` once read (`path` decides CSV or text and
// names the corpus in errors): for tests and the fuzz targets, which hold the bytes.
std::vector<std::string> parse_corpus(const std::string& data, const std::string& path);

} // namespace text
