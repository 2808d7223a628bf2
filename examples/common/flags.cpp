#include "examples/common/flags.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace cli
{
namespace
{
std::string show(double v)
{
    std::ostringstream o;
    o.precision(15);
    o << v;
    return o.str();
}

std::size_t edit_distance(const std::string& a, const std::string& b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
    {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
        {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
            diag = up;
        }
    }
    return row[b.size()];
}

// --help was asked for: parse() prints the help, parse_or_throw() reports it as an error.
struct help_requested
{};
} // namespace

bool parse_unsigned(const std::string& s, std::uint64_t& out)
{
    if (s.empty() || s.size() > 20)
        return false;
    std::uint64_t v = 0;
    for (char c : s)
    {
        if (c < '0' || c > '9')
            return false;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
            return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

bool parse_double(const std::string& s, double& out, bool allow_infinite)
{
    // Only plain decimal syntax: strtod alone would also take leading spaces, hex floats and
    // "nan(...)".
    if (s.empty() || s.find_first_not_of("0123456789+-.eE") != std::string::npos)
    {
        if (!allow_infinite || (s != "inf" && s != "+inf" && s != "-inf"))
            return false;
        out = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        return true;
    }
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || std::isnan(v))
        return false;
    if (errno == ERANGE && std::isinf(v) && !allow_infinite)
        return false; // 1e400: not representable
    out = v;
    return true;
}

std::size_t metadata_size(const std::map<std::string, std::string>& m, const std::string& key,
                          const std::string& source, std::size_t lo, std::size_t hi)
{
    const auto it = m.find(key);
    if (it == m.end())
        throw std::runtime_error(source + ": the metadata has no '" + key + "'");
    std::uint64_t v = 0;
    if (!parse_unsigned(it->second, v) || v < lo || v > hi)
        throw std::runtime_error(source + ": metadata '" + key + "' is '" + it->second +
                                 "', not an integer from " + std::to_string(lo) + " to " +
                                 std::to_string(hi));
    return static_cast<std::size_t>(v);
}

std::size_t checked_mul(std::size_t a, std::size_t b, const std::string& what)
{
    if (b != 0 && a > std::numeric_limits<std::size_t>::max() / b)
        throw std::runtime_error(what + ": the size overflows (" + std::to_string(a) + " x " +
                                 std::to_string(b) + ")");
    return a * b;
}

std::size_t checked_add(std::size_t a, std::size_t b, const std::string& what)
{
    if (a > std::numeric_limits<std::size_t>::max() - b)
        throw std::runtime_error(what + ": the size overflows (" + std::to_string(a) + " + " +
                                 std::to_string(b) + ")");
    return a + b;
}

void check_parameter_count(std::size_t count, const std::string& sizes)
{
    if (count > max_parameters)
        throw usage_error("a model of " + sizes + " would have " + std::to_string(count) +
                          " parameters, more than the limit of " + std::to_string(max_parameters) +
                          " (2^28)");
}

// ---- flag -----------------------------------------------------------------------------------

flags::flag& flags::flag::at_least(double v)
{
    if (k != kind::real && k != kind::integer)
        throw std::logic_error("--" + name + ": a numeric bound on a non-numeric flag");
    lo = v;
    lo_open = false;
    return *this;
}
flags::flag& flags::flag::above(double v)
{
    at_least(v);
    lo_open = true;
    return *this;
}
flags::flag& flags::flag::at_most(double v)
{
    if (k != kind::real && k != kind::integer)
        throw std::logic_error("--" + name + ": a numeric bound on a non-numeric flag");
    hi = v;
    hi_open = false;
    return *this;
}
flags::flag& flags::flag::below(double v)
{
    at_most(v);
    hi_open = true;
    return *this;
}
flags::flag& flags::flag::or_zero()
{
    zero_ok = true;
    return *this;
}
flags::flag& flags::flag::finite_only()
{
    if (k != kind::real)
        throw std::logic_error("--" + name + ": finite_only() on a non-real flag");
    infinite_ok = false;
    return *this;
}
flags::flag& flags::flag::allow_infinite()
{
    if (k != kind::real)
        throw std::logic_error("--" + name + ": allow_infinite() on a non-real flag");
    infinite_ok = true;
    return *this;
}
flags::flag& flags::flag::one_of(std::vector<std::string> c)
{
    if (k != kind::text)
        throw std::logic_error("--" + name + ": one_of() on a non-text flag");
    choices = std::move(c);
    return *this;
}
flags::flag& flags::flag::not_empty()
{
    if (k != kind::text)
        throw std::logic_error("--" + name + ": not_empty() on a non-text flag");
    nonempty = true;
    return *this;
}
flags::flag& flags::flag::hide_default()
{
    show_default = false;
    return *this;
}

std::string flags::flag::range() const
{
    if (k == kind::toggle)
        return "";
    if (k == kind::text)
    {
        if (!choices.empty())
        {
            std::string s = "one of ";
            for (std::size_t i = 0; i < choices.size(); ++i)
                s += (i ? ", " : "") + choices[i];
            return s;
        }
        return nonempty ? "a non-empty value" : "";
    }
    std::string s = k == kind::integer ? "an integer" : "a number";
    if (lo && hi && !lo_open && !hi_open)
        s += " from " + show(*lo) + " to " + show(*hi);
    else
    {
        if (lo)
            s += (lo_open ? " > " : " >= ") + show(*lo);
        if (hi)
            s += (lo ? " and" : "") + std::string(hi_open ? " < " : " <= ") + show(*hi);
    }
    if (k == kind::integer && !lo && !hi)
        s = "a non-negative integer";
    if (k == kind::real && !lo && !hi)
        s = "a finite number";
    return zero_ok ? "0 or " + s : s;
}

std::string flags::flag::check(const std::string& v)
{
    const std::string accepted = range().empty() ? "" : " (accepted: " + range() + ")";
    if (k == kind::toggle)
    {
        set_text(v);
        return "";
    }
    if (k == kind::text)
    {
        if ((nonempty || !choices.empty()) && v.empty())
            return "--" + name + ": '' is not a valid value" + accepted;
        if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end())
            return "--" + name + ": '" + v + "' is not a valid value" + accepted;
        set_text(v);
        return "";
    }
    // Outside the declared bounds (0 passes when or_zero() allows it).
    auto outside = [&](double x) {
        if (zero_ok && x == 0)
            return false;
        return (lo && (x < *lo || (lo_open && x == *lo))) ||
               (hi && (x > *hi || (hi_open && x == *hi)));
    };
    if (k == kind::integer)
    {
        std::uint64_t u = 0;
        if (!parse_unsigned(v, u))
            return "--" + name + ": '" + v + "' is not a valid value" + accepted;
        if (outside(static_cast<double>(u)))
            return "--" + name + ": '" + v + "' is out of range" + accepted;
        set_text(v); // stored from the text: a double cannot hold every 64-bit value
        return "";
    }
    double x = 0;
    if (!parse_double(v, x, infinite_ok))
        return "--" + name + ": '" + v + "' is not a valid value" + accepted;
    if (outside(x))
        return "--" + name + ": '" + v + "' is out of range" + accepted;
    set_number(x);
    return "";
}

// ---- flags ----------------------------------------------------------------------------------

flags::flag& flags::push(flag e)
{
    entries_.push_back(std::move(e));
    return entries_.back();
}

flags::flag& flags::add(const std::string& name, std::string& v, const std::string& help)
{
    flag e;
    e.name = name;
    e.help = help;
    e.def = v;
    e.k = flag::kind::text;
    e.set_text = [&v](const std::string& s) {
        v = s;
    };
    return push(std::move(e));
}

flags::flag& flags::add(const std::string& name, double& v, const std::string& help)
{
    flag e;
    e.name = name;
    e.help = help;
    e.def = show(v);
    e.k = flag::kind::real;
    e.set_number = [&v](double x) {
        v = x;
    };
    return push(std::move(e));
}

flags::flag& flags::add(const std::string& name, std::size_t& v, const std::string& help)
{
    flag e;
    e.name = name;
    e.help = help;
    e.def = std::to_string(v);
    e.k = flag::kind::integer;
    e.set_text = [&v](const std::string& s) {
        std::uint64_t u = 0;
        parse_unsigned(s, u);
        v = static_cast<std::size_t>(u);
    };
    return push(std::move(e));
}

flags::flag& flags::add(const std::string& name, std::uint64_t& v, const std::string& help, int)
{
    flag e;
    e.name = name;
    e.help = help;
    e.def = std::to_string(v);
    e.k = flag::kind::integer;
    e.set_text = [&v](const std::string& s) {
        parse_unsigned(s, v);
    };
    return push(std::move(e));
}

flags::flag& flags::add(const std::string& name, bool& v, const std::string& help)
{
    flag e;
    e.name = name;
    e.help = help;
    e.k = flag::kind::toggle;
    e.show_default = false;
    e.set_text = [&v](const std::string&) {
        v = true;
    };
    return push(std::move(e));
}

bool flags::given(const std::string& name) const
{
    return std::find(given_.begin(), given_.end(), name) != given_.end();
}

std::string flags::help() const
{
    std::string out = usage_ + "\n\nOptions:\n";
    for (const auto& e : entries_)
    {
        std::string left = "  --" + e.name + (e.k == flag::kind::toggle ? "" : " V");
        if (left.size() < 24)
            left.append(24 - left.size(), ' ');
        else
            left += "  ";
        std::string notes;
        if (e.show_default && !e.def.empty())
            notes = "default " + e.def;
        const std::string r = e.range();
        if (!r.empty())
            notes += (notes.empty() ? "" : "; ") + r;
        out += left + e.help + (notes.empty() ? "" : " (" + notes + ")") + "\n";
    }
    out += "  --help                print this help\n";
    if (!positionals_.empty())
        out += "  --                    end of options: the rest are " + positionals_ + "s\n";
    return out;
}

std::string flags::suggestion(const std::string& word) const
{
    std::string best;
    std::size_t best_d = 3;
    for (const auto& e : entries_)
    {
        const std::size_t d = edit_distance(word, e.name);
        if (d < best_d && d <= std::max<std::size_t>(1, e.name.size() / 3))
        {
            best_d = d;
            best = e.name;
        }
    }
    return best.empty() ? "" : " (did you mean --" + best + "?)";
}

std::vector<std::string> flags::parse_args(const std::vector<std::string>& args)
{
    std::vector<std::string> rest;
    given_.clear();
    bool options = true;
    for (std::size_t i = 0; i < args.size(); ++i)
    {
        const std::string& a = args[i];
        if (!(options && a.size() > 1 && a[0] == '-'))
        {
            if (positionals_.empty())
            {
                const std::string hint = suggestion(a);
                throw usage_error("unexpected argument '" + a +
                                  "': this command takes only --options" +
                                  (hint.empty() ? " (see --help)" : hint));
            }
            rest.push_back(a);
            continue;
        }
        if (a == "--")
        {
            options = false;
            continue;
        }
        if (a == "--help" || a == "-h")
            throw help_requested{};
        if (a[1] != '-')
            throw usage_error("unknown option " + a + ": options are spelled --name (see --help)");
        std::string name = a.substr(2), value;
        const auto eq = name.find('=');
        const bool inline_value = eq != std::string::npos;
        if (inline_value)
        {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        flag* e = nullptr;
        for (auto& x : entries_)
            if (x.name == name)
                e = &x;
        if (!e)
        {
            const std::string hint = suggestion(name);
            throw usage_error("unknown option --" + name + (hint.empty() ? " (see --help)" : hint));
        }
        if (e->k == flag::kind::toggle)
        {
            if (inline_value)
                throw usage_error("--" + name + " is a switch: it takes no value (got '" + value +
                                  "')");
        }
        else if (!inline_value)
        {
            if (i + 1 >= args.size())
            {
                const std::string r = e->range();
                throw usage_error("--" + name + " needs a value" +
                                  (r.empty() ? "" : " (" + r + ")"));
            }
            value = args[++i];
        }
        const std::string problem = e->check(value);
        if (!problem.empty())
            throw usage_error(problem);
        given_.push_back(name);
    }
    return rest;
}

std::vector<std::string> flags::parse_or_throw(const std::vector<std::string>& args)
{
    try
    {
        return parse_args(args);
    }
    catch (const help_requested&)
    {
        throw usage_error("--help");
    }
}

std::vector<std::string> flags::parse(int argc, char** argv, int first)
{
    // "rnnlm train: error: ...": the program's file name, and the subcommand if there is one.
    std::string program = argc > 0 ? argv[0] : "program";
    program = program.substr(program.find_last_of('/') + 1);
    if (first >= 2 && argc >= 2)
        program += std::string(" ") + argv[1];
    const std::vector<std::string> args(argv + std::min(first, argc), argv + argc);
    try
    {
        return parse_args(args);
    }
    catch (const help_requested&)
    {
        std::fputs(help().c_str(), stdout);
        std::exit(0);
    }
    catch (const usage_error& e)
    {
        std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
        std::exit(2);
    }
}

int run_commands(const std::string& program, int argc, char** argv,
                 const std::vector<std::pair<std::string, command>>& commands)
{
    std::string names;
    for (const auto& c : commands)
        names += (names.empty() ? "" : "|") + c.first;
    const std::string usage = "usage: " + program + " " + names + " [options]   (" + program +
                              " COMMAND --help for its options)\n";
    const std::string cmd = argc >= 2 ? argv[1] : "";
    if (cmd == "--help" || cmd == "-h")
    {
        std::fputs(usage.c_str(), stdout);
        return 0;
    }
    for (const auto& c : commands)
    {
        if (c.first != cmd)
            continue;
        try
        {
            return c.second(argc, argv);
        }
        catch (const usage_error& e)
        {
            std::fprintf(stderr, "%s %s: error: %s\n", program.c_str(), cmd.c_str(), e.what());
            return 2;
        }
        catch (const std::exception& e)
        {
            std::fprintf(stderr, "%s %s: error: %s\n", program.c_str(), cmd.c_str(), e.what());
            return 1;
        }
    }
    if (!cmd.empty())
    {
        // One line, like every other usage error.
        std::fprintf(stderr, "%s: error: unknown command '%s' (%s; see %s --help)\n",
                     program.c_str(), cmd.c_str(), names.c_str(), program.c_str());
        return 2;
    }
    std::fputs(usage.c_str(), stderr);
    return 2;
}

} // namespace cli
