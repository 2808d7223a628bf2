#!/usr/bin/env bash
# The engine demo: fit sin(3x) with a tiny network, then a gradient check.
#   usage: examples/demo/run.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
"$build/examples/xgrad-demo" --seed 1
