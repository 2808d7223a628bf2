// Tagging whole data sets and scoring the result: accuracy over all words and separately over
// words outside / inside the training vocabulary (POS), and conlleval's chunk precision, recall
// and F1 with the per-type table (NER, BIO tag sets).
#pragma once

#include <string>
#include <vector>

#include "examples/metrics/conlleval.hpp"
#include "examples/tagger/model.hpp"

namespace tagger
{

// The predicted tags of every sentence, batched by length (eval mode, no tape).
std::vector<std::vector<std::string>> tag_all(tagger_model& m, const std::vector<sentence>& data,
                                              std::size_t batch_size);

struct scores
{
    std::size_t tokens = 0, correct = 0, oov = 0, oov_correct = 0;
    bool chunks = false; // scored by chunks (BIO tag set)
    metrics::conlleval_result chunk;
    double accuracy() const { return tokens ? 100.0 * double(correct) / double(tokens) : 0; }
    double oov_accuracy() const { return oov ? 100.0 * double(oov_correct) / double(oov) : 0; }
    double iv_accuracy() const
    {
        return tokens > oov ? 100.0 * double(correct - oov_correct) / double(tokens - oov) : 0;
    }
    // What early stopping maximises: chunk F1 for BIO tag sets, else accuracy.
    double main() const { return chunks ? chunk.overall.f1 : accuracy(); }
};

// A word is out of vocabulary when its normalized form is not in the model's word list.
scores score(const tagger_model& m, const std::vector<sentence>& data,
             const std::vector<std::vector<std::string>>& predicted);

// "token gold pred" lines as conlleval reads them, an empty line after each sentence (spaces
// inside a token become '_', so the columns stay three).
std::string conll_lines(const std::vector<sentence>& data,
                        const std::vector<std::vector<std::string>>& predicted);

// One line "NAME accuracy 95.12% (OOV 80.1% of 1234, in-vocabulary 96.3%)", and for chunks
// conlleval's report.
std::string format_scores(const std::string& name, const scores& s);

} // namespace tagger
