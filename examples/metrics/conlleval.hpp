// Chunk precision, recall and F1 exactly as the CoNLL-2000 Perl script `conlleval` (Erik Tjong
// Kim Sang, version 2004-01-26) computes and prints them, with its options -d (delimiter),
// -r (raw tags) and -o (outside tag, used with -r as in the script).
//
// Rules kept from the script, including the surprising ones:
// - A line is split on every occurrence of the delimiter (default one space); trailing empty
//   fields are dropped, other empty fields count (two spaces make an extra column).
// - The gold tag is the second-to-last column, the predicted tag the last. A tag is split at its
//   FIRST hyphen into prefix and type ("B-WORK-OF-ART" is B + WORK-OF-ART); a type "0" counts as
//   no type (Perl truthiness).
// - An empty line, or one whose first column is "-X-", is a sentence boundary: both tags O, not
//   a token. Any other line is a token, including "-DOCSTART-" lines (counted with their tags).
// - Chunk starts and ends follow the script's startOfChunk/endOfChunk (B/I/O, E, and the "[",
//   "]" and "." tags); an I- after O or after another type starts a chunk.
// - Only "\n" is removed from a line's end: a "\r" of CRLF input stays in the last tag, as in
//   Perl.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace metrics
{

struct conlleval_options
{
    // The field separator, a regular expression as in the script (split(/$delimiter/)). One
    // without regex metacharacters (space, a real tab, ";") is split on literally; otherwise it
    // is compiled as an ECMAScript std::regex, which agrees with Perl on the usual delimiters
    // ("\\t", "\\s+", "[ \\t]", "\\|"). Capture groups add fields, as in Perl. A delimiter
    // that matches the empty string (Perl would split into characters) is refused.
    std::string delimiter = " ";
    bool raw = false;        // -r: tags have no B-/I- prefix; every non-O tag is a 1-word chunk
    std::string o_tag = "O"; // -o: the outside tag in raw mode (the script ignores it otherwise)
};

struct chunk_figures
{
    std::int64_t gold = 0;    // chunks in the gold column
    std::int64_t found = 0;   // chunks in the predicted column
    std::int64_t correct = 0; // predicted chunks with the gold type and both boundaries
    double precision = 0;     // percent; 0 when nothing was found
    double recall = 0;        // percent; 0 when there is no gold chunk
    double f1 = 0;            // percent; 0 when precision + recall is 0
};

struct conlleval_result
{
    std::int64_t tokens = 0;       // lines that are not sentence boundaries
    std::int64_t correct_tags = 0; // tokens whose whole predicted tag equals the gold tag
    double accuracy = 0;           // percent of tokens (0 with no tokens)
    chunk_figures overall;
    std::map<std::string, chunk_figures> per_type; // byte-wise sorted, as Perl's sort
    // The types in the order the script prints them. It is per_type's keys, except that the
    // script's duplicate filter treats the empty type as "no previous type", so an untyped
    // chunk ("B" without "-TYPE") found in both columns is printed twice, as the script does.
    std::vector<std::string> printed_types;

    // The report, one string per line without line ends, exactly as the script prints it:
    // "processed N tokens with G phrases; found: F phrases; correct: C.", then (when there are
    // tokens) the accuracy/precision/recall/FB1 line, then one line per type.
    std::vector<std::string> report_lines() const;
    // report_lines() joined with "\n", with a final "\n".
    std::string report() const;
};

// Feeds lines one at a time; the figures can be read at any point.
class conlleval
{
public:
    // Throws std::invalid_argument for an empty, malformed or empty-matching delimiter.
    explicit conlleval(conlleval_options options = {});

    // One input line, with or without its final "\n". Throws std::runtime_error naming the line
    // number when its number of columns differs from the first non-empty line's (the script
    // exits there) or when a non-boundary line has fewer than two columns; the line is then
    // not counted and later lines can still be fed. A "\n" inside the line is
    // std::invalid_argument (several lines: use add_text).
    void add_line(const std::string& line);
    // Every line of a text (split at "\n"; a final line without "\n" counts, as in Perl).
    void add_text(const std::string& text);

    std::int64_t lines() const { return line_number_; }
    // The figures for the lines so far; a chunk still open at the last line is closed.
    conlleval_result result() const;

private:
    struct delimiter_regex; // std::regex, kept out of this header
    conlleval_options options_;
    std::shared_ptr<const delimiter_regex> regex_; // null for a literal delimiter
    std::int64_t line_number_ = 0;
    long columns_ = -1; // the script's $nbrOfFeatures + 1; -1 until a non-empty line is seen
    std::int64_t columns_line_ = 0;
    bool in_correct_ = false;
    std::string last_correct_ = "O", last_guessed_ = "O";
    std::string last_correct_type_, last_guessed_type_;
    std::int64_t correct_chunks_ = 0, found_correct_ = 0, found_guessed_ = 0;
    std::int64_t correct_tags_ = 0, tokens_ = 0;
    std::map<std::string, std::int64_t> correct_by_type_, gold_by_type_, found_by_type_;
};

// Reads a whole file. Throws xgrad::io_error "conlleval: cannot open 'PATH': REASON" when it
// cannot be read, and std::runtime_error naming the file and line number for a malformed line.
conlleval_result conlleval_file(const std::string& path, const conlleval_options& options = {});

} // namespace metrics
