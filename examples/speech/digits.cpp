#include "examples/speech/digits.hpp"

#include <sstream>
#include <stdexcept>

namespace speech
{

const std::vector<std::string>& digit_words()
{
    static const std::vector<std::string> words{"zero", "oh",  "one",   "two",   "three", "four",
                                                "five", "six", "seven", "eight", "nine"};
    return words;
}

std::size_t digit_classes()
{
    return digit_words().size() + 1;
}

std::vector<std::int64_t> parse_transcript(const std::string& text)
{
    std::vector<std::int64_t> out;
    std::istringstream in(text);
    std::string w;
    while (in >> w)
    {
        std::size_t i = 0;
        while (i < digit_words().size() && digit_words()[i] != w)
            ++i;
        if (i == digit_words().size())
            throw std::invalid_argument("'" + w + "' in \"" + text +
                                        "\" is not a digit word (zero, oh, one ... nine)");
        out.push_back(static_cast<std::int64_t>(i + 1));
    }
    return out;
}

std::string transcript(const std::vector<std::int64_t>& labels)
{
    std::string out;
    for (const std::int64_t l : labels)
    {
        if (l < 1 || static_cast<std::size_t>(l) >= digit_classes())
            throw std::invalid_argument("label " + std::to_string(l) + " is not a digit word");
        out += (out.empty() ? "" : " ") + digit_words()[static_cast<std::size_t>(l - 1)];
    }
    return out;
}

std::string digit_string(const std::vector<std::int64_t>& labels)
{
    std::string out;
    for (const std::int64_t l : labels)
        out += l <= 2 ? '0' : static_cast<char>('0' + (l - 2));
    return out;
}

} // namespace speech
