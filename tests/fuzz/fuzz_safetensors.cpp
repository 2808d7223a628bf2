// Safetensors files (io::parse_tensors, the whole of load_tensors after the read): any byte
// string gives a tensor_file or an io_error, never a crash or an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xgrad/autograd/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace xgrad;
    try
    {
        const io::tensor_file f =
            io::parse_tensors(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
        // What was accepted must be readable to its last byte (ASan checks the sizes).
        volatile unsigned char sink = 0;
        for (const auto& [name, t] : f.tensors)
            if (t.nbytes() > 0)
                sink = sink ^ static_cast<const unsigned char*>(t.raw_data())[t.nbytes() - 1];
        for (const auto& [name, code] : f.unsupported)
            try
            {
                f.at(name);
                __builtin_trap(); // an unsupported entry must not be returned
            }
            catch (const value_error&)
            {}
    }
    catch (const io_error&)
    {}
    return 0;
}
