#include "xgrad/autograd/io/fault_injection.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace xgrad::io::detail
{
namespace
{

struct fault_plan
{
    long kill_at = 0, enospc_at = 0;
    bool trace = false;
};

long env_number(const char* name)
{
    const char* v = std::getenv(name);
    return v ? std::strtol(v, nullptr, 10) : 0;
}

const fault_plan& plan()
{
    static const fault_plan p{env_number("XGRAD_FAULT_AT"), env_number("XGRAD_FAULT_ENOSPC"),
                              env_number("XGRAD_FAULT_TRACE") != 0};
    return p;
}

} // namespace

int fault_point(const char* step, const std::string& path)
{
    const fault_plan& p = plan();
    if (!p.kill_at && !p.enospc_at && !p.trace)
        return 0;
    static std::atomic<long> count{0};
    const long n = ++count;
    if (p.trace)
        std::fprintf(stderr, "xgrad-fault %ld: %s %s\n", n, step, path.c_str());
    if (n == p.kill_at)
        ::_exit(137);
    return n == p.enospc_at ? ENOSPC : 0;
}

} // namespace xgrad::io::detail
