#include "xgrad/autograd/io/atomic_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/io/fault_injection.hpp"

namespace xgrad::io
{
namespace
{

std::string parent_of(const std::string& path)
{
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// The process's umask, read from /proc without changing it (umask() itself can only be read by
// setting it, which races with other threads creating files); 022 if /proc is unavailable.
mode_t process_umask()
{
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Umask:", 0) == 0)
            return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    return 022;
}

[[noreturn]] void io_fail(const std::string& what, const std::string& path, int err)
{
    fail<io_error>("{} '{}': {}", what, path, std::strerror(err));
}

} // namespace

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream& out)>& write)
{
    // Serialise in memory first: a writer that throws leaves no trace on disk.
    std::ostringstream buffer(std::ios::binary);
    write(buffer);
    if (!buffer)
        fail<io_error>("write '{}': the data could not be serialised", path);
    const std::string bytes = buffer.str();

    std::string tmp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0)
        io_fail("cannot create a temporary file next to", path, errno);
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    if (const int err = detail::fault_point("write", tmp))
    {
        ::close(fd);
        ::unlink(tmp.c_str());
        io_fail("cannot write", path, err);
    }
    while (left > 0)
    {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
        {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            io_fail("cannot write", path, err);
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    // mkstemp creates 0600; give the file the usual permissions (0666 less the umask).
    ::fchmod(fd, 0666 & ~process_umask());
    const int injected = detail::fault_point("fsync", tmp);
    const bool synced = !injected && ::fsync(fd) == 0;
    const int sync_err = injected ? injected : errno;
    const bool closed = ::close(fd) == 0; // always closed, even when fsync failed
    if (!synced || !closed)
    {
        const int err = !synced ? sync_err : errno;
        ::unlink(tmp.c_str());
        io_fail("cannot flush", path, err);
    }
    const int rename_fault = detail::fault_point("rename", path);
    if (rename_fault || ::rename(tmp.c_str(), path.c_str()) != 0)
    {
        const int err = rename_fault ? rename_fault : errno;
        ::unlink(tmp.c_str());
        io_fail("cannot replace", path, err);
    }
    // Make the rename itself durable.
    detail::fault_point("fsync-dir", path);
    const int dir = ::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0)
    {
        ::fsync(dir);
        ::close(dir);
    }
}

} // namespace xgrad::io
