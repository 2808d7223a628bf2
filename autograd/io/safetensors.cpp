#include "xgrad/autograd/io/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/json.hpp"
#include "xgrad/autograd/io/read_file.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this build assumes a little-endian host");

namespace xgrad::io
{
namespace
{

constexpr std::uint64_t max_header = 100u << 20; // the reference implementation's limit

const char* dtype_code(dtype d)
{
    switch (d)
    {
    case dtype::f32:
        return "F32";
    case dtype::f64:
        return "F64";
    case dtype::i64:
        return "I64";
    case dtype::i32:
        break;
    }
    return "I32";
}

// The dtypes of the safetensors format xgrad reads.
bool readable_dtype(const std::string& code, dtype& d)
{
    static const std::pair<const char*, dtype> table[] = {
        {"F32", f32}, {"F64", f64}, {"I64", i64}, {"I32", i32}};
    for (const auto& [c, t] : table)
        if (code == c)
        {
            d = t;
            return true;
        }
    return false;
}

// Bytes per element of the other dtypes the format defines (0 for a code it does not define):
// their entries are validated and listed in tensor_file::unsupported instead of loaded.
std::size_t other_dtype_size(const std::string& code)
{
    static const std::pair<const char*, std::size_t> table[] = {
        {"BOOL", 1}, {"U8", 1},  {"I8", 1},   {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
        {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"U32", 4},     {"U64", 8}};
    for (const auto& [c, n] : table)
        if (code == c)
            return n;
    return 0;
}

// A name or metadata string the header cannot carry: the format's header is UTF-8 JSON, and a
// reader (this one included) refuses anything else. Names the offending byte.
void check_utf8(const std::string& text, const char* what)
{
    const std::size_t at = json::utf8_invalid_at(text);
    if (at == std::string::npos)
        return;
    // The text as printable ASCII (other bytes as \xNN): the message itself stays valid UTF-8.
    std::string shown;
    for (const char c : text)
    {
        const auto u = static_cast<unsigned char>(c);
        shown += u >= 0x20 && u < 0x7F ? std::string(1, c) : fmt::format("\\x{:02X}", u);
    }
    fail<value_error>("save_tensors: {} '{}' is not valid UTF-8 (byte {}); the safetensors "
                      "header must be UTF-8",
                      what, shown, at);
}
} // namespace

void save_tensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                  const std::map<std::string, std::string>& metadata)
{
    // Everything is checked before the file is touched.
    for (const auto& [k, v] : metadata)
    {
        check_utf8(k, "metadata key");
        check_utf8(v, fmt::format("value of metadata key '{}'", k).c_str());
    }
    for (const auto& entry : tensors)
    {
        if (entry.first == "__metadata__")
            fail<value_error>("save_tensors: a tensor cannot be named '__metadata__' (the "
                              "format reserves that key for the metadata)");
        check_utf8(entry.first, "tensor name");
    }
    std::string header = "{";
    bool first = true;
    if (!metadata.empty())
    {
        header += "\"__metadata__\":{";
        for (const auto& [k, v] : metadata)
        {
            header += (first ? "" : ",") + json::quote(k) + ":" + json::quote(v);
            first = false;
        }
        header += "}";
        first = false;
    }
    std::uint64_t offset = 0;
    for (const auto& [name, t] : tensors)
    {
        if (!t.defined())
            fail<value_error>("save_tensors: tensor '{}' is undefined", name);
        std::string shape;
        for (std::size_t i = 0; i < t.dim(); ++i)
            shape += (i ? "," : "") + std::to_string(t.shape()[i]);
        header += fmt::format("{}{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                              first ? "" : ",", json::quote(name), dtype_code(t.dtype()), shape,
                              offset, offset + t.nbytes());
        offset += t.nbytes();
        first = false;
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' '); // keep the data 8-byte aligned

    write_file_atomically(path, [&](std::ostream& out) {
        const std::uint64_t n = header.size();
        out.write(reinterpret_cast<const char*>(&n), 8);
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        for (const auto& entry : tensors)
            out.write(static_cast<const char*>(entry.second.raw_data()),
                      static_cast<std::streamsize>(entry.second.nbytes()));
    });
}

tensor_file load_tensors(const std::string& path)
{
    return parse_tensors(read_file(path, "load_tensors"), path);
}

tensor_file parse_tensors(std::string_view bytes, const std::string& source)
{
    auto bad = [&](const std::string& why) -> void {
        fail<io_error>("load_tensors: '{}' is not a valid safetensors file: {}", source, why);
    };
    if (bytes.size() < 8)
        bad(fmt::format("{} bytes, shorter than the 8-byte header length", bytes.size()));
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    if (n > max_header || n > bytes.size() - 8)
        bad(fmt::format("header length {} but the file has {} bytes", n, bytes.size()));
    // The format requires a UTF-8 header; checked apart from the JSON for a clearer message.
    const std::string header_text(bytes.substr(8, n));
    if (const std::size_t at = json::utf8_invalid_at(header_text); at != std::string::npos)
        bad(fmt::format("the header is not valid UTF-8 (byte {} of the header, {} of the file)", at,
                        at + 8));
    json::value header;
    try
    {
        header = json::parse(header_text);
    }
    catch (const io_error& e)
    {
        bad(e.what());
    }
    if (header.kind != json::value::object)
        bad("the header is not a JSON object");

    const std::uint64_t data_size = bytes.size() - 8 - n;
    const char* data = bytes.data() + 8 + n;
    tensor_file out;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    for (const auto& [name, v] : header.members)
    {
        if (name == "__metadata__")
        {
            if (v.kind != json::value::object)
                bad("__metadata__ is not an object");
            for (const auto& [k, s] : v.members)
            {
                if (s.kind != json::value::string)
                    bad(fmt::format("metadata '{}' is not a string", k));
                out.metadata[k] = s.str;
            }
            continue;
        }
        if (out.tensors.count(name) || out.unsupported.count(name))
            bad(fmt::format("tensor '{}' appears twice", name));
        const json::value* dt = v.find("dtype");
        const json::value* shape = v.find("shape");
        const json::value* offsets = v.find("data_offsets");
        if (v.kind != json::value::object || !dt || !shape || !offsets ||
            dt->kind != json::value::string || shape->kind != json::value::array ||
            offsets->kind != json::value::array || offsets->items.size() != 2)
            bad(fmt::format("entry '{}' needs dtype, shape and two data_offsets", name));
        dtype d = f32;
        const bool readable = readable_dtype(dt->str, d);
        const std::size_t elem = readable ? dtype_size(d) : other_dtype_size(dt->str);
        if (elem == 0)
            bad(fmt::format("tensor '{}' has dtype '{}', which the format does not define", name,
                            dt->str));
        shape_t s;
        std::uint64_t count = 1;
        for (const auto& dim : shape->items)
        {
            if (dim.kind != json::value::number || !dim.integral || dim.integer < 0 ||
                dim.integer > (std::int64_t{1} << 40))
                bad(fmt::format("tensor '{}' has an invalid dimension", name));
            const auto d = static_cast<std::uint64_t>(dim.integer);
            // Checked before multiplying, so the product cannot wrap around.
            if (d != 0 && count > (std::uint64_t{1} << 40) / d)
                bad(fmt::format("tensor '{}' is implausibly large", name));
            s.push_back(static_cast<std::size_t>(d));
            count *= d;
        }
        std::uint64_t range[2];
        for (int k = 0; k < 2; ++k)
        {
            const json::value& o = offsets->items[static_cast<std::size_t>(k)];
            if (o.kind != json::value::number || !o.integral || o.integer < 0)
                bad(fmt::format("tensor '{}' has invalid data_offsets", name));
            range[k] = static_cast<std::uint64_t>(o.integer);
        }
        if (range[0] > range[1] || range[1] > data_size)
            bad(fmt::format("tensor '{}' spans bytes [{}, {}) of a {}-byte data section "
                            "(truncated file?)",
                            name, range[0], range[1], data_size));
        if (range[1] - range[0] != count * elem)
            bad(fmt::format("tensor '{}' of shape {} needs {} bytes but spans {}", name,
                            to_string(s), count * elem, range[1] - range[0]));
        ranges.emplace_back(range[0], range[1]);
        if (!readable)
        {
            out.unsupported.emplace(name, dt->str);
            continue;
        }
        Tensor t = Tensor::empty(s, d);
        std::memcpy(t.raw_data(), data + range[0], range[1] - range[0]);
        out.tensors.emplace(name, std::move(t));
    }
    // The tensors must tile the data section exactly: no overlaps, no gaps, nothing extra.
    std::sort(ranges.begin(), ranges.end());
    std::uint64_t at = 0;
    for (const auto& r : ranges)
    {
        if (r.first != at)
            bad(fmt::format("tensor data overlaps or leaves a gap at byte {}", at));
        at = r.second;
    }
    if (at != data_size)
        bad(fmt::format("{} bytes of data follow the last tensor", data_size - at));
    return out;
}

const Tensor& tensor_file::at(const std::string& name) const
{
    auto it = tensors.find(name);
    if (it != tensors.end())
        return it->second;
    check_supported(name);
    fail<value_error>("tensor_file: no tensor named '{}'", name);
}

void tensor_file::check_supported(const std::string& name) const
{
    auto it = unsupported.find(name);
    if (it != unsupported.end())
        fail<value_error>("tensor '{}' has dtype {}, which xgrad cannot load (it reads F32, F64, "
                          "I64 and I32; convert it before saving, e.g. tensor.float() in PyTorch)",
                          name, it->second);
}

} // namespace xgrad::io
