#!/usr/bin/env bash
# A distributed run that cannot work fails at once with a message:
#   - one rank dies (exit without MPI_Finalize) while the others wait in an allreduce: mpirun
#     ends the job with an error within seconds instead of hanging
#   - a distributed program started without mpirun refuses to start, naming mpirun
# Usage: fault.sh FAULT_BINARY MPIEXEC
set -uo pipefail
bin=$1 mpiexec=$2
failures=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

start=$(date +%s)
timeout 120 "$mpiexec" --oversubscribe -np 2 "$bin" early-exit >"$out" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
if [ "$rc" -eq 124 ]; then
  echo "FAIL: a rank exited early and the job hung (killed after 120 s)"; failures=1
elif [ "$rc" -eq 0 ]; then
  echo "FAIL: a rank exited early and mpirun reported success"; cat "$out"; failures=1
elif grep -q "the allreduce returned" "$out"; then
  echo "FAIL: an allreduce completed without rank 1"; failures=1
elif ! grep -qi "exit" "$out"; then
  echo "FAIL: no message about the exited rank:"; cat "$out"; failures=1
else
  echo "ok: a rank exited early: the job failed (exit $rc) after ${elapsed} s with: $(grep -i -m1 'exit' "$out")"
fi

env -u OMPI_COMM_WORLD_SIZE -u PMIX_RANK -u PMI_RANK -u PMI_SIZE "$bin" alone >"$out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "not started by mpirun; run it as \`mpirun -np N" "$out"; then
  echo "ok: without mpirun: $(cat "$out")"
else
  echo "FAIL: without mpirun (exit $rc):"; cat "$out"; failures=1
fi
exit $failures
