// The tagger's corpus readers (examples/tagger/conll.hpp) on any bytes: the first byte picks
// CoNLL-U with the UPOS or XPOS column or the two-column format. Every input must end in a
// result or the documented std::runtime_error; a result has a tag per word, no empty word and
// no empty sentence.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "examples/tagger/conll.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const int mode = data[0] % 3;
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    try
    {
        const auto sentences = mode == 2
                                   ? tagger::parse_two_column(bytes, "fuzz")
                                   : tagger::parse_conllu(bytes,
                                                          mode == 0 ? tagger::conllu_column::upos
                                                                    : tagger::conllu_column::xpos,
                                                          "fuzz");
        for (const tagger::sentence& s : sentences)
        {
            if (s.words.empty() || s.words.size() != s.tags.size() || s.line == 0)
                __builtin_trap();
            for (std::size_t i = 0; i < s.words.size(); ++i)
                if (s.words[i].empty() || s.tags[i].empty())
                    __builtin_trap();
        }
    }
    catch (const std::runtime_error&)
    {}
    return 0;
}
