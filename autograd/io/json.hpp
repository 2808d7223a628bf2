// A small JSON reader and string escaper, enough for safetensors headers (objects, arrays,
// strings, integers). It follows RFC 8259 strictly: numbers as its grammar writes them (no "+1",
// "01", "1.", ".5", "-", "1e"), strings with no raw control characters, valid UTF-8 only, and
// \u escapes whose surrogates come in pairs. Malformed input throws io_error with the byte
// offset of the problem; nesting is limited, so a hostile header cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xgrad::io::json
{

struct value
{
    enum kind_t
    {
        null,
        boolean,
        number,
        string,
        array,
        object
    } kind = null;
    bool b = false;
    double num = 0;        // every number
    bool integral = false; // the number was written without fraction or exponent
    std::int64_t integer = 0;
    std::string str;
    std::vector<value> items;
    std::vector<std::pair<std::string, value>> members; // in file order

    const value* find(const std::string& key) const;
};

// Parses a whole document; throws io_error("json: ... at offset N") on malformed input. A
// number beyond double's range (1e400) is refused; one too small for it (1e-400) reads as 0.
// An integer (no fraction or exponent) must also fit int64 (value::integer), else io_error.
value parse(const std::string& text);

// Whether text is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates U+D800..DFFF,
// nothing past U+10FFFF, no truncated sequence).
bool valid_utf8(std::string_view text);
// Offset of the first byte that does not start a well-formed UTF-8 sequence, or npos.
std::size_t utf8_invalid_at(std::string_view text);

// Appends the code point cp (at most U+10FFFF, not a surrogate) to out, encoded as UTF-8.
void append_utf8(std::string& out, char32_t cp);

// "text" with JSON escapes. text should be valid UTF-8 (check with valid_utf8): other bytes are
// copied as they are, and the result is then not valid JSON.
std::string quote(const std::string& text);

} // namespace xgrad::io::json
