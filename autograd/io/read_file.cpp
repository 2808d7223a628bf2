#include "xgrad/autograd/io/read_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xgrad/autograd/error.hpp"

namespace xgrad::io
{

namespace
{
// Closes the descriptor on every path out, the exceptions included.
struct fd_guard
{
    int fd;
    ~fd_guard() { ::close(fd); }
};
} // namespace

std::string read_file(const std::string& path, const char* op)
{
    // POSIX calls rather than an ifstream: a stream's failure says neither which call failed
    // nor why (a directory even "opens", and then throws std::ios_base::failure on read).
    const std::string who = op ? std::string(op) + ": " : std::string();
    int fd = -1;
    do
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        fail<io_error>("{}cannot open '{}': {}", who, path, std::strerror(errno));
    fd_guard guard{fd};
    struct stat st;
    if (::fstat(fd, &st) != 0)
        fail<io_error>("{}cannot open '{}': {}", who, path, std::strerror(errno));
    if (S_ISDIR(st.st_mode))
        fail<io_error>("{}cannot open '{}': it is a directory", who, path);

    // A regular file's size (plus one byte, so that the read that sees the end needs no
    // growth) is the first guess; the file may still change while being read, and pipes report
    // 0: the loop reads to the end either way, doubling the buffer when it fills.
    std::string bytes;
    bytes.resize(S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<std::size_t>(st.st_size) + 1
                                                       : std::size_t{65536});
    std::size_t used = 0;
    while (true)
    {
        if (used == bytes.size())
            bytes.resize(2 * bytes.size());
        const ssize_t n = ::read(fd, &bytes[used], bytes.size() - used);
        if (n < 0)
        {
            if (errno == EINTR)
                continue;
            fail<io_error>("{}cannot read '{}': {}", who, path, std::strerror(errno));
        }
        if (n == 0)
            break;
        used += static_cast<std::size_t>(n);
    }
    bytes.resize(used);
    return bytes;
}

} // namespace xgrad::io
