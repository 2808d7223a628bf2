// The scorers of examples/metrics: any bytes as conlleval input (several delimiter and raw-mode
// settings) and as hypothesis/reference text for corpus BLEU (every tokenizer). Malformed input
// gives std::invalid_argument or std::runtime_error; a result is always within its range.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "examples/metrics/bleu.hpp"
#include "examples/metrics/conlleval.hpp"

namespace
{

// exp(log(...)) of a perfect match may round to 100 + 1 ulp, as in sacreBLEU.
bool percent(double v)
{
    return v >= 0 && v <= 100 + 1e-9;
}

std::vector<std::string> lines_of(const std::string& s)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == '\n')
        {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const int mode = data[0] % 4;
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (mode < 2) // conlleval
    {
        metrics::conlleval_options o;
        if (mode == 1)
        {
            o.delimiter = "\\s+";
            o.raw = bytes.size() % 2 == 0;
        }
        metrics::conlleval c(o);
        for (const std::string& line : lines_of(bytes))
            try
            {
                c.add_line(line);
            }
            catch (const std::runtime_error&)
            {}
        const metrics::conlleval_result r = c.result();
        if (r.overall.correct > r.overall.found || r.overall.correct > r.overall.gold ||
            !percent(r.overall.f1) || !percent(r.accuracy) || r.report().empty())
            __builtin_trap();
        return 0;
    }
    // BLEU: hypotheses before the first tab, references after it, a segment per line.
    const std::size_t tab = bytes.find('\t');
    auto hyps = lines_of(bytes.substr(0, tab));
    auto refs = tab == std::string::npos ? hyps : lines_of(bytes.substr(tab + 1));
    refs.resize(hyps.size());
    static const char* tokenizers[] = {"13a", "none", "char", "intl"};
    metrics::bleu_options o;
    o.tokenize = tokenizers[(size + mode) % 4];
    o.lowercase = mode == 3;
    o.smooth = static_cast<metrics::bleu_smooth>(size % 4);
    try
    {
        const metrics::bleu_score s = metrics::corpus_bleu(hyps, {refs}, o);
        if (!percent(s.score) || s.bp < 0 || s.bp > 1)
            __builtin_trap();
        for (double p : s.precisions)
            if (!percent(p))
                __builtin_trap();
    }
    catch (const std::invalid_argument&)
    {}
    catch (const std::runtime_error&)
    {}
    return 0;
}
