// The parallel corpus of examples/translate: reading, deduplication, the split by source
// sentence, tokenisation, vocabularies and padded time-major batches.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace mt
{

struct sentence_pair
{
    std::string source, target;
};

// Reads source<TAB>target[<TAB>anything...] lines (Tatoeba's attribution column is ignored);
// with reverse, the second column is the source. Blank lines are skipped, exact duplicate pairs
// dropped (the first kept). Throws std::runtime_error naming the file and line for a missing or
// unreadable file, text that is not UTF-8 or holds NUL, a line without a tab, or an empty side;
// and for a file with no pair at all.
std::vector<sentence_pair> read_pairs(const std::string& path, bool reverse);
// The same for a file's contents (`path` names it in errors).
std::vector<sentence_pair> parse_pairs(const std::string& data, const std::string& path,
                                       bool reverse);

// Train / validation / test parts. Every pair of one source sentence lands in the same part, so a
// held-out source is never seen in training and all its translations are references.
struct corpus_split
{
    std::vector<sentence_pair> train;
    // Held-out sources with all their references, in a deterministic order.
    struct held_out
    {
        std::vector<std::string> sources;
        std::vector<std::vector<std::string>> references;
    } valid, test;
};

// The distinct source sentences are shuffled by `seed` and the first valid_count go to
// validation, the next test_count to test. Throws std::runtime_error if fewer than
// valid_count + test_count + 1 distinct sources exist.
corpus_split split_by_source(const std::vector<sentence_pair>& pairs, std::size_t valid_count,
                             std::size_t test_count, std::uint64_t seed);

// Words and punctuation: spaces separate, and every ASCII punctuation character is a token of its
// own except an apostrophe inside a word ("don't", "l'homme"). Case is kept (German nouns).
std::vector<std::string> tokenize(const std::string& sentence);
// Joins tokens with spaces, without the space before . , ! ? ; : ) and after ( (for display; BLEU
// re-tokenises anyway).
std::string detokenize(const std::vector<std::string>& tokens);

// Ids 0..3 are <pad>, <unk>, <s>, </s>; then words by decreasing count (ties alphabetical).
class vocab
{
public:
    static constexpr std::int64_t pad = 0, unk = 1, bos = 2, eos = 3;
    vocab() = default;
    explicit vocab(std::vector<std::string> words); // words[0..3] must be the specials
    // The max_size - 4 most frequent words seen at least min_count times.
    static vocab build(const std::vector<std::vector<std::string>>& sentences, std::size_t max_size,
                       std::size_t min_count);
    std::size_t size() const { return words_.size(); }
    std::int64_t id(const std::string& w) const;
    const std::string& word(std::int64_t id) const { return words_.at(std::size_t(id)); }
    std::vector<std::int64_t> encode(const std::vector<std::string>& tokens) const;
    // Tokens up to the first </s> (specials other than <unk> dropped).
    std::vector<std::string> decode(const std::vector<std::int64_t>& ids) const;
    // One word per line; load throws std::runtime_error naming the file if it is not one.
    void save(const std::string& path) const;
    static vocab load(const std::string& path);
    std::uint64_t checksum() const;

private:
    std::vector<std::string> words_;
    std::unordered_map<std::string, std::int64_t> index_;
};

// A padded batch, time-major: ids[t * batch + b]; pad past each length.
struct padded
{
    std::vector<std::int64_t> ids;
    std::vector<std::size_t> lengths;
    std::size_t steps = 0, batch = 0;
};
// Pads sequences (each non-empty) into [max length, count].
padded pad_batch(const std::vector<const std::vector<std::int64_t>*>& seqs);

} // namespace mt
