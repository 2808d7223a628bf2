// A small JSON reader and string escaper, enough for safetensors headers (objects, arrays,
// strings, integers). Malformed input throws io_error with the offset; nesting is limited, so a
// hostile header cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
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

// Parses a whole document; throws io_error("json: ... at offset N") on malformed input.
value parse(const std::string& text);

// "text" with JSON escapes.
std::string quote(const std::string& text);

} // namespace xgrad::io::json
