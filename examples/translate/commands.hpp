// The subcommands of `translate` and what they share.
#pragma once

#include <string>
#include <vector>

#include "examples/translate/bleu.hpp"
#include "examples/translate/decode.hpp"

namespace mt
{

int train_command(int argc, char** argv);
int translate_command(int argc, char** argv);
int evaluate_command(int argc, char** argv);

std::string default_data();

// Translates held-out sources (raw text) and scores them against their references.
bleu_score score_held_out(Seq2Seq& m, const vocab& src, const vocab& tgt,
                          const std::vector<std::string>& sources,
                          const std::vector<std::vector<std::string>>& references,
                          const decode_options& o, std::vector<std::string>* hypotheses = nullptr);

} // namespace mt
