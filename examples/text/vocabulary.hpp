// Vocabularies: words (the tutorial's: the V-1 most frequent tokens plus UNKNOWN_TOKEN, with
// every sentence wrapped in SENTENCE_START ... SENTENCE_END) and characters.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace text
{

inline const std::string sentence_start = "SENTENCE_START";
inline const std::string sentence_end = "SENTENCE_END";
inline const std::string unknown_token = "UNKNOWN_TOKEN";

class vocabulary
{
public:
    vocabulary() = default;
    explicit vocabulary(std::vector<std::string> words);

    // The `size - 1` most frequent tokens of the sentences (each counted with its START/END
    // markers; ties broken alphabetically, so the result is deterministic) plus UNKNOWN_TOKEN.
    // Throws std::runtime_error when the sentences hold fewer than size - 1 distinct tokens
    // ("vocabulary larger than the corpus") or size < 4.
    static vocabulary build(const std::vector<std::vector<std::string>>& sentences,
                            std::size_t size);

    std::size_t size() const { return words_.size(); }
    // The id of a token, or of UNKNOWN_TOKEN when it is not in the vocabulary.
    std::int64_t id(const std::string& token) const;
    bool contains(const std::string& token) const { return index_.count(token) != 0; }
    const std::string& word(std::int64_t id) const
    {
        return words_.at(static_cast<std::size_t>(id));
    }
    std::int64_t start_id() const { return id(sentence_start); }
    std::int64_t end_id() const { return id(sentence_end); }
    std::int64_t unknown_id() const { return id(unknown_token); }

    // SENTENCE_START, the tokens, SENTENCE_END as ids.
    std::vector<std::int64_t> encode(const std::vector<std::string>& sentence) const;

    // One token per line, written atomically; load throws std::runtime_error when the file is
    // missing, empty, or lacks the three special tokens.
    void save(const std::string& path) const;
    static vocabulary load(const std::string& path);
    // load's reading of a file's contents; `path` names it in errors.
    static vocabulary parse(const std::string& contents, const std::string& path);

    const std::vector<std::string>& words() const { return words_; }

private:
    std::vector<std::string> words_;
    std::unordered_map<std::string, std::int64_t> index_;
};

// Characters (bytes) of a text, sorted; ids index into chars().
class char_vocabulary
{
public:
    char_vocabulary() = default;
    explicit char_vocabulary(const std::string& text);
    std::size_t size() const { return chars_.size(); }
    // Throws std::runtime_error for a character outside the vocabulary.
    std::int64_t id(char c) const;
    char character(std::int64_t id) const { return chars_.at(static_cast<std::size_t>(id)); }
    std::vector<std::int64_t> encode(const std::string& text) const;
    const std::string& chars() const { return chars_; }

private:
    std::string chars_;
    std::int64_t index_[256];
};

} // namespace text
