// Vocabulary files (text::vocabulary::load, one token per line): any contents give a vocabulary
// that encodes and decodes consistently, or std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "examples/text/vocabulary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try
    {
        const text::vocabulary v = text::vocabulary::parse(
            std::string(reinterpret_cast<const char*>(data), size), "fuzz.txt");
        // Every id maps back to a word whose id is valid (a repeated word keeps one of its ids).
        for (std::size_t i = 0; i < v.size(); ++i)
        {
            const std::int64_t id = v.id(v.word(static_cast<std::int64_t>(i)));
            if (id < 0 || static_cast<std::size_t>(id) >= v.size())
                __builtin_trap();
        }
        const auto ids = v.encode({"a", "\xff"});
        if (ids.size() != 4 || ids.front() != v.start_id() || ids.back() != v.end_id())
            __builtin_trap();
    }
    catch (const std::runtime_error&)
    {}
    return 0;
}
