// The captioning datasets on disk and the captions' vocabulary. make_data writes, for a seed:
//   DIR/train.tsv, valid.tsv, test.tsv   scenes whose colour-shape pairs all occur in training
//   DIR/unseen.tsv                       scenes with at least one held-out pair
//   DIR/samples/*.png                    a few pictures of test and unseen scenes
// one line per scene: "spec<TAB>caption" (scene.hpp's to_spec and describe). The pictures are
// rendered from the specs when needed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "examples/caption/scene.hpp"

namespace caption
{

struct example
{
    scene s;
    std::string caption;
};

struct data_sizes
{
    std::size_t train = 8000, valid = 500, test = 500, unseen = 500, samples = 6;
};

// Writes the four splits (atomically, each) and the samples; deterministic from the seed.
void make_data(const std::string& dir, std::uint64_t seed, const data_sizes& sizes);

// Reads one split; the caption must be the scene's (a file edited by hand is refused). Throws
// std::runtime_error naming the file and line.
std::vector<example> load_split(const std::string& path);

// The words a caption can hold, with <pad> 0, <s> 1, </s> 2.
class vocabulary
{
public:
    vocabulary();
    std::size_t size() const { return words_.size(); }
    // Word ids of a caption, without <s> and </s>; throws std::runtime_error on an unknown word.
    std::vector<std::int64_t> encode(const std::string& caption) const;
    std::string decode(const std::vector<std::int64_t>& ids) const; // stops at </s>
    const std::string& word(std::size_t id) const { return words_.at(id); }
    static constexpr std::int64_t pad = 0, bos = 1, eos = 2;

private:
    std::vector<std::string> words_;
};

} // namespace caption
