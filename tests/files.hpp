// Helpers for tests that write files: a temporary folder, raw bytes in and out, and handmade
// safetensors files.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <unistd.h>

#include <fmt/format.h>

#include "xgrad/autograd/tensor.hpp"

namespace xgrad::test
{

// A fresh, empty temporary folder per test case, removed with everything in it.
struct temp_dir
{
    std::string path;
    temp_dir()
    {
        char tmpl[] = "/tmp/xgrad-test-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() { std::system(("rm -rf " + path).c_str()); }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::string file(const std::string& name) const { return path + "/" + name; }
    std::size_t entries() const
    {
        std::size_t n = 0;
        DIR* d = ::opendir(path.c_str());
        while (dirent* e = ::readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
                ++n;
        ::closedir(d);
        return n;
    }
};

inline std::string read_bytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary) << bytes;
}

// A safetensors file with the given JSON header and data bytes.
inline std::string make_file(const std::string& header, const std::string& data)
{
    std::uint64_t n = header.size();
    return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

// A safetensors file of `tensors` (float32 entries written as they are), except that the
// entries named in `recode` are stored in another dtype of the format ("BF16", "F16": 2 bytes
// per element, zero bytes), as a PyTorch model saved in half precision would have them.
inline std::string file_with_dtypes(const std::map<std::string, Tensor>& tensors,
                                    const std::map<std::string, std::string>& recode)
{
    std::string header = "{", data;
    for (const auto& [name, t] : tensors)
    {
        auto it = recode.find(name);
        const std::size_t n = it != recode.end() ? t.numel() * 2 : t.nbytes();
        header +=
            fmt::format("{}\"{}\":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                        header.size() > 1 ? "," : "", name, it != recode.end() ? it->second : "F32",
                        fmt::join(t.shape(), ","), data.size(), data.size() + n);
        data += it != recode.end() ? std::string(n, '\0')
                                   : std::string(static_cast<const char*>(t.raw_data()), n);
    }
    return make_file(header + "}", data);
}

} // namespace xgrad::test
