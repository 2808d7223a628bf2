// Corpus BLEU computed exactly as sacreBLEU 2.x computes it (sacrebleu/metrics/bleu.py):
// same preprocessing (Python str.lower(), str.rstrip(), str.split() with Unicode whitespace),
// same tokenizers ('13a', 'none', 'char', 'intl'), same clipping against several references,
// same closest-reference length, same smoothing and the same floating-point formulas, so the
// scores agree to the last bits on the shared sacreBLEU test vectors.
//
// Strings are UTF-8. Invalid UTF-8 throws std::invalid_argument (Python would have refused to
// decode the file). Scores are on sacreBLEU's 0-100 scale.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace metrics
{

enum class bleu_smooth
{
    exp,   // NIST geometric decay: the k-th order with no match gets 100 / (2^k * total)
    floor, // an order with no match gets 100 * value / total (default value 0.1)
    add_k, // value added to matches and total of orders >= 2 (default value 1)
    none   // an order with no match drives the score to 0
};

// "exp", "floor", "add-k", "none" (sacreBLEU's names); throws std::invalid_argument otherwise.
bleu_smooth parse_bleu_smooth(const std::string& name);
// The sacreBLEU name of a method.
std::string bleu_smooth_name(bleu_smooth method);

struct bleu_options
{
    // "13a" (mteval-v13a, sacreBLEU's default), "none", "char" or "intl" (mteval-v14
    // international: \p{N}/\p{P}/\p{S} classes as Python's `regex` module 2026.5.9 has them,
    // see gen_unicode_tables.py; an older `regex` may differ on recently assigned characters).
    // sacreBLEU's other tokenizers (zh, ja-mecab, ko-mecab, spm, flores101/200) need external
    // models or tables and are refused with std::invalid_argument naming the tokenizer.
    std::string tokenize = "13a";
    bool lowercase = false; // Python str.lower() before tokenizing
    bleu_smooth smooth = bleu_smooth::exp;
    std::optional<double> smooth_value; // unset: the method's default (floor 0.1, add-k 1)
    // Stop at the first order with no n-grams and average over the orders seen (what sentence
    // BLEU uses); otherwise missing orders count as zero precision.
    bool effective_order = false;
    int max_ngram_order = 4;
};

// Summed sufficient statistics of a corpus, before any smoothing.
struct bleu_stats
{
    std::vector<std::int64_t> counts; // clipped matches per order 1..N
    std::vector<std::int64_t> totals; // hypothesis n-grams per order 1..N
    std::int64_t sys_len = 0;         // hypothesis tokens
    std::int64_t ref_len = 0;         // closest reference length, summed over segments
};

struct bleu_score
{
    double score = 0;               // 0-100
    std::vector<double> precisions; // per order, 0-100, after smoothing (as sacreBLEU reports)
    double bp = 0;                  // brevity penalty
    double ratio = 0;               // sys_len / ref_len (0 when ref_len is 0)
    bleu_stats stats;               // before smoothing (sacreBLEU's add-k also alters its copy)
    std::string signature;          // empty when computed from bare statistics

    // sacreBLEU's text line: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944
    // hyp_len = 17 ref_len = 18)", or "BLEU|<signature> = ..." when with_signature is set and
    // a signature is known.
    std::string format(bool with_signature = false, int width = 2) const;
};

// BLEU.compute_bleu: the score from summed statistics. The maximum order is counts.size();
// counts and totals must have the same, non-zero size (std::invalid_argument otherwise).
bleu_score bleu_from_stats(const bleu_stats& stats, bleu_smooth smooth = bleu_smooth::exp,
                           std::optional<double> smooth_value = std::nullopt,
                           bool effective_order = false);

// A tokenizer by name applied to one (already rstripped/lowercased) segment, returning the
// tokenized string exactly as sacreBLEU's tokenizer object returns it. Throws
// std::invalid_argument for an unknown or unsupported tokenizer or invalid UTF-8.
std::string tokenize(const std::string& line, const std::string& tokenizer = "13a");
// sacreBLEU's Tokenizer13a()(line).
std::string tokenize_13a(const std::string& line);
// Python's str.lower() (full mappings, Final_Sigma context, Unicode 14.0 as in Python 3.11).
std::string python_lower(const std::string& line);
// Python's str.split() with no argument: runs of Unicode whitespace (including NBSP, U+2009,
// U+3000, ...) separate tokens; no empty tokens.
std::vector<std::string> python_split(const std::string& line);

// The signature sacreBLEU prints, e.g. "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:
// xgrad-1.0". nrefs < 0 means a variable number of references ("nrefs:var"). The version field
// names this implementation, not a sacreBLEU release, so a score cannot be mistaken for one
// produced by sacreBLEU itself. A maximum order other than 4 adds "order:N" (sacreBLEU's
// signature omits it although it changes the score).
std::string bleu_signature(const bleu_options& options, int nrefs);

// Adds one segment at a time and keeps the summed statistics, so a corpus never has to be in
// memory. Options are checked at construction (std::invalid_argument).
class bleu_accumulator
{
public:
    explicit bleu_accumulator(bleu_options options = {});

    // One hypothesis and its references (at least one; they may differ in number between
    // segments, which makes the signature say nrefs:var). An empty-string reference is a
    // reference of length 0, as in sacreBLEU. Throws std::invalid_argument with no
    // references or invalid UTF-8; nothing is added then.
    void add(const std::string& hypothesis, const std::vector<std::string>& references);

    std::size_t segments() const { return segments_; }
    const bleu_stats& stats() const { return stats_; }
    const bleu_options& options() const { return options_; }
    // The corpus score so far (0 with no segments), with the signature once a segment is in.
    bleu_score score() const;
    // Throws std::runtime_error before the first segment (the number of references is
    // unknown then, as in sacreBLEU).
    std::string signature() const;

private:
    bleu_options options_;
    bleu_stats stats_;
    std::size_t segments_ = 0;
    std::set<std::size_t> nrefs_seen_;
};

// sacreBLEU's corpus_bleu(hyps, refs): refs is a list of reference streams, refs[k][i] the k-th
// reference of hypothesis i. Throws std::invalid_argument when there are no hypotheses or
// streams, when a stream's length differs from the number of hypotheses (sacreBLEU would
// silently truncate), or on invalid UTF-8.
bleu_score corpus_bleu(const std::vector<std::string>& hypotheses,
                       const std::vector<std::vector<std::string>>& references,
                       const bleu_options& options = {});
// The same where some hypotheses have fewer references: a missing entry (std::nullopt, Python's
// None) is skipped; a hypothesis with no reference at all throws std::invalid_argument. (A
// separate name because brace-initialised arguments would make an overload ambiguous.)
bleu_score
corpus_bleu_with_missing(const std::vector<std::string>& hypotheses,
                         const std::vector<std::vector<std::optional<std::string>>>& references,
                         const bleu_options& options = {});

} // namespace metrics
