#!/usr/bin/env bash
# The documented gradcheck run: a 2-layer bidirectional LSTM over a batch of lengths 5, 3, 1,
# and the tutorial model, in float64.   usage: examples/gradcheck/run.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
"$build/examples/gradcheck" --cell lstm --layers 2 --bidirectional --lengths 5,3,1
