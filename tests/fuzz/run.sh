#!/usr/bin/env bash
# One fuzz target's short run, as CTest runs it:
#   run.sh TARGET_EXE SEED_DIR WORK_DIR SECONDS
# Fuzzes a fresh copy of the seeds (libFuzzer adds what it finds to its corpus folder; the seeds
# stay as generated), writes any crashing input to WORK_DIR/artifacts/, and fails on a crash,
# leak, timeout or sanitizer report (libFuzzer's exit status).
set -euo pipefail
exe="$1"
seeds="$2"
work="$3"
seconds="$4"
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
cp -r "$seeds"/. "$work/corpus/"
# -timeout: an input that takes over 10 s is a hang, reported as a failure;
# -rss_limit_mb: the default 2 GB, stated, since a huge allocation is a bug here too.
exec "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
     -artifact_prefix="$work/artifacts/" "$work/corpus"
