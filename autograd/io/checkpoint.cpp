#include "xgrad/autograd/io/checkpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/fault_injection.hpp"

namespace fs = std::filesystem;

namespace xgrad::io
{
namespace
{

constexpr const char* manifest_name = "MANIFEST";
constexpr const char* manifest_magic = "xgrad-checkpoint 1";

std::string generation_name(std::uint64_t g)
{
    return fmt::format("gen-{:06d}", g);
}

// "gen-000012" -> 12; 0 for anything else.
std::uint64_t parse_generation(const std::string& name)
{
    if (name.size() < 5 || name.compare(0, 4, "gen-") != 0)
        return 0;
    std::uint64_t g = 0;
    for (std::size_t i = 4; i < name.size(); ++i)
    {
        if (name[i] < '0' || name[i] > '9' || g > (UINT64_MAX - 9) / 10)
            return 0;
        g = g * 10 + std::uint64_t(name[i] - '0');
    }
    return g;
}

[[noreturn]] void sys_fail(const std::string& dir, const std::string& what, int err)
{
    fail<io_error>("checkpoint '{}': {}: {}", dir, what, std::strerror(err));
}

// fsync a file or folder by path: the data (or the folder's entries) reach the disk.
void sync_path(const std::string& dir, const std::string& path, bool folder)
{
    if (const int err = detail::fault_point("fsync", path))
        sys_fail(dir, "cannot flush " + path, err);
    const int fd = ::open(path.c_str(), folder ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0)
        sys_fail(dir, "cannot open " + path, errno);
    const bool ok = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok)
        sys_fail(dir, "cannot flush " + path, err);
}

void rename_or_fail(const std::string& dir, const std::string& from, const std::string& to)
{
    if (const int err = detail::fault_point("rename", to))
        sys_fail(dir, "cannot rename " + from + " to " + to, err);
    if (::rename(from.c_str(), to.c_str()) != 0)
        sys_fail(dir, "cannot rename " + from + " to " + to, errno);
}

struct manifest_entry
{
    std::string name;
    std::uint64_t size = 0, checksum = 0;
};

std::string hex(std::uint64_t v)
{
    return fmt::format("{:016x}", v);
}

// DIR/.lock, held with flock() for as long as a save runs (released by the kernel if the process
// dies). Returns the descriptor, or throws io_error if another process holds it.
int lock_folder(const std::string& dir)
{
    const std::string lock = dir + "/.lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        sys_fail(dir, "cannot open " + lock, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    {
        ::close(fd);
        fail<io_error>("checkpoint '{}': another process is saving into this folder", dir);
    }
    return fd;
}

// Staging folders, the temporary symlink and generations other than the current one.
std::vector<fs::path> leftovers(const std::string& dir, std::uint64_t live)
{
    std::error_code ec;
    std::vector<fs::path> doomed;
    for (const auto& entry : fs::directory_iterator(dir, ec))
    {
        const std::string name = entry.path().filename().string();
        const bool staging = name.size() > 5 && name.compare(0, 5, ".gen-") == 0 &&
                             name.compare(name.size() - 4, 4, ".tmp") == 0;
        const bool old_generation = parse_generation(name) != 0 && parse_generation(name) != live;
        if (staging || old_generation || name == ".current.tmp")
            doomed.push_back(entry.path());
    }
    return doomed;
}

std::size_t clean_unlocked(const std::string& dir, std::uint64_t live)
{
    std::size_t removed = 0;
    std::error_code ec;
    for (const auto& p : leftovers(dir, live))
        if (fs::remove_all(p, ec) > 0 && !ec)
            ++removed;
    return removed;
}

} // namespace

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h)
{
    for (unsigned char c : bytes)
    {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

std::uint64_t file_fnv1a64(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail<io_error>("checksum: cannot open '{}': {}", path, std::strerror(errno));
    std::uint64_t h = 0xcbf29ce484222325ull;
    std::vector<char> buf(1 << 16);
    while (in)
    {
        in.read(buf.data(), std::streamsize(buf.size()));
        h = fnv1a64(std::string_view(buf.data(), std::size_t(in.gcount())), h);
    }
    if (in.bad())
        fail<io_error>("checksum: cannot read '{}'", path);
    return h;
}

checkpoint_dir::checkpoint_dir(std::string dir) : dir_(std::move(dir))
{
    while (dir_.size() > 1 && dir_.back() == '/')
        dir_.pop_back();
}

bool checkpoint_dir::exists() const
{
    std::error_code ec;
    return fs::is_symlink(dir_ + "/current", ec);
}

std::uint64_t checkpoint_dir::generation() const
{
    std::error_code ec;
    const fs::path target = fs::read_symlink(dir_ + "/current", ec);
    return ec ? 0 : parse_generation(target.filename().string());
}

std::string checkpoint_dir::verify(const std::vector<std::string>& required) const
{
    const std::uint64_t g = generation();
    if (g == 0)
    {
        std::error_code ec;
        if (!fs::exists(dir_, ec))
            fail<io_error>("checkpoint '{}': no such folder", dir_);
        fail<io_error>("checkpoint '{}': holds no completed checkpoint (no valid '{}/current')",
                       dir_, dir_);
    }
    const std::string folder = dir_ + "/" + generation_name(g);
    std::ifstream in(folder + "/" + manifest_name);
    if (!in)
        fail<io_error>("checkpoint '{}': {} has no {}", dir_, generation_name(g), manifest_name);
    std::string line;
    std::vector<manifest_entry> entries;
    bool ended = false, magic = false, gen_ok = false;
    while (std::getline(in, line))
    {
        std::istringstream ls(line);
        std::string word;
        ls >> word;
        if (!magic)
        {
            magic = line == manifest_magic;
            if (!magic)
                break;
            continue;
        }
        if (word == "generation")
        {
            std::uint64_t v = 0;
            gen_ok = bool(ls >> v) && v == g;
        }
        else if (word == "file")
        {
            manifest_entry e;
            std::string sum;
            if (!(ls >> e.name >> e.size >> sum) || sum.size() != 16)
                break;
            e.checksum = std::stoull(sum, nullptr, 16);
            entries.push_back(e);
        }
        else if (word == "end")
        {
            ended = true;
            break;
        }
        else
            break;
    }
    if (!magic || !ended || !gen_ok)
        fail<io_error>("checkpoint '{}': {}/{} is incomplete or malformed", dir_,
                       generation_name(g), manifest_name);
    for (const auto& r : required)
    {
        bool listed = false;
        for (const auto& e : entries)
            listed = listed || e.name == r;
        if (!listed)
            fail<io_error>("checkpoint '{}': {} has no {}", dir_, generation_name(g), r);
    }
    for (const auto& e : entries)
    {
        const std::string p = folder + "/" + e.name;
        std::error_code ec;
        const auto size = fs::file_size(p, ec);
        if (ec)
            fail<io_error>("checkpoint '{}': {} is missing ({})", dir_, p, ec.message());
        if (size != e.size)
            fail<io_error>("checkpoint '{}': {} has {} bytes, the manifest says {}", dir_, p, size,
                           e.size);
        if (file_fnv1a64(p) != e.checksum)
            fail<io_error>("checkpoint '{}': {} does not match its checksum in the manifest "
                           "(the file was changed or replaced)",
                           dir_, p);
    }
    return folder;
}

checkpoint_dir::transaction checkpoint_dir::begin()
{
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        fail<io_error>("checkpoint '{}': cannot create the folder: {}", dir_, ec.message());
    const int fd = lock_folder(dir_);
    // The next generation is past every one on disk, committed or not, so that a staging folder
    // never takes the name of a live one.
    std::uint64_t next = generation();
    for (const auto& entry : fs::directory_iterator(dir_, ec))
    {
        std::string name = entry.path().filename().string();
        if (name.size() > 5 && name[0] == '.' && name.compare(name.size() - 4, 4, ".tmp") == 0)
            name = name.substr(1, name.size() - 5);
        next = std::max(next, parse_generation(name));
    }
    return transaction(*this, next + 1, fd);
}

checkpoint_dir::transaction::transaction(const checkpoint_dir& owner, std::uint64_t generation,
                                         int lock_fd)
    : dir_(owner.path()), generation_(generation), lock_fd_(lock_fd)
{
    staging_ = dir_ + "/." + generation_name(generation) + ".tmp";
    std::error_code ec;
    fs::remove_all(staging_, ec);
    if (!fs::create_directory(staging_, ec))
    {
        abort();
        fail<io_error>("checkpoint '{}': cannot create {}: {}", dir_, staging_, ec.message());
    }
}

checkpoint_dir::transaction::transaction(transaction&& o) noexcept
    : dir_(std::move(o.dir_)), staging_(std::move(o.staging_)), generation_(o.generation_),
      lock_fd_(o.lock_fd_), done_(o.done_), names_(std::move(o.names_))
{
    o.lock_fd_ = -1;
    o.done_ = true;
}

checkpoint_dir::transaction::~transaction()
{
    abort();
}

void checkpoint_dir::transaction::abort() noexcept
{
    if (!done_)
    {
        std::error_code ec;
        fs::remove_all(staging_, ec);
        done_ = true;
    }
    if (lock_fd_ >= 0)
        ::close(lock_fd_);
    lock_fd_ = -1;
}

std::string checkpoint_dir::transaction::file(const std::string& name)
{
    if (done_)
        fail<io_error>("checkpoint '{}': file('{}') after the save was committed", dir_, name);
    if (name.empty() || name == manifest_name || name[0] == '.' ||
        name.find_first_of("/ \t\n\r") != std::string::npos)
        fail<value_error>("checkpoint '{}': '{}' is not a valid file name (a plain name without "
                          "'/', spaces or a leading '.', not MANIFEST)",
                          dir_, name);
    if (std::find(names_.begin(), names_.end(), name) == names_.end())
        names_.push_back(name);
    return staging_ + "/" + name;
}

void checkpoint_dir::transaction::commit()
{
    if (done_)
        fail<io_error>("checkpoint '{}': commit() called twice", dir_);
    std::string manifest =
        std::string(manifest_magic) + "\n" + fmt::format("generation {}\n", generation_);
    for (const auto& name : names_)
    {
        const std::string p = staging_ + "/" + name;
        std::error_code ec;
        const auto size = fs::file_size(p, ec);
        if (ec)
        {
            abort();
            fail<io_error>("checkpoint '{}': {} was not written ({})", dir_, name, ec.message());
        }
        try
        {
            sync_path(dir_, p, false);
            manifest += fmt::format("file {} {} {}\n", name, size, hex(file_fnv1a64(p)));
        }
        catch (...)
        {
            abort();
            throw;
        }
    }
    manifest += "end\n";
    const std::string final_dir = dir_ + "/" + generation_name(generation_);
    const std::string link_tmp = dir_ + "/.current.tmp";
    try
    {
        // MANIFEST last: a generation folder with a complete manifest has complete files.
        write_file_atomically(staging_ + "/" + manifest_name,
                              [&](std::ostream& out) { out << manifest; });
        rename_or_fail(dir_, staging_, final_dir);
        sync_path(dir_, dir_, true);
        std::error_code ec;
        fs::remove(link_tmp, ec);
        if (const int err = detail::fault_point("symlink", link_tmp))
            sys_fail(dir_, "cannot create " + link_tmp, err);
        if (::symlink(generation_name(generation_).c_str(), link_tmp.c_str()) != 0)
            sys_fail(dir_, "cannot create " + link_tmp, errno);
        rename_or_fail(dir_, link_tmp, dir_ + "/current"); // the commit point
        sync_path(dir_, dir_, true);
    }
    catch (...)
    {
        // Not published: drop the new generation unless `current` already points at it.
        std::error_code ec;
        if (checkpoint_dir(dir_).generation() != generation_)
        {
            fs::remove_all(final_dir, ec);
            fs::remove(link_tmp, ec);
        }
        abort();
        throw;
    }
    done_ = true;
    clean_unlocked(dir_, generation_);
    abort(); // releases the lock
}

std::size_t checkpoint_dir::clean() const
{
    std::error_code ec;
    // Nothing to remove: touch nothing (not even the lock file) in a folder that is not ours.
    if (!fs::is_directory(dir_, ec) || leftovers(dir_, generation()).empty())
        return 0;
    const int fd = lock_folder(dir_);
    const std::size_t removed = clean_unlocked(dir_, generation());
    ::close(fd);
    return removed;
}

} // namespace xgrad::io
