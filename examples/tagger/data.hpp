// The tagger's inputs: word and tag vocabularies built from the training sentences, and batches
// of sentences as the model reads them (time-major word ids, every distinct word of the batch as
// a character sequence, lengths). No tensors here: this is bookkeeping the model consumes.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "examples/tagger/conll.hpp"
#include "xgrad/autograd/random.hpp"

namespace tagger
{

// Word ids 0 and 1 are padding and the unknown word.
constexpr std::int64_t pad_id = 0, unk_id = 1;

// What the word embedding looks up: ASCII lowercased, every digit as '0' (numbers share an
// embedding); the character features still see the word as written.
std::string normalize_word(const std::string& word);

class vocabulary
{
public:
    // Normalized training words seen at least min_count times, most frequent first (ties by
    // byte order, so the ids do not depend on hash order), after "<pad>" and "<unk>".
    static vocabulary build(const std::vector<sentence>& train, std::size_t min_count);
    // From a saved list (the model's metadata): "<pad>", "<unk>", then the words. Throws
    // std::runtime_error naming `source` for a duplicate or a list without the two specials.
    static vocabulary from_list(const std::vector<std::string>& words, const std::string& source);

    std::int64_t id(const std::string& word) const; // unk_id for an unknown word
    std::size_t count(std::int64_t id) const { return counts_[std::size_t(id)]; }
    std::size_t size() const { return words_.size(); }
    const std::vector<std::string>& words() const { return words_; }

private:
    std::vector<std::string> words_;
    std::vector<std::size_t> counts_; // training counts (0 for the specials and loaded lists)
    std::unordered_map<std::string, std::int64_t> index_;
};

class tag_set
{
public:
    // The distinct tags of the training sentences, byte-sorted.
    static tag_set build(const std::vector<sentence>& train);
    // Throws std::runtime_error naming `source` for an empty list or a duplicate.
    static tag_set from_list(const std::vector<std::string>& tags, const std::string& source);
    std::int64_t id(const std::string& tag) const; // -1 when absent
    const std::string& name(std::int64_t id) const { return tags_[std::size_t(id)]; }
    std::size_t size() const { return tags_.size(); }
    const std::vector<std::string>& tags() const { return tags_; }
    // Every tag is O, B-TYPE or I-TYPE (and at least one is not O): an NER tag set, scored by
    // chunks and constrained in a CRF.
    bool is_bio() const;
    // The BIO moves that cannot happen: O -> I-X, B-X/I-X -> I-Y with Y != X (as from, to ids),
    // and the tags a sentence cannot start with (I-X).
    std::vector<std::pair<std::size_t, std::size_t>> forbidden_bio_transitions() const;
    std::vector<std::size_t> forbidden_bio_starts() const;

private:
    std::vector<std::string> tags_;
    std::unordered_map<std::string, std::int64_t> index_;
};

struct batch
{
    std::size_t steps = 0, size = 0;    // T (longest sentence) and B (sentences)
    std::vector<std::size_t> lengths;   // B
    std::vector<std::size_t> sentences; // B indices into the data set
    std::vector<std::int64_t>
        words;                      // [T * B] time-major normalized word ids (pad_id past a length)
    std::vector<std::int64_t> tags; // [T * B] tag ids (0 past a length or for an unknown tag)
    std::vector<std::uint8_t> mask; // [T * B] 1 on real words
    std::size_t tokens = 0;         // real words
    // Characters: the batch's distinct written words (W of them), as a time-major byte batch
    // [char_steps * W] of byte + 1 (0 is padding), and each real word's index among them.
    std::size_t distinct = 0, char_steps = 0;
    std::vector<std::int64_t> chars;
    std::vector<std::size_t> char_lengths; // W values in 1..char_steps
    std::vector<std::int64_t> token_word;  // [T * B] into 0..W-1 (0 past a length)
};

// A batch of data[which...]. Words longer than max_chars bytes keep their first max_chars bytes
// for the character features. With `unk` (training), a word of training count c becomes
// unk_id with probability alpha / (c + alpha) (word dropout), so the unknown-word embedding is
// trained on the kind of words that are unknown at test time: rare ones.
batch make_batch(const std::vector<sentence>& data, const std::vector<std::size_t>& which,
                 const vocabulary& words, const tag_set& tags, std::size_t max_chars,
                 xgrad::generator* unk = nullptr, double alpha = 0.25);

// Sentence indices grouped into batches of up to batch_size sentences of similar lengths
// (sorted by length, stable), so little padding is computed. The order of the batches is the
// caller's to shuffle.
std::vector<std::vector<std::size_t>> length_batches(const std::vector<sentence>& data,
                                                     std::size_t batch_size);

} // namespace tagger
