#include "examples/text/vocabulary.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "examples/text/corpus.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"

namespace text
{

vocabulary::vocabulary(std::vector<std::string> words) : words_(std::move(words))
{
    for (std::size_t i = 0; i < words_.size(); ++i)
        index_.emplace(words_[i], static_cast<std::int64_t>(i));
    for (const std::string* w : {&sentence_start, &sentence_end, &unknown_token})
        if (!index_.count(*w))
            throw std::runtime_error("vocabulary: lacks the special token " + *w);
}

vocabulary vocabulary::build(const std::vector<std::vector<std::string>>& sentences,
                             std::size_t size)
{
    if (size < 4)
        throw std::runtime_error("vocabulary: size " + std::to_string(size) +
                                 " is too small (at least 4: START, END, UNKNOWN and a word)");
    std::unordered_map<std::string, std::size_t> counts;
    for (const auto& s : sentences)
    {
        for (const auto& t : s)
            ++counts[t];
        ++counts[sentence_start];
        ++counts[sentence_end];
    }
    if (counts.size() < size - 1)
        throw std::runtime_error(
            "vocabulary: " + std::to_string(size) + " words requested but the corpus has only " +
            std::to_string(counts.size()) + " distinct tokens (choose --vocab " +
            std::to_string(counts.size() + 1) + " or less)");
    std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::vector<std::string> words;
    for (std::size_t i = 0; i < size - 1; ++i)
        words.push_back(sorted[i].first);
    words.push_back(unknown_token);
    return vocabulary(std::move(words));
}

std::int64_t vocabulary::id(const std::string& token) const
{
    auto it = index_.find(token);
    return it != index_.end() ? it->second : index_.at(unknown_token);
}

std::vector<std::int64_t> vocabulary::encode(const std::vector<std::string>& sentence) const
{
    std::vector<std::int64_t> ids{start_id()};
    for (const auto& t : sentence)
        ids.push_back(id(t));
    ids.push_back(end_id());
    return ids;
}

void vocabulary::save(const std::string& path) const
{
    xgrad::io::write_file_atomically(path, [&](std::ostream& out) {
        for (const auto& w : words_)
            out << w << '\n';
    });
}

vocabulary vocabulary::load(const std::string& path)
{
    return parse(read_file(path), path);
}

vocabulary vocabulary::parse(const std::string& contents, const std::string& path)
{
    check_text(contents, path);
    std::istringstream in(contents);
    std::vector<std::string> words;
    for (std::string line; std::getline(in, line);)
        words.push_back(line);
    if (words.empty())
        throw std::runtime_error("vocabulary file '" + path + "' is empty");
    try
    {
        return vocabulary(std::move(words));
    }
    catch (const std::exception& e)
    {
        throw std::runtime_error("'" + path + "': " + e.what());
    }
}

char_vocabulary::char_vocabulary(const std::string& text)
{
    bool seen[256] = {};
    for (char c : text)
        seen[static_cast<unsigned char>(c)] = true;
    std::fill(std::begin(index_), std::end(index_), -1);
    for (int c = 0; c < 256; ++c)
        if (seen[c])
        {
            index_[c] = static_cast<std::int64_t>(chars_.size());
            chars_ += static_cast<char>(c);
        }
    if (chars_.empty())
        throw std::runtime_error("char vocabulary: the text is empty");
}

std::int64_t char_vocabulary::id(char c) const
{
    const std::int64_t i = index_[static_cast<unsigned char>(c)];
    if (i < 0)
        throw std::runtime_error(std::string("character '") + c + "' is not in the vocabulary");
    return i;
}

std::vector<std::int64_t> char_vocabulary::encode(const std::string& text) const
{
    std::vector<std::int64_t> out;
    out.reserve(text.size());
    for (char c : text)
        out.push_back(id(c));
    return out;
}

} // namespace text
