// Readers of tagged corpora: CoNLL-U (Universal Dependencies) and the two-column CoNLL/WNUT
// format (`token TAG` per line). Both give sentences of (word, tag) pairs; the file readers read
// the bytes and call the parse functions, which tests and the fuzz target use directly.
//
// Errors are std::runtime_error "SOURCE:LINE: what is wrong" (SOURCE is the file name), so a
// user can open the file at the line. A text that is not UTF-8 or holds a NUL byte is refused
// with its byte offset (text::check_text).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tagger
{

struct sentence
{
    std::vector<std::string> words;
    std::vector<std::string> tags; // one per word
    std::size_t line = 0;          // line number (from 1) of the first word, for messages
};

enum class conllu_column
{
    upos, // column 4, the universal part-of-speech tag
    xpos  // column 5, the language-specific tag (PTB for English)
};

// CoNLL-U: 10 tab-separated columns per word line, `#` comment lines, an empty (or
// whitespace-only) line after each sentence. Multiword-token lines (ID "1-2") and empty nodes
// (ID "8.1") are skipped: the tagged words are the ones with an integer ID. A "\r" before the
// "\n" is removed. Refused, naming the line: a word line without exactly 10 columns, an ID that
// is not an integer, range or decimal, an empty FORM, an empty or "_" tag in the chosen column
// (nothing to learn), or a tag holding whitespace.
std::vector<sentence> parse_conllu(const std::string& text, conllu_column column,
                                   const std::string& source);

// Two columns: a token and its tag separated by whitespace (tabs or spaces) per line; any
// whitespace-only line ends a sentence (WNUT17's train file separates some sentences with a
// lone tab). "-DOCSTART-" lines (CoNLL-2003) are document marks, skipped. Refused, naming the
// line: a line without exactly two fields (which also catches an empty token: "\tO").
std::vector<sentence> parse_two_column(const std::string& text, const std::string& source);

// read the file, then parse_conllu / parse_two_column; std::runtime_error naming the path if it
// cannot be read, is not text, or holds no sentence.
std::vector<sentence> read_conllu(const std::string& path, conllu_column column);
std::vector<sentence> read_two_column(const std::string& path);

// "conllu" when the path ends in .conllu, otherwise "conll" (two columns).
std::string guess_format(const std::string& path);

} // namespace tagger
