#!/usr/bin/env bash
# The documented xgrad-metrics runs: corpus BLEU of sacreBLEU's README example (2 reference
# streams), then conlleval on the CoNLL-2000 example.   usage: examples/metrics/run.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
src="$(cd "$(dirname "$0")/../.." && pwd)"
tmp=$(mktemp -d /tmp/xgrad-metrics-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
printf 'The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n' > "$tmp/ref1.txt"
printf 'The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n' > "$tmp/ref2.txt"
printf "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n" |
  "$build/examples/xgrad-metrics" bleu --ref "$tmp/ref1.txt,$tmp/ref2.txt"
"$build/examples/xgrad-metrics" conlleval "$src/tests/examples/fixtures/conlleval-cases.txt"
