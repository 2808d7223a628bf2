#include "xgrad/autograd/io/json.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "xgrad/autograd/error.hpp"

namespace xgrad::io::json
{

const value* value::find(const std::string& key) const
{
    for (const auto& m : members)
        if (m.first == key)
            return &m.second;
    return nullptr;
}

namespace
{

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when there is none
// (RFC 3629, table 3-7 of Unicode: no overlong forms, no surrogates, nothing past U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i)
{
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80)
        return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF; // the allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF)
        n = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF)
    {
        n = 3;
        if (b0 == 0xE0)
            lo = 0xA0; // overlong below U+0800
        else if (b0 == 0xED)
            hi = 0x9F; // U+D800..U+DFFF are surrogates
    }
    else if (b0 >= 0xF0 && b0 <= 0xF4)
    {
        n = 4;
        if (b0 == 0xF0)
            lo = 0x90; // overlong below U+10000
        else if (b0 == 0xF4)
            hi = 0x8F; // past U+10FFFF
    }
    else
        return 0; // a continuation byte, C0/C1 (always overlong) or F5..FF
    if (n > s.size() - i)
        return 0;
    for (std::size_t k = 1; k < n; ++k)
    {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
            return 0;
    }
    return n;
}

constexpr int max_depth = 32;

struct parser
{
    const std::string& s;
    std::size_t i = 0;

    [[noreturn]] void bad(const char* what) const { bad_at(what, i); }
    [[noreturn]] void bad_at(const char* what, std::size_t at) const
    {
        fail<io_error>("json: {} at offset {}", what, at);
    }
    bool digit_at(std::size_t k) const { return k < s.size() && s[k] >= '0' && s[k] <= '9'; }
    void ws()
    {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            ++i;
    }
    bool eat(char c)
    {
        ws();
        if (i < s.size() && s[i] == c)
        {
            ++i;
            return true;
        }
        return false;
    }
    void expect(char c)
    {
        if (!eat(c))
            bad("unexpected character");
    }
    void literal(const char* word)
    {
        for (const char* p = word; *p; ++p, ++i)
            if (i >= s.size() || s[i] != *p)
                bad("bad literal");
    }

    // The 4 hex digits of a \\u escape that starts (at its backslash) at `escape`.
    unsigned hex4(std::size_t escape)
    {
        if (s.size() - i < 4)
            bad_at("short \\u escape", escape);
        unsigned v = 0;
        for (int k = 0; k < 4; ++k)
        {
            const char c = s[i++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<unsigned>(c - 'A' + 10);
            else
                bad_at("bad \\u escape", escape);
        }
        return v;
    }

    std::string string()
    {
        expect('"');
        std::string out;
        while (true)
        {
            if (i >= s.size())
                bad("unterminated string");
            const char c = s[i++];
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20)
                bad_at("control character in string (escape it)", i - 1);
            if (static_cast<unsigned char>(c) >= 0x80)
            {
                // Raw bytes must be UTF-8 (RFC 8259 section 8.1): copied as a whole sequence.
                const std::size_t n = utf8_length(s, i - 1);
                if (n == 0)
                    bad_at("invalid UTF-8 in string", i - 1);
                out.append(s, i - 1, n);
                i += n - 1;
                continue;
            }
            if (c != '\\')
            {
                out += c;
                continue;
            }
            const std::size_t escape = i - 1;
            if (i >= s.size())
                bad_at("unterminated escape", escape);
            const char e = s[i++];
            switch (e)
            {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u':
            {
                unsigned cp = hex4(escape);
                if (cp >= 0xDC00 && cp < 0xE000)
                    bad_at("lone low surrogate in \\u escape", escape);
                if (cp >= 0xD800 && cp < 0xDC00)
                {
                    // Only a low surrogate escape may follow; anything else is an error, never
                    // consumed as part of this one.
                    if (s.size() - i < 2 || s[i] != '\\' || s[i + 1] != 'u')
                        bad_at("lone high surrogate in \\u escape", escape);
                    const std::size_t second = i;
                    i += 2;
                    const unsigned lo = hex4(second);
                    if (lo < 0xDC00 || lo >= 0xE000)
                        bad_at("high surrogate not followed by a low surrogate", escape);
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                append_utf8(out, cp);
                break;
            }
            default:
                bad_at("bad escape", escape);
            }
        }
    }

    // RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    value number()
    {
        const std::size_t start = i;
        if (i < s.size() && s[i] == '-')
            ++i;
        if (!digit_at(i))
            bad_at(i == start ? "unexpected character" : "digit expected after '-'", i);
        if (s[i] == '0' && digit_at(i + 1))
            bad_at("leading zero in number", i);
        std::size_t first_nonzero = std::string::npos; // of the significand's digits
        std::int64_t point = 0;                        // digits before the decimal point
        for (; digit_at(i); ++i, ++point)
            if (first_nonzero == std::string::npos && s[i] != '0')
                first_nonzero = static_cast<std::size_t>(point);
        bool integral = true;
        std::int64_t position = point;
        if (i < s.size() && s[i] == '.')
        {
            integral = false;
            ++i;
            if (!digit_at(i))
                bad_at("digit expected after '.'", i);
            for (; digit_at(i); ++i, ++position)
                if (first_nonzero == std::string::npos && s[i] != '0')
                    first_nonzero = static_cast<std::size_t>(position);
        }
        std::int64_t exponent = 0;
        if (i < s.size() && (s[i] == 'e' || s[i] == 'E'))
        {
            integral = false;
            ++i;
            bool negative = false;
            if (i < s.size() && (s[i] == '+' || s[i] == '-'))
                negative = s[i++] == '-';
            if (!digit_at(i))
                bad_at("digit expected in exponent", i);
            for (; digit_at(i); ++i)
                exponent = std::min<std::int64_t>(exponent * 10 + (s[i] - '0'), 1 << 30);
            if (negative)
                exponent = -exponent;
        }
        value v;
        v.kind = value::number;
        v.integral = integral;
        const char* b = s.data() + start;
        const char* e = s.data() + i;
        // from_chars: locale-independent (strtod would read "1.5" as 1 under a "1,5" locale).
        const auto r = std::from_chars(b, e, v.num);
        if (r.ec == std::errc::result_out_of_range)
        {
            // Too large for a double, or so small it rounds to zero: the decimal exponent of
            // the first significant digit tells which.
            const std::int64_t magnitude =
                exponent + point - static_cast<std::int64_t>(first_nonzero) - 1;
            if (first_nonzero != std::string::npos && magnitude > 0)
                bad_at("number out of the range of a double", start);
            v.num = s[start] == '-' ? -0.0 : 0.0;
        }
        else if (r.ec != std::errc() || r.ptr != e)
            bad_at("bad number", start);
        if (integral)
        {
            const auto ri = std::from_chars(b, e, v.integer);
            if (ri.ec != std::errc() || ri.ptr != e)
                bad_at("integer out of range", start);
        }
        return v;
    }

    value parse(int depth)
    {
        if (depth > max_depth)
            bad("nesting too deep");
        ws();
        if (i >= s.size())
            bad("unexpected end");
        value v;
        const char c = s[i];
        if (c == '{')
        {
            ++i;
            v.kind = value::object;
            if (eat('}'))
                return v;
            do
            {
                ws();
                std::string key = string();
                expect(':');
                v.members.emplace_back(std::move(key), parse(depth + 1));
            } while (eat(','));
            expect('}');
        }
        else if (c == '[')
        {
            ++i;
            v.kind = value::array;
            if (eat(']'))
                return v;
            do
                v.items.push_back(parse(depth + 1));
            while (eat(','));
            expect(']');
        }
        else if (c == '"')
        {
            v.kind = value::string;
            v.str = string();
        }
        else if (c == 't' || c == 'f')
        {
            v.kind = value::boolean;
            v.b = c == 't';
            literal(v.b ? "true" : "false");
        }
        else if (c == 'n')
            literal("null");
        else
            v = number();
        return v;
    }
};

} // namespace

std::size_t utf8_invalid_at(std::string_view text)
{
    for (std::size_t i = 0; i < text.size();)
    {
        const std::size_t n = utf8_length(text, i);
        if (n == 0)
            return i;
        i += n;
    }
    return std::string_view::npos;
}

bool valid_utf8(std::string_view text)
{
    return utf8_invalid_at(text) == std::string_view::npos;
}

value parse(const std::string& text)
{
    parser p{text};
    value v = p.parse(0);
    p.ws();
    if (p.i != text.size())
        p.bad("trailing characters");
    return v;
}

void append_utf8(std::string& out, char32_t cp)
{
    if (cp < 0x80)
        out += static_cast<char>(cp);
    else if (cp < 0x800)
    {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    else if (cp < 0x10000)
    {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    else
    {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string quote(const std::string& text)
{
    std::string out = "\"";
    for (const char c : text)
    {
        switch (c)
        {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20)
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            else
                out += c;
        }
    }
    return out + "\"";
}

} // namespace xgrad::io::json
