// A small command-line flag parser shared by the example programs: --name value or --name=value,
// boolean switches, --help generated from the registered flags with their defaults.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cli
{

class flags
{
public:
    // usage: the first lines of --help (what the program does, how to call it).
    explicit flags(std::string usage) : usage_(std::move(usage)) {}

    void add(const std::string& name, std::string& v, const std::string& help);
    void add(const std::string& name, double& v, const std::string& help);
    void add(const std::string& name, std::size_t& v, const std::string& help);
    void add(const std::string& name, std::uint64_t& v, const std::string& help, int tag);
    void add(const std::string& name, bool& v, const std::string& help); // a switch

    // Parses argv[first..]; arguments that are not flags are returned in order. Prints --help
    // and exits 0 on --help; prints the problem and exits 2 on an unknown flag or a bad value.
    std::vector<std::string> parse(int argc, char** argv, int first = 1);

    std::string help() const;

private:
    struct entry
    {
        std::string name, help, def;
        bool is_switch;
        std::function<bool(const std::string&)> set;
    };
    std::string usage_;
    std::vector<entry> entries_;
};

} // namespace cli
