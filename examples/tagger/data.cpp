#include "examples/tagger/data.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>

namespace tagger
{

std::string normalize_word(const std::string& word)
{
    std::string out = word;
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        else if (c >= '0' && c <= '9')
            c = '0';
    return out;
}

vocabulary vocabulary::build(const std::vector<sentence>& train, std::size_t min_count)
{
    std::map<std::string, std::size_t> counts;
    for (const sentence& s : train)
        for (const std::string& w : s.words)
            ++counts[normalize_word(w)];
    std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    vocabulary v;
    v.words_ = {"<pad>", "<unk>"};
    v.counts_ = {0, 0};
    for (const auto& [w, c] : sorted)
        if (c >= min_count && w != "<pad>" && w != "<unk>")
        {
            v.words_.push_back(w);
            v.counts_.push_back(c);
        }
    for (std::size_t i = 0; i < v.words_.size(); ++i)
        v.index_[v.words_[i]] = std::int64_t(i);
    return v;
}

vocabulary vocabulary::from_list(const std::vector<std::string>& words, const std::string& source)
{
    if (words.size() < 2 || words[0] != "<pad>" || words[1] != "<unk>")
        throw std::runtime_error(source + ": the word list does not start with <pad>, <unk>");
    vocabulary v;
    v.words_ = words;
    v.counts_.assign(words.size(), 0);
    for (std::size_t i = 0; i < words.size(); ++i)
        if (!v.index_.emplace(words[i], std::int64_t(i)).second)
            throw std::runtime_error(source + ": the word list holds '" + words[i] + "' twice");
    return v;
}

std::int64_t vocabulary::id(const std::string& word) const
{
    const auto it = index_.find(normalize_word(word));
    return it == index_.end() ? unk_id : it->second;
}

tag_set tag_set::build(const std::vector<sentence>& train)
{
    std::map<std::string, int> seen;
    for (const sentence& s : train)
        for (const std::string& t : s.tags)
            seen[t];
    std::vector<std::string> tags;
    for (const auto& kv : seen)
        tags.push_back(kv.first);
    return from_list(tags, "the training data");
}

tag_set tag_set::from_list(const std::vector<std::string>& tags, const std::string& source)
{
    if (tags.empty())
        throw std::runtime_error(source + ": no tags");
    tag_set t;
    t.tags_ = tags;
    for (std::size_t i = 0; i < tags.size(); ++i)
        if (tags[i].empty() || !t.index_.emplace(tags[i], std::int64_t(i)).second)
            throw std::runtime_error(source + ": the tag list holds '" + tags[i] +
                                     "' twice or an empty tag");
    return t;
}

std::int64_t tag_set::id(const std::string& tag) const
{
    const auto it = index_.find(tag);
    return it == index_.end() ? -1 : it->second;
}

bool tag_set::is_bio() const
{
    bool typed = false;
    for (const std::string& t : tags_)
    {
        if (t == "O")
            continue;
        if (t.size() < 3 || (t[0] != 'B' && t[0] != 'I') || t[1] != '-')
            return false;
        typed = true;
    }
    return typed;
}

std::vector<std::pair<std::size_t, std::size_t>> tag_set::forbidden_bio_transitions() const
{
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (std::size_t to = 0; to < tags_.size(); ++to)
    {
        if (tags_[to][0] != 'I')
            continue;
        const std::string type = tags_[to].substr(2);
        for (std::size_t from = 0; from < tags_.size(); ++from)
            if (tags_[from] == "O" || tags_[from].substr(2) != type)
                out.emplace_back(from, to);
    }
    return out;
}

std::vector<std::size_t> tag_set::forbidden_bio_starts() const
{
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < tags_.size(); ++i)
        if (tags_[i][0] == 'I')
            out.push_back(i);
    return out;
}

batch make_batch(const std::vector<sentence>& data, const std::vector<std::size_t>& which,
                 const vocabulary& words, const tag_set& tags, std::size_t max_chars,
                 xgrad::generator* unk, double alpha)
{
    batch b;
    b.size = which.size();
    b.sentences = which;
    for (std::size_t i : which)
    {
        b.lengths.push_back(data[i].words.size());
        b.steps = std::max(b.steps, data[i].words.size());
    }
    const std::size_t n = b.steps * b.size;
    b.words.assign(n, pad_id);
    b.tags.assign(n, 0);
    b.mask.assign(n, 0);
    b.token_word.assign(n, 0);
    std::unordered_map<std::string, std::int64_t> distinct;
    std::vector<const std::string*> forms;
    for (std::size_t j = 0; j < b.size; ++j)
    {
        const sentence& s = data[which[j]];
        for (std::size_t t = 0; t < s.words.size(); ++t)
        {
            const std::size_t k = t * b.size + j;
            std::int64_t id = words.id(s.words[t]);
            if (unk && id != unk_id)
            {
                const double c = double(words.count(id));
                if (unk->uniform() < alpha / (c + alpha))
                    id = unk_id;
            }
            b.words[k] = id;
            b.tags[k] = std::max<std::int64_t>(0, tags.id(s.tags[t]));
            b.mask[k] = 1;
            const auto [it, added] = distinct.emplace(s.words[t], std::int64_t(forms.size()));
            if (added)
                forms.push_back(&s.words[t]);
            b.token_word[k] = it->second;
        }
        b.tokens += s.words.size();
    }
    b.distinct = forms.size();
    for (const std::string* f : forms)
    {
        b.char_lengths.push_back(std::min(max_chars, f->size()));
        b.char_steps = std::max(b.char_steps, b.char_lengths.back());
    }
    b.chars.assign(b.char_steps * b.distinct, 0);
    for (std::size_t w = 0; w < b.distinct; ++w)
        for (std::size_t c = 0; c < b.char_lengths[w]; ++c)
            b.chars[c * b.distinct + w] =
                std::int64_t(static_cast<unsigned char>((*forms[w])[c])) + 1;
    return b;
}

std::vector<std::vector<std::size_t>> length_batches(const std::vector<sentence>& data,
                                                     std::size_t batch_size)
{
    std::vector<std::size_t> order(data.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return data[a].words.size() < data[b].words.size();
    });
    std::vector<std::vector<std::size_t>> out;
    for (std::size_t i = 0; i < order.size(); i += batch_size)
        out.emplace_back(order.begin() + long(i),
                         order.begin() + long(std::min(order.size(), i + batch_size)));
    return out;
}

} // namespace tagger
