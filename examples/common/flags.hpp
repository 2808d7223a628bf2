// A small command-line flag parser shared by the example programs: --name value or --name=value,
// boolean switches, --help generated from the registered flags with their defaults and ranges.
//
// Each program states a flag's accepted values once, where it declares it:
//     f.add("batch", batch, "sentences per step").at_least(1);
//     f.add("valid", valid, "held-out fraction").at_least(0).below(1);
//     f.add("cell", cell, "recurrent cell").one_of({"rnn", "lstm", "gru"});
// parse() then refuses anything else with one line naming the flag, the value and the range,
// and exits 2 (a usage error); --help shows the range next to the default.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cli
{

// A command line that cannot work (a bad flag value, flags that contradict each other or the
// data): run_commands prints it like any error but exits 2, as parse() does.
struct usage_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

// Strict number parsing, shared with the readers of model metadata: the whole string must be the
// number (no spaces, no trailing junk). Unsigned: decimal digits only (no sign), no overflow.
// Double: a decimal number; NaN, infinities and overflow are refused unless allow_infinite
// (NaN never).
bool parse_unsigned(const std::string& s, std::uint64_t& out);
bool parse_double(const std::string& s, double& out, bool allow_infinite = false);

// A size stored as text in a file's metadata, e.g. "hidden" of a weight file: returns it, or
// throws std::runtime_error saying which key of which file is bad and why.
std::size_t metadata_size(const std::map<std::string, std::string>& m, const std::string& key,
                          const std::string& source, std::size_t lo, std::size_t hi);

// a * b and a + b, throwing std::runtime_error naming `what` on overflow.
std::size_t checked_mul(std::size_t a, std::size_t b, const std::string& what);
std::size_t checked_add(std::size_t a, std::size_t b, const std::string& what);

// The largest model the examples build: 2^28 parameters (1 GiB of float32 weights, about 4 with
// gradients and Adam's moments). Throws cli::usage_error naming the sizes beyond it, before
// anything is allocated.
constexpr std::size_t max_parameters = std::size_t(1) << 28;
void check_parameter_count(std::size_t count, const std::string& sizes);

class flags
{
public:
    // The accepted values of one flag, chained after add(). Numeric bounds apply to numeric
    // flags, one_of/not_empty to string flags; a check of the wrong kind throws std::logic_error
    // (a programming error). Only values given on the command line are checked: a default
    // outside the range is a sentinel (e.g. "-1: chosen from --optim"; hide it with
    // hide_default()).
    class flag
    {
    public:
        flag& at_least(double lo);
        flag& above(double lo); // exclusive
        flag& at_most(double hi);
        flag& below(double hi); // exclusive
        flag& in_range(double lo, double hi) { return at_least(lo).at_most(hi); }
        flag& positive() { return above(0); }
        flag& or_zero();        // 0 (meaning "off") is accepted besides the range
        flag& finite_only();    // the default for doubles; states it
        flag& allow_infinite(); // doubles: accept inf (never NaN)
        flag& one_of(std::vector<std::string> choices);
        flag& not_empty();
        flag& hide_default();

    private:
        friend class flags;
        enum class kind
        {
            text,
            real,
            integer,
            toggle
        };
        std::string name, help, def;
        kind k;
        std::function<void(double)> set_number;           // doubles
        std::function<void(const std::string&)> set_text; // strings, integers, switches
        std::optional<double> lo, hi;
        bool lo_open = false, hi_open = false, zero_ok = false, infinite_ok = false;
        bool nonempty = false, show_default = true;
        std::vector<std::string> choices;
        std::string range() const;               // "an integer >= 1", "one of rnn, lstm, gru"
        std::string check(const std::string& v); // "" when accepted, else why not
    };

    // usage: the first lines of --help (what the program does, how to call it).
    explicit flags(std::string usage) : usage_(std::move(usage)) {}

    flag& add(const std::string& name, std::string& v, const std::string& help);
    flag& add(const std::string& name, double& v, const std::string& help);
    flag& add(const std::string& name, std::size_t& v, const std::string& help);
    // std::uint64_t is std::size_t on some platforms: the tag keeps the overloads distinct.
    flag& add(const std::string& name, std::uint64_t& v, const std::string& help, int tag);
    flag& add(const std::string& name, bool& v, const std::string& help); // a switch

    // The command takes positional arguments (named `what` in messages, e.g. "SENTENCE");
    // without this a stray word is refused.
    void positionals(std::string what) { positionals_ = std::move(what); }

    // Parses argv[first..]: the positional arguments are returned in order; "--" ends the
    // options. Prints --help and exits 0 on --help; on an unknown flag, a stray word or a value
    // outside the flag's range prints one line "PROGRAM: error: ..." and exits 2.
    std::vector<std::string> parse(int argc, char** argv, int first = 1);

    // Whether the last parse() saw the flag on the command line.
    bool given(const std::string& name) const;

    // The same as parse() but throws usage_error instead of printing and exiting (for tests).
    std::vector<std::string> parse_or_throw(const std::vector<std::string>& args);

    std::string help() const;

private:
    flag& push(flag e);
    std::vector<std::string> parse_args(const std::vector<std::string>& args);
    std::string suggestion(const std::string& word) const; // " (did you mean --x?)" or ""
    std::string usage_, positionals_;
    std::deque<flag> entries_; // a deque: add()'s returned references stay valid
    std::vector<std::string> given_;
};

// A program made of subcommands ("rnnlm train ..."): runs the one named by argv[1] with the
// whole argv (its flags start at argv[2]). No or an unknown command prints the usage and returns
// 2; an exception is printed as "PROGRAM COMMAND: error: WHAT" and returns 1 (2 for a
// usage_error).
using command = std::function<int(int argc, char** argv)>;
int run_commands(const std::string& program, int argc, char** argv,
                 const std::vector<std::pair<std::string, command>>& commands);

} // namespace cli
