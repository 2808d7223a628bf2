// Training data for sequence models: a deterministic train/validation split, and batches of
// variable-length sequences laid out time-major with their lengths, shuffled per epoch by seed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace text
{

using sequence = std::vector<std::int64_t>;

// Every k-th item (k = round(1/fraction), at least 2) goes to validation, the rest to training:
// stable under reshuffling and independent of any random state.
template <class T>
void split(const std::vector<T>& all, double valid_fraction, std::vector<T>& train,
           std::vector<T>& valid)
{
    train.clear();
    valid.clear();
    // 1 / fraction is capped before the conversion: a tiny fraction would overflow it (and
    // hold out nothing anyway).
    const std::size_t k =
        valid_fraction > 0
            ? std::max<std::size_t>(
                  2, static_cast<std::size_t>(std::round(std::min(1 / valid_fraction, 1e15))))
            : 0;
    for (std::size_t i = 0; i < all.size(); ++i)
        (k && i % k == k - 1 ? valid : train).push_back(all[i]);
}

// A batch of language-model pairs x = s[:-1], y = s[1:], time-major: element (t, b) is at
// t * batch + b. Positions past a sequence's length hold input 0 and target -100 (ignored by
// cross_entropy).
struct batch
{
    std::size_t steps = 0, size = 0;
    std::vector<std::int64_t> inputs, targets;
    std::vector<std::size_t> lengths;
    std::size_t tokens() const; // sum of lengths
};

// Builds the batch of sequences[order[first .. first+count)].
batch make_batch(const std::vector<sequence>& sequences, const std::vector<std::size_t>& order,
                 std::size_t first, std::size_t count);

// The batches of an epoch as lists of sequence indices: shuffled by (seed, epoch) alone, so a
// resumed run sees the same batches; within windows of 50 batches sequences of similar length
// are grouped to limit padding. With shuffle false: in order, batch by batch.
std::vector<std::vector<std::size_t>> epoch_batches(const std::vector<sequence>& sequences,
                                                    std::size_t batch_size, std::uint64_t seed,
                                                    std::size_t epoch, bool shuffle = true);

// Builds the batch of the given sequences.
batch make_batch(const std::vector<sequence>& sequences, const std::vector<std::size_t>& which);

// A permutation of 0..n-1 drawn from (seed, epoch) alone, so a resumed run sees the same order.
std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, std::size_t epoch,
                                     bool shuffle = true);

} // namespace text
