#!/usr/bin/env bash
# Makes the spoken-digits corpus with espeak-ng, trains the default recogniser (at most MINUTES
# minutes, default 18) and scores it on the test split: voices and speeds never heard in
# training. Ends with "LER = x%".
#   examples/speech/run.sh [BUILD_DIR] [MINUTES]
set -euo pipefail
build=${1:-build}
minutes=${2:-18}
bin="$build/examples/speech"
work="$build/speech-run"
mkdir -p "$work"

echo "== make-data: 4000 train, 300 dev, 600 test utterances (seed 1)"
"$bin" make-data --out "$work/data"
echo "== train: 2 x BiLSTM 256 over 40 log-mel x 3 frames, CTC, Adam (at most $minutes minutes)"
rm -rf "$work/model"
"$bin" train --data "$work/data" --out "$work/model" --time-budget "$minutes" \
  --plot "$work/curves"
echo "== recognise two test files"
"$bin" recognise --model "$work/model" "$work/data/test/000001.wav" "$work/data/test/000002.wav"
echo "== evaluate on the test split (held-out voices and speeds)"
"$bin" evaluate --model "$work/model" --data "$work/data" --split test --show 8 \
  | tee "$work/evaluate.txt"
