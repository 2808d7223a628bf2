#include "examples/caption/data.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

#include <fmt/core.h>

#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/image.hpp"
#include "xgrad/autograd/io/read_file.hpp"

namespace caption
{

void make_data(const std::string& dir, std::uint64_t seed, const data_sizes& sizes)
{
    ::mkdir(dir.c_str(), 0755);
    ::mkdir((dir + "/samples").c_str(), 0755);
    struct split
    {
        const char* name;
        std::size_t n;
        bool unseen;
    };
    const split splits[] = {{"train", sizes.train, false},
                            {"valid", sizes.valid, false},
                            {"test", sizes.test, false},
                            {"unseen", sizes.unseen, true}};
    for (std::size_t k = 0; k < 4; ++k)
    {
        // One stream per split: a split's scenes do not depend on the other splits' sizes.
        xgrad::generator g(seed * 1000003 + k);
        std::vector<scene> scenes;
        for (std::size_t i = 0; i < splits[k].n; ++i)
            scenes.push_back(random_scene(g, splits[k].unseen));
        xgrad::io::write_file_atomically(dir + "/" + splits[k].name + ".tsv",
                                         [&](std::ostream& out) {
                                             for (const scene& s : scenes)
                                                 out << to_spec(s) << '\t' << describe(s) << '\n';
                                         });
        if (k >= 2)
            for (std::size_t i = 0; i < std::min(sizes.samples, scenes.size()); ++i)
                xgrad::io::write_png(fmt::format("{}/samples/{}-{}.png", dir, splits[k].name, i),
                                     render(scenes[i]));
    }
}

std::vector<example> load_split(const std::string& path)
{
    std::istringstream in(xgrad::io::read_file(path));
    std::vector<example> out;
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n)
    {
        const std::string where = fmt::format("{}:{}", path, n);
        const auto tab = line.find('\t');
        if (tab == std::string::npos)
            throw std::runtime_error(where + ": expected 'spec<TAB>caption'");
        example e{from_spec(line.substr(0, tab), where), line.substr(tab + 1)};
        if (describe(e.s) != e.caption)
            throw std::runtime_error(fmt::format("{}: caption '{}' is not the scene's ('{}')",
                                                 where, e.caption, describe(e.s)));
        out.push_back(std::move(e));
    }
    if (out.empty())
        throw std::runtime_error(path + ": no scenes");
    return out;
}

vocabulary::vocabulary() : words_{"<pad>", "<s>", "</s>", "a", ",", "and", "above", "left", "of"}
{
    for (const char* w : size_names)
        words_.push_back(w);
    for (const char* w : colour_names)
        words_.push_back(w);
    for (const char* w : shape_names)
        words_.push_back(w);
}

std::vector<std::int64_t> vocabulary::encode(const std::string& caption) const
{
    std::vector<std::int64_t> ids;
    std::istringstream in(caption);
    for (std::string w; in >> w;)
    {
        const auto it = std::find(words_.begin(), words_.end(), w);
        if (it == words_.end() || it - words_.begin() < 3)
            throw std::runtime_error("caption word '" + w + "' is not in the vocabulary");
        ids.push_back(it - words_.begin());
    }
    return ids;
}

std::string vocabulary::decode(const std::vector<std::int64_t>& ids) const
{
    std::string out;
    for (std::int64_t id : ids)
    {
        if (id == eos)
            break;
        if (id < 3 || std::size_t(id) >= words_.size())
            continue;
        out += (out.empty() ? "" : " ") + words_[std::size_t(id)];
    }
    return out;
}

} // namespace caption
