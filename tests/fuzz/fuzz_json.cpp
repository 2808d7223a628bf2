// The JSON reader of safetensors headers (io::json::parse): any text gives a value or an io_error;
// nesting is bounded, so no input exhausts the stack.
#include <cstddef>
#include <cstdint>
#include <string>

#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/io/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try
    {
        xgrad::io::json::parse(std::string(reinterpret_cast<const char*>(data), size));
    }
    catch (const xgrad::io_error&)
    {}
    return 0;
}
