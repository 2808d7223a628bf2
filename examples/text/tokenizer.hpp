// Word tokenisation in the spirit of the tutorial's NLTK pipeline: lowercase, split into
// sentences, then into words with punctuation as separate tokens and English contractions split
// the Penn Treebank way ("don't" -> "do" "n't", "it's" -> "it" "'s"). URLs, e-mail addresses,
// numbers such as 3.14 or 1,000, and hyphenated words stay whole.
#pragma once

#include <string>
#include <vector>

namespace text
{

// ASCII lowercase; other bytes (UTF-8) are kept as they are.
std::string lowercase(const std::string& s);

// Sentences of a document. A sentence ends at '.', '!' or '?' (runs such as "?!" or "..." stay
// together) followed by a space, a quote or the end; at a blank line; and at a colon that ends a
// line (speaker labels in plays). Common abbreviations ("mr.", "e.g.") do not end sentences.
std::vector<std::string> split_sentences(const std::string& document);

// Tokens of one sentence (already lowercased or not: case is kept).
std::vector<std::string> tokenize(const std::string& sentence);

// lowercase + split_sentences + tokenize; empty sentences are dropped.
std::vector<std::vector<std::string>> tokenize_document(const std::string& document);

} // namespace text
