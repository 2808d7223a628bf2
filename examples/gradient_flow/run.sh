#!/usr/bin/env bash
# The gradient-flow study with the defaults (adding task, T = 100, five cells, with and without
# clipping), written into BUILD_DIR/gradient-flow: grad_norms.csv, grad_spectrum.csv,
# grad_summary.csv, grad_training.csv and, with gnuplot, grad_init.png,
# grad_during_training.png and grad_curves.png. Further arguments go to gradient_flow (e.g.
# --task copy, --length 200, --resume after an interruption).
#   examples/gradient_flow/run.sh [BUILD_DIR] [gradient_flow options]
set -euo pipefail
build=${1:-build}
shift || true
"$build/examples/gradient_flow" --out "$build/gradient-flow" "$@"
