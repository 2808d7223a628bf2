// xgrad-metrics: the metrics library on the command line.
//   xgrad-metrics bleu --ref REF.txt [--ref REF2.txt ...] [options] < HYP.txt
//     prints sacreBLEU's text line, "BLEU|nrefs:1|...|version:xgrad-1.0 = 48.53 82.4/...".
//   xgrad-metrics conlleval [--delimiter D] [--raw] [--o-tag O] [FILE] (standard input without
//   FILE) prints conlleval's report.
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "examples/common/flags.hpp"
#include "examples/metrics/bleu.hpp"
#include "examples/metrics/conlleval.hpp"
#include "xgrad/autograd/io/read_file.hpp"

namespace
{

// The lines of a stream as Python's file iteration sees them after sacreBLEU's rstrip: the
// "\n" goes (rstrip would remove it anyway), a final line without "\n" still counts.
std::vector<std::string> read_lines(std::istream& in)
{
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

std::vector<std::string> read_file_lines(const std::string& path)
{
    std::istringstream in(xgrad::io::read_file(path));
    return read_lines(in);
}

int bleu_command(int argc, char** argv)
{
    std::string refs_flag, smooth = "exp", smooth_value, tokenize = "13a";
    bool lowercase = false, effective_order = false;
    std::size_t order = 4;
    cli::flags f("usage: xgrad-metrics bleu --ref REF.txt[,REF2.txt...] [options] < HYP.txt\n"
                 "Corpus BLEU computed as sacreBLEU 2.x does; one segment per line, the k-th "
                 "reference file holds the k-th reference of every line.");
    f.add("ref", refs_flag, "reference files, comma-separated (required)");
    f.add("tokenize", tokenize, "13a, none, char or intl");
    f.add("smooth", smooth, "exp, floor, add-k or none");
    f.add("smooth-value", smooth_value, "floor/add-k value (empty: 0.1 / 1)");
    f.add("lowercase", lowercase, "lowercase before tokenizing");
    f.add("effective-order", effective_order, "average over the orders with n-grams");
    f.add("order", order, "maximum n-gram order");
    if (!f.parse(argc, argv, 2).empty())
        throw std::invalid_argument("bleu reads the hypotheses from standard input; use --ref "
                                    "for reference files");
    if (refs_flag.empty())
        throw std::invalid_argument("--ref is required");
    metrics::bleu_options o;
    o.tokenize = tokenize;
    o.smooth = metrics::parse_bleu_smooth(smooth);
    if (!smooth_value.empty())
    {
        std::size_t used = 0;
        o.smooth_value = std::stod(smooth_value, &used);
        if (used != smooth_value.size())
            throw std::invalid_argument("--smooth-value: not a number: " + smooth_value);
    }
    o.lowercase = lowercase;
    o.effective_order = effective_order;
    o.max_ngram_order = static_cast<int>(order);

    std::vector<std::vector<std::string>> refs;
    std::size_t start = 0;
    while (start <= refs_flag.size())
    {
        std::size_t comma = refs_flag.find(',', start);
        if (comma == std::string::npos)
            comma = refs_flag.size();
        refs.push_back(read_file_lines(refs_flag.substr(start, comma - start)));
        start = comma + 1;
    }
    const std::vector<std::string> hyps = read_lines(std::cin);
    std::puts(metrics::corpus_bleu(hyps, refs, o).format(true).c_str());
    return 0;
}

int conlleval_command(int argc, char** argv)
{
    metrics::conlleval_options o;
    cli::flags f("usage: xgrad-metrics conlleval [options] [FILE]\n"
                 "Chunk precision/recall/F1 exactly as the CoNLL-2000 conlleval script: the last "
                 "two columns are the gold and the predicted tag; reads standard input without "
                 "FILE.");
    f.add("delimiter", o.delimiter, "column separator, a regular expression as in the script (-d)");
    f.add("raw", o.raw, "tags without B-/I- prefixes (-r)");
    f.add("o-tag", o.o_tag, "the outside tag with --raw (-o)");
    f.positionals("FILE");
    const auto files = f.parse(argc, argv, 2);
    if (files.size() > 1)
        throw cli::usage_error("conlleval takes at most one FILE");
    metrics::conlleval_result r;
    if (files.empty())
    {
        metrics::conlleval c(o);
        std::string line;
        while (std::getline(std::cin, line))
            c.add_line(line);
        r = c.result();
    }
    else
        r = metrics::conlleval_file(files[0], o);
    std::fputs(r.report().c_str(), stdout);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    return cli::run_commands("xgrad-metrics", argc, argv,
                             {{"bleu", bleu_command}, {"conlleval", conlleval_command}});
}
