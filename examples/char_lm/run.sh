#!/usr/bin/env bash
# The documented char_lm run: one epoch (at most 3 minutes) of a 2-layer LSTM (hidden 256) on
# tinyshakespeare, then 300 sampled characters.   usage: examples/char_lm/run.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
"$build/examples/char_lm" train --out "$build/char-model" --epochs 1 --time-budget 3 --seed 1
"$build/examples/char_lm" sample --model "$build/char-model" --prime "ROMEO:" --length 300 \
  --temperature 0.8 --seed 1
