#!/usr/bin/env bash
# The documented custom_cell run: a user-defined cell trained bidirectional and stacked, then
# gradient-checked.   usage: examples/custom_cell/run.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
"$build/examples/custom_cell" --seed 1
