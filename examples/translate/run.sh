#!/usr/bin/env bash
# The default English -> German job: train the attention translator on the shipped Tatoeba
# 50k pairs for at most 12 minutes (validation BLEU every epoch, the best model kept in
# MODEL/best), translate a few sentences, then score the held-out test sources greedily and with
# beam 5, ending with the sacreBLEU-style line and signature.
#   usage: examples/translate/run.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
tr="$build/examples/translate"
model="$build/translate-model"

echo "== training (bi-GRU 256x2 encoder, GRU 512 decoder, Luong general attention, Adam; at most 12 minutes)"
"$tr" train --out "$model" --time-budget 12 --seed 1

echo
echo "== translations (beam 5)"
"$tr" translate --model "$model/best" --beam 5 "I am hungry." "Tom is reading a book." \
  "Where is the station?"

echo
echo "== held-out test BLEU, greedy"
"$tr" evaluate --model "$model/best"
echo
echo "== held-out test BLEU, beam 5 (alpha 0.6)"
"$tr" evaluate --model "$model/best" --beam 5
