// A small command-line flag parser shared by the example programs: --name value or --name=value,
// boolean switches, --help generated from the registered flags with their defaults.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
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

// A program made of subcommands ("rnnlm train ..."): runs the one named by argv[1] with the
// whole argv (its flags start at argv[2]). No or an unknown command prints the usage and returns
// 2; an exception is printed as "PROGRAM COMMAND: error: WHAT" and returns 1.
using command = std::function<int(int argc, char** argv)>;
int run_commands(const std::string& program, int argc, char** argv,
                 const std::vector<std::pair<std::string, command>>& commands);

} // namespace cli
