#include "examples/common/run_record.hpp"

#include <stdexcept>

#include <fmt/core.h>

#include "xgrad/autograd/io/checkpoint.hpp"

namespace cli
{

void record_file(run_record& r, const std::string& flag, const std::string& path)
{
    r[flag + "_fnv1a64"] = fmt::format("{:016x}", xgrad::io::file_fnv1a64(path));
}

void check_run_record(const run_record& saved, const run_record& now)
{
    const std::string suffix = "_fnv1a64";
    std::string differ;
    for (const auto& [key, value] : now)
    {
        const bool is_file = key.size() > suffix.size() &&
                             key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
        const std::string flag = "--" + (is_file ? key.substr(0, key.size() - suffix.size()) : key);
        const auto s = saved.find(key);
        if (s == saved.end())
            differ += fmt::format("\n  {}: not recorded in the checkpoint", flag);
        else if (s->second != value && is_file)
            differ +=
                fmt::format("\n  {}: not the file it was trained on (checksum {}, this one {})",
                            flag, s->second, value);
        else if (s->second != value)
            differ += fmt::format("\n  {}: trained with {}, now {}", flag, s->second, value);
    }
    if (!differ.empty())
        throw std::runtime_error("--resume: the checkpoint was made with other settings; pass the "
                                 "same ones (or train afresh without --resume):" +
                                 differ);
}

} // namespace cli
