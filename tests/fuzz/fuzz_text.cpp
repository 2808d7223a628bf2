// The examples' corpus reading and tokenisation (examples/text): a corpus file's bytes read as a
// CSV file and as a text file, each document tokenised, and a character vocabulary built.
// Malformed input gives std::runtime_error; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "examples/text/corpus.hpp"
#include "examples/text/tokenizer.hpp"
#include "examples/text/vocabulary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    for (const char* name : {"fuzz.csv", "fuzz.txt"})
    {
        try
        {
            for (const std::string& doc : text::parse_corpus(bytes, name))
                for (const auto& sentence : text::tokenize_document(doc))
                    for (const auto& token : sentence)
                        if (token.empty())
                            __builtin_trap(); // the tokenizer never yields an empty token
        }
        catch (const std::runtime_error&)
        {}
    }
    try
    {
        const text::char_vocabulary v(bytes);
        if (v.encode(bytes).size() != bytes.size())
            __builtin_trap();
    }
    catch (const std::runtime_error&)
    {}
    return 0;
}
