#!/usr/bin/env bash
# Trains and scores both tasks with the defaults (each at most --time-budget minutes, default 30):
# UPOS on UD English-EWT (softmax output) and NER on WNUT17 (CRF output with BIO constraints).
#   examples/tagger/run.sh [BUILD_DIR] [MINUTES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
minutes=${2:-30}
bin="$build/examples/tagger"
data="$root/data"
out=$(mktemp -d /tmp/xgrad-tagger-run-XXXXXX)
trap 'rm -rf "$out"' EXIT

echo "== UPOS, UD English-EWT 2.15"
"$bin" train --out "$out/upos" --time-budget "$minutes" | tee "$out/upos.log"
echo "== NER, WNUT17"
"$bin" train --train "$data/wnut17/wnut17train.conll" --dev "$data/wnut17/emerging.dev.conll" \
  --test "$data/wnut17/emerging.test.annotated" --output crf --out "$out/ner" \
  --time-budget "$minutes" | tee "$out/ner.log"

echo "UPOS test accuracy = $(sed -n 's/^test accuracy = //p' "$out/upos.log")"
echo "WNUT17 test F1 = $(sed -n 's/^test F1 = //p' "$out/ner.log")"
