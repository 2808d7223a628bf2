// A checkpoint as one atomic unit: several files (weights, optimizer state, vocabulary, trainer
// position, ...) that are published together or not at all.
//
// Layout of a checkpoint folder DIR:
//   DIR/current          symlink to the committed generation, e.g. "gen-000012"
//   DIR/gen-000012/      the files, and MANIFEST: for each file its size and FNV-1a-64 checksum
//   DIR/.gen-000013.tmp/ a save in progress (staging); removed by clean() if a save died
// A save writes every file into the staging folder, fsyncs them, writes MANIFEST last, renames the
// folder to gen-N, then swaps the `current` symlink with rename(2), which is atomic. A crash at
// any moment (kill -9, power loss after the fsyncs, a full disk) therefore leaves `current`
// pointing at the old generation or the new one, each complete. Loading checks every file
// against the manifest, so a checkpoint edited or mixed by hand is refused, not half-loaded.
// The checksum detects corruption and mixing, not tampering by an adversary.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xgrad::io
{

// 64-bit FNV-1a of `bytes`, continuing from `h` (so a file can be hashed in pieces).
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h = 0xcbf29ce484222325ull);
// FNV-1a-64 of a whole file; throws io_error naming the path if it cannot be read.
std::uint64_t file_fnv1a64(const std::string& path);

class checkpoint_dir
{
public:
    explicit checkpoint_dir(std::string dir);

    const std::string& path() const { return dir_; }
    // True if DIR/current exists (a save has completed at least once).
    bool exists() const;
    // The committed generation's number, 0 if there is none.
    std::uint64_t generation() const;

    // The committed generation's folder ("DIR/gen-000012"), after checking that its MANIFEST is
    // complete, every file it lists has the recorded size and checksum, and every name in
    // `required` is listed. Throws io_error "checkpoint 'DIR': ..." naming the file and the
    // mismatch, or saying that DIR holds no checkpoint.
    std::string verify(const std::vector<std::string>& required = {}) const;

    // One save. Write each file at file(name); commit() publishes them all. A transaction
    // destroyed without commit() (an exception while writing) removes its staging folder and
    // leaves the committed generation as it was. Only one process may save into DIR at a time:
    // begin() throws io_error if another holds DIR/.lock.
    class transaction
    {
    public:
        transaction(transaction&& other) noexcept;
        transaction& operator=(transaction&&) = delete;
        ~transaction();

        // Path to write the file `name` to (a plain name: no '/', not "MANIFEST").
        std::string file(const std::string& name);
        // Checks every file was written, records them in MANIFEST, publishes the generation and
        // removes older ones. Throws io_error if a file is missing or a step fails (the old
        // generation stays current).
        void commit();
        std::uint64_t generation() const { return generation_; }

    private:
        friend class checkpoint_dir;
        transaction(const checkpoint_dir& owner, std::uint64_t generation, int lock_fd);
        void abort() noexcept;

        std::string dir_, staging_;
        std::uint64_t generation_ = 0;
        int lock_fd_ = -1;
        bool done_ = false;
        std::vector<std::string> names_;
    };
    transaction begin();

    // Removes what a killed save leaves behind (staging folders, stray symlinks) and generations
    // other than the current one. Returns how many entries it removed; trainers call it when
    // they start. Throws io_error if there is something to remove and another process is saving
    // into DIR; a folder with nothing to remove is not touched.
    std::size_t clean() const;

private:
    std::string dir_;
};

} // namespace xgrad::io
