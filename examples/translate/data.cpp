#include "examples/translate/data.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/core.h>

#include "examples/text/corpus.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/random.hpp"

namespace mt
{
namespace
{

std::string trim(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos)
        return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool is_punct(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u < 0x80 && std::ispunct(u);
}

} // namespace

std::vector<sentence_pair> read_pairs(const std::string& path, bool reverse)
{
    return parse_pairs(text::read_file(path), path, reverse);
}

std::vector<sentence_pair> parse_pairs(const std::string& data, const std::string& path,
                                       bool reverse)
{
    text::check_text(data, path);
    std::vector<sentence_pair> out;
    std::set<std::pair<std::string, std::string>> seen;
    std::size_t line_no = 0, begin = 0;
    while (begin < data.size())
    {
        std::size_t end = data.find('\n', begin);
        if (end == std::string::npos)
            end = data.size();
        std::string line = data.substr(begin, end - begin);
        begin = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (trim(line).empty())
            continue;
        const auto tab = line.find('\t');
        if (tab == std::string::npos)
            throw std::runtime_error(
                fmt::format("'{}' line {}: no tab (expected source<TAB>target)", path, line_no));
        const auto tab2 = line.find('\t', tab + 1);
        std::string a = trim(line.substr(0, tab));
        std::string b = trim(
            line.substr(tab + 1, tab2 == std::string::npos ? std::string::npos : tab2 - tab - 1));
        if (a.empty() || b.empty())
            throw std::runtime_error(fmt::format("'{}' line {}: the {} side is empty", path,
                                                 line_no, a.empty() ? "first" : "second"));
        if (reverse)
            std::swap(a, b);
        if (seen.insert({a, b}).second)
            out.push_back({a, b});
    }
    if (out.empty())
        throw std::runtime_error(fmt::format("'{}' holds no sentence pair", path));
    return out;
}

corpus_split split_by_source(const std::vector<sentence_pair>& pairs, std::size_t valid_count,
                             std::size_t test_count, std::uint64_t seed)
{
    // Sources in order of first appearance, each with its targets.
    std::map<std::string, std::size_t> index;
    std::vector<std::string> sources;
    std::vector<std::vector<std::string>> targets;
    for (const auto& p : pairs)
    {
        auto [it, fresh] = index.emplace(p.source, sources.size());
        if (fresh)
        {
            sources.push_back(p.source);
            targets.emplace_back();
        }
        targets[it->second].push_back(p.target);
    }
    if (sources.size() < valid_count + test_count + 1)
        throw std::runtime_error(fmt::format(
            "{} distinct source sentences: too few for {} validation and {} test sentences and "
            "a training part",
            sources.size(), valid_count, test_count));
    // Fisher-Yates with our own engine: the same permutation on every platform.
    std::vector<std::size_t> order(sources.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    xgrad::generator g(seed ^ 0x5eed5a1177ull);
    for (std::size_t i = order.size(); i > 1; --i)
        std::swap(order[i - 1], order[g.below(i)]);
    corpus_split s;
    for (std::size_t r = 0; r < order.size(); ++r)
    {
        const std::size_t i = order[r];
        auto* part = r < valid_count ? &s.valid : r < valid_count + test_count ? &s.test : nullptr;
        if (part)
        {
            part->sources.push_back(sources[i]);
            part->references.push_back(targets[i]);
        }
    }
    // Training pairs keep the file's order (the trainer shuffles per epoch).
    std::set<std::size_t> held;
    for (std::size_t r = 0; r < valid_count + test_count; ++r)
        held.insert(order[r]);
    for (const auto& p : pairs)
        if (!held.count(index.at(p.source)))
            s.train.push_back(p);
    return s;
}

std::vector<std::string> tokenize(const std::string& s)
{
    std::vector<std::string> out;
    std::string cur;
    auto flush = [&] {
        if (!cur.empty())
            out.push_back(cur);
        cur.clear();
    };
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        const char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            flush();
        else if (c == '\'' && !cur.empty() && i + 1 < s.size() && !is_punct(s[i + 1]) &&
                 s[i + 1] != ' ')
            cur += c; // inside a word
        else if (is_punct(c))
        {
            flush();
            out.emplace_back(1, c);
        }
        else
            cur += c;
    }
    flush();
    return out;
}

std::string detokenize(const std::vector<std::string>& tokens)
{
    std::string out;
    for (std::size_t i = 0; i < tokens.size(); ++i)
    {
        const std::string& t = tokens[i];
        const bool glue_left =
            t.size() == 1 && std::string(".,!?;:)").find(t[0]) != std::string::npos;
        const bool after_open = i > 0 && tokens[i - 1] == "(";
        if (i > 0 && !glue_left && !after_open)
            out += ' ';
        out += t;
    }
    return out;
}

vocab::vocab(std::vector<std::string> words) : words_(std::move(words))
{
    static const char* specials[] = {"<pad>", "<unk>", "<s>", "</s>"};
    if (words_.size() < 4)
        throw std::runtime_error("a vocabulary needs at least the 4 special tokens");
    for (std::size_t i = 0; i < 4; ++i)
        if (words_[i] != specials[i])
            throw std::runtime_error(fmt::format("vocabulary entry {} is '{}', expected '{}'", i,
                                                 words_[i], specials[i]));
    for (std::size_t i = 0; i < words_.size(); ++i)
        if (words_[i].empty() || !index_.emplace(words_[i], std::int64_t(i)).second)
            throw std::runtime_error(
                fmt::format("vocabulary entry {} ('{}') is empty or repeated", i, words_[i]));
}

vocab vocab::build(const std::vector<std::vector<std::string>>& sentences, std::size_t max_size,
                   std::size_t min_count)
{
    std::map<std::string, std::size_t> count;
    for (const auto& s : sentences)
        for (const auto& w : s)
            ++count[w];
    std::vector<std::pair<std::string, std::size_t>> ranked(count.begin(), count.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::string> words{"<pad>", "<unk>", "<s>", "</s>"};
    for (const auto& [w, n] : ranked)
        if (words.size() < max_size && n >= min_count && w != words[0] && w != words[1] &&
            w != words[2] && w != words[3])
            words.push_back(w);
    return vocab(std::move(words));
}

std::int64_t vocab::id(const std::string& w) const
{
    const auto it = index_.find(w);
    return it == index_.end() ? unk : it->second;
}

std::vector<std::int64_t> vocab::encode(const std::vector<std::string>& tokens) const
{
    std::vector<std::int64_t> out;
    for (const auto& t : tokens)
        out.push_back(id(t));
    return out;
}

std::vector<std::string> vocab::decode(const std::vector<std::int64_t>& ids) const
{
    std::vector<std::string> out;
    for (auto i : ids)
    {
        if (i == eos)
            break;
        if (i != pad && i != bos)
            out.push_back(word(i));
    }
    return out;
}

void vocab::save(const std::string& path) const
{
    std::string s;
    for (const auto& w : words_)
        s += w + "\n";
    xgrad::io::write_file_atomically(path, [&](std::ostream& o) { o << s; });
}

vocab vocab::load(const std::string& path)
{
    const std::string data = text::read_file(path);
    text::check_text(data, path);
    std::vector<std::string> words;
    std::size_t b = 0;
    while (b < data.size())
    {
        std::size_t e = data.find('\n', b);
        if (e == std::string::npos)
            e = data.size();
        words.push_back(data.substr(b, e - b));
        b = e + 1;
    }
    try
    {
        return vocab(std::move(words));
    }
    catch (const std::exception& e)
    {
        throw std::runtime_error(fmt::format("'{}': {}", path, e.what()));
    }
}

std::uint64_t vocab::checksum() const
{
    std::uint64_t h = xgrad::io::fnv1a64("");
    for (const auto& w : words_)
        h = xgrad::io::fnv1a64(w + "\n", h);
    return h;
}

padded pad_batch(const std::vector<const std::vector<std::int64_t>*>& seqs)
{
    padded p;
    p.batch = seqs.size();
    for (const auto* s : seqs)
    {
        p.lengths.push_back(s->size());
        p.steps = std::max(p.steps, s->size());
    }
    p.ids.assign(p.steps * p.batch, vocab::pad);
    for (std::size_t b = 0; b < p.batch; ++b)
        for (std::size_t t = 0; t < seqs[b]->size(); ++t)
            p.ids[t * p.batch + b] = (*seqs[b])[t];
    return p;
}

} // namespace mt
