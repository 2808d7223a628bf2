// The recogniser's vocabulary: the eleven words of spoken digit strings (TIDIGITS' set: "oh"
// and "zero" are both 0, as people say them), CTC label = word index + 1, label 0 the blank.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace speech
{

// Words in label order (label = index + 1).
const std::vector<std::string>& digit_words();
// Blank + the words: the output layer's width.
std::size_t digit_classes();

// "three oh one" -> labels; throws std::invalid_argument naming a word not in the vocabulary.
std::vector<std::int64_t> parse_transcript(const std::string& text);
// labels -> "three oh one"; throws std::invalid_argument for a label outside [1, classes).
std::string transcript(const std::vector<std::int64_t>& labels);
// labels -> "301".
std::string digit_string(const std::vector<std::int64_t>& labels);

} // namespace speech
