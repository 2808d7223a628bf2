#include "examples/common/flags.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace cli
{
namespace
{
template <class T>
bool parse_number(const std::string& s, T& out)
{
    std::istringstream in(s);
    T v{};
    if (!(in >> v) || !in.eof())
        return false;
    out = v;
    return true;
}
std::string show(double v)
{
    std::ostringstream o;
    o << v;
    return o.str();
}
} // namespace

void flags::add(const std::string& name, std::string& v, const std::string& help)
{
    entries_.push_back({name, help, v.empty() ? "" : v, false, [&v](const std::string& s) {
                            v = s;
                            return true;
                        }});
}

void flags::add(const std::string& name, double& v, const std::string& help)
{
    entries_.push_back({name, help, show(v), false, [&v](const std::string& s) {
                            return parse_number(s, v);
                        }});
}

void flags::add(const std::string& name, std::size_t& v, const std::string& help)
{
    entries_.push_back({name, help, std::to_string(v), false, [&v](const std::string& s) {
                            return s.find('-') == std::string::npos && parse_number(s, v);
                        }});
}

void flags::add(const std::string& name, std::uint64_t& v, const std::string& help, int)
{
    entries_.push_back({name, help, std::to_string(v), false, [&v](const std::string& s) {
                            return s.find('-') == std::string::npos && parse_number(s, v);
                        }});
}

void flags::add(const std::string& name, bool& v, const std::string& help)
{
    entries_.push_back({name, help, "", true, [&v](const std::string&) {
                            v = true;
                            return true;
                        }});
}

std::string flags::help() const
{
    std::string out = usage_ + "\n\nOptions:\n";
    for (const auto& e : entries_)
    {
        std::string left = "  --" + e.name + (e.is_switch ? "" : " V");
        if (left.size() < 24)
            left.append(24 - left.size(), ' ');
        else
            left += "  ";
        out += left + e.help + (e.def.empty() ? "" : " (default " + e.def + ")") + "\n";
    }
    out += "  --help                print this help\n";
    return out;
}

std::vector<std::string> flags::parse(int argc, char** argv, int first)
{
    std::vector<std::string> rest;
    for (int i = first; i < argc; ++i)
    {
        std::string a = argv[i];
        if (a == "--help" || a == "-h")
        {
            std::fputs(help().c_str(), stdout);
            std::exit(0);
        }
        if (a.rfind("--", 0) != 0 || a.size() == 2)
        {
            rest.push_back(a);
            continue;
        }
        std::string name = a.substr(2), value;
        const auto eq = name.find('=');
        const bool inline_value = eq != std::string::npos;
        if (inline_value)
        {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        const entry* e = nullptr;
        for (const auto& x : entries_)
            if (x.name == name)
                e = &x;
        if (!e)
        {
            std::fprintf(stderr, "error: unknown option --%s (see --help)\n", name.c_str());
            std::exit(2);
        }
        if (!e->is_switch && !inline_value)
        {
            if (i + 1 >= argc)
            {
                std::fprintf(stderr, "error: --%s needs a value\n", name.c_str());
                std::exit(2);
            }
            value = argv[++i];
        }
        if (!e->set(value))
        {
            std::fprintf(stderr, "error: --%s: '%s' is not a valid value\n", name.c_str(),
                         value.c_str());
            std::exit(2);
        }
    }
    return rest;
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
        catch (const std::exception& e)
        {
            std::fprintf(stderr, "%s %s: error: %s\n", program.c_str(), cmd.c_str(), e.what());
            return 1;
        }
    }
    if (!cmd.empty())
        std::fprintf(stderr, "%s: unknown command '%s'\n", program.c_str(), cmd.c_str());
    std::fputs(usage.c_str(), stderr);
    return 2;
}

} // namespace cli
