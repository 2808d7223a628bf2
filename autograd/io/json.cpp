#include "xgrad/autograd/io/json.hpp"

#include <cerrno>
#include <cstdlib>

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

constexpr int max_depth = 32;

struct parser
{
    const std::string& s;
    std::size_t i = 0;

    [[noreturn]] void bad(const char* what) const
    {
        fail<io_error>("json: {} at offset {}", what, i);
    }
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

    static void utf8(std::string& out, unsigned cp)
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

    unsigned hex4()
    {
        if (i + 4 > s.size())
            bad("short \\u escape");
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
                bad("bad \\u escape");
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
                bad("control character in string");
            if (c != '\\')
            {
                out += c;
                continue;
            }
            if (i >= s.size())
                bad("unterminated escape");
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
                unsigned cp = hex4();
                if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i] == '\\' &&
                    s[i + 1] == 'u')
                {
                    i += 2;
                    const unsigned lo = hex4();
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                utf8(out, cp);
                break;
            }
            default:
                bad("bad escape");
            }
        }
    }

    value number()
    {
        const std::size_t start = i;
        bool integral = true;
        if (i < s.size() && s[i] == '-')
            ++i;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' ||
                                s[i] == 'E' || s[i] == '+' || s[i] == '-'))
        {
            if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
                integral = false;
            ++i;
        }
        const std::string text = s.substr(start, i - start);
        char* end = nullptr;
        value v;
        v.kind = value::number;
        v.num = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size())
            bad("bad number");
        v.integral = integral;
        if (integral)
        {
            errno = 0;
            v.integer = std::strtoll(text.c_str(), &end, 10);
            if (errno == ERANGE)
                bad("integer out of range");
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

value parse(const std::string& text)
{
    parser p{text};
    value v = p.parse(0);
    p.ws();
    if (p.i != text.size())
        p.bad("trailing characters");
    return v;
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
