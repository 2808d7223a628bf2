#!/usr/bin/env bash
# rnnlm train and char_lm train under `mpirun -np N ... --distributed`, run by CTest when
# xgrad::distributed is built:
#   distributed.sh BUILD_EXAMPLES_DIR SOURCE_DIR MPIEXEC
# - N processes report the same losses as one process on the same --batch (2 and 3 ranks)
# - only rank 0 logs and writes checkpoints
# - --resume with the same N continues bit-exactly (the weight files are byte-identical)
# - a --batch that does not divide, and --distributed without mpirun, are refused by name
set -u
bin="$1" src="$2" mpiexec="$3"
tmp=$(mktemp -d /tmp/xgrad-dist-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
pass() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
mpi() { local n=$1; shift; "$mpiexec" --oversubscribe -np "$n" "$@"; }
# The per-epoch result lines (no progress bar).
results() { grep -E '^epoch [0-9]+: |^initial' "$1"; }

head -n 800 "$src/data/tinyshakespeare.txt" > "$tmp/small.txt"
rn=("$bin/rnnlm" train --data "$tmp/small.txt" --vocab 300 --hidden 16 --batch 6 --epochs 2
    --optim adam --clip 1 --seed 3)
ch=("$bin/char_lm" train --data "$tmp/small.txt" --hidden 24 --embed 8 --layers 2 --batch 6
    --seq 20 --epochs 2 --max-chars 20000 --clip 1)

for prog in rnnlm char_lm; do
  if [ $prog = rnnlm ]; then cmd=("${rn[@]}"); else cmd=("${ch[@]}"); fi
  "${cmd[@]}" --out "$tmp/$prog-1" > "$tmp/$prog-1.log" 2>&1 || fail "$prog: one process"
  for n in 2 3; do
    if ! mpi $n "${cmd[@]}" --out "$tmp/$prog-$n" --distributed > "$tmp/$prog-$n.log" 2>&1; then
      fail "$prog on $n processes: $(tail -3 "$tmp/$prog-$n.log")"
      continue
    fi
    if diff <(results "$tmp/$prog-1.log" | grep -v initial) \
            <(results "$tmp/$prog-$n.log" | grep -v initial) > /dev/null; then
      pass "$prog: $n processes report one process's losses ($(results "$tmp/$prog-$n.log" | tail -1))"
    else
      fail "$prog: $n processes differ from one: $(diff <(results "$tmp/$prog-1.log") <(results "$tmp/$prog-$n.log"))"
    fi
    saved=$(grep -c "model saved" "$tmp/$prog-$n.log")
    gens=$(find "$tmp/$prog-$n" -maxdepth 1 -name 'gen-*' | wc -l)
    if [ "$saved" -eq 1 ] && grep -q "gradient allreduce: .* ms per step over $n processes" "$tmp/$prog-$n.log" &&
       [ -L "$tmp/$prog-$n/current" ] && [ "$gens" -ge 1 ]; then
      pass "$prog: only rank 0 logs and checkpoints ($gens generation(s) kept)"
    else
      fail "$prog: $saved 'model saved' lines, $gens generations"
    fi
  done
  # --resume under the same N: stop after 7 steps, continue, compare with the straight run.
  mpi 2 "${cmd[@]}" --out "$tmp/$prog-r" --distributed --max-steps 7 > /dev/null 2>&1
  mpi 2 "${cmd[@]}" --out "$tmp/$prog-r" --distributed --resume > "$tmp/$prog-r.log" 2>&1
  if cmp -s "$tmp/$prog-2/current/model.safetensors" "$tmp/$prog-r/current/model.safetensors" &&
     cmp -s "$tmp/$prog-2/current/optimizer.safetensors" "$tmp/$prog-r/current/optimizer.safetensors"; then
    pass "$prog: --resume on 2 processes continues bit-exactly"
  else
    fail "$prog: --resume on 2 processes: the files differ ($(tail -2 "$tmp/$prog-r.log"))"
  fi
done

# Refusals.
out=$(mpi 2 "${ch[@]}" --batch 7 --out "$tmp/bad" --distributed 2>&1)
if echo "$out" | grep -q -- "--batch 7 does not divide among 2 processes" && [ ! -e "$tmp/bad" ]; then
  pass "char_lm: --batch 7 on 2 processes is refused"
else
  fail "char_lm: --batch 7 on 2 processes: $out"
fi
out=$(env -u OMPI_COMM_WORLD_SIZE -u PMIX_RANK "${rn[@]}" --out "$tmp/bad" --distributed 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q "not started by mpirun; run it as \`mpirun -np N" &&
   [ ! -e "$tmp/bad" ]; then
  pass "rnnlm: --distributed without mpirun is refused (exit 2)"
else
  fail "rnnlm: --distributed without mpirun (exit $rc): $out"
fi

echo "$failures failed"
[ "$failures" -eq 0 ]
