#!/usr/bin/env bash
# Makes the shapes dataset, trains the default captioner (Show, Attend and Tell; at most MINUTES
# minutes, default 18), describes two pictures with their attention, and scores the seen-pairs
# test split and the unseen-pairs split, each with the image-shuffle control. Ends with the
# test split's "exact match = x%" and BLEU-4.
#   examples/caption/run.sh [BUILD_DIR] [MINUTES]
set -euo pipefail
build=${1:-build}
minutes=${2:-18}
bin="$build/examples/caption"
work="$build/caption-run"
mkdir -p "$work"

echo "== make-data: 8000 train, 500 valid, 500 test, 500 unseen scenes (seed 1)"
"$bin" make-data --out "$work/data"
echo "== train: CNN 32-64-64 + LSTM 256 with additive attention (at most $minutes minutes)"
rm -rf "$work/model"
"$bin" train --data "$work/data" --out "$work/model" --time-budget "$minutes" \
  --plot "$work/curves"
echo "== describe two pictures (attention per word in $work/attention/)"
"$bin" describe --model "$work/model" --attention-plot "$work/attention" \
  "$work/data/samples/test-0.png" "$work/data/samples/unseen-0.png"
echo "== evaluate: colour-shape pairs never seen in training"
"$bin" evaluate --model "$work/model" --data "$work/data" --split unseen --show 5
echo "== evaluate: seen pairs (the held-out test split)"
"$bin" evaluate --model "$work/model" --data "$work/data" --split test --show 5
