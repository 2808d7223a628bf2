#include "examples/tagger/eval.hpp"

#include <fmt/core.h>

namespace tagger
{

std::vector<std::vector<std::string>> tag_all(tagger_model& m, const std::vector<sentence>& data,
                                              std::size_t batch_size)
{
    std::vector<std::vector<std::string>> out(data.size());
    for (const auto& which : length_batches(data, batch_size))
    {
        const batch b = make_batch(data, which, m.words, m.tags, m.cfg.max_chars);
        const auto p = m.predict(b);
        for (std::size_t j = 0; j < which.size(); ++j)
            for (std::int64_t id : p[j])
                out[which[j]].push_back(m.tags.name(id));
    }
    return out;
}

std::string conll_lines(const std::vector<sentence>& data,
                        const std::vector<std::vector<std::string>>& predicted)
{
    std::string out;
    for (std::size_t i = 0; i < data.size(); ++i)
    {
        for (std::size_t t = 0; t < data[i].words.size(); ++t)
        {
            std::string w = data[i].words[t];
            for (char& c : w)
                if (c == ' ')
                    c = '_';
            out += w + ' ' + data[i].tags[t] + ' ' + predicted[i][t] + '\n';
        }
        out += '\n';
    }
    return out;
}

scores score(const tagger_model& m, const std::vector<sentence>& data,
             const std::vector<std::vector<std::string>>& predicted)
{
    scores s;
    s.chunks = m.tags.is_bio();
    for (std::size_t i = 0; i < data.size(); ++i)
        for (std::size_t t = 0; t < data[i].words.size(); ++t)
        {
            const bool ok = data[i].tags[t] == predicted[i][t];
            const bool oov = m.words.id(data[i].words[t]) == unk_id;
            ++s.tokens;
            s.correct += ok;
            s.oov += oov;
            s.oov_correct += oov && ok;
        }
    if (s.chunks)
    {
        metrics::conlleval c;
        c.add_text(conll_lines(data, predicted));
        s.chunk = c.result();
    }
    return s;
}

std::string format_scores(const std::string& name, const scores& s)
{
    std::string out =
        fmt::format("{} accuracy {:.2f}% of {} words (OOV {:.2f}% of {}, "
                    "in-vocabulary {:.2f}%)\n",
                    name, s.accuracy(), s.tokens, s.oov_accuracy(), s.oov, s.iv_accuracy());
    if (s.chunks)
        out += s.chunk.report();
    return out;
}

} // namespace tagger
