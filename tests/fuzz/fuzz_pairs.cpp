// The parallel-corpus reader of examples/translate (source<TAB>target lines): any bytes give
// pairs with two non-empty sides that tokenise into non-empty tokens and split by source, or
// std::runtime_error naming the problem.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "examples/translate/data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    for (bool reverse : {false, true})
        try
        {
            const auto pairs = mt::parse_pairs(bytes, "fuzz.tsv", reverse);
            for (const auto& p : pairs)
            {
                if (p.source.empty() || p.target.empty())
                    __builtin_trap();
                for (const auto& t : mt::tokenize(p.source))
                    if (t.empty())
                        __builtin_trap();
            }
            const mt::corpus_split s = mt::split_by_source(pairs, 1, 1, size);
            if (s.train.size() + s.valid.sources.size() + s.test.sources.size() > pairs.size())
                __builtin_trap();
        }
        catch (const std::runtime_error&)
        {}
    return 0;
}
