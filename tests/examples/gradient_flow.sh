#!/usr/bin/env bash
# End-to-end checks of examples/gradient_flow on a tiny study (a few seconds), run by CTest:
#   gradient_flow.sh BUILD_EXAMPLES_DIR SOURCE_DIR
# The CSV files and their row counts, what the measurement must show (a tanh RNN's gradient
# vanishing, IRNN's not), the pictures when gnuplot is installed, --resume keeping finished runs,
# and bad input refused. Prints "ok: ..." or "FAIL: ..." per check; exits non-zero on a failure.
set -u
bin="$1"
src="$2"
gf="$bin/gradient_flow"
tmp=$(mktemp -d /tmp/xgrad-gradflow-XXXXXX)
trap 'rm -rf "$tmp" "$tmp.stdout" "$tmp.stderr"' EXIT
export LC_ALL=C OPENBLAS_NUM_THREADS=1 # one thread: the resumed study must match exactly
source "$(dirname "${BASH_SOURCE[0]}")/rows.sh"

if "$gf" --help | grep -q -- "--task"; then pass "--help"; else fail "--help"; fi

s=(--length 20 --hidden 16 --batch 4 --seeds 2 --steps 30 --eval-every 10 --probe-every 15
   --cells rnn/default,rnn/irnn,lstm/fb1 --clip 0,1 --seed 3)
if "$gf" "${s[@]}" --out "$tmp/a" > "$tmp/a.log" 2>&1; then
  pass "a tiny study runs"
else
  fail "a tiny study runs: $(tail -n 5 "$tmp/a.log")"
fi

header=$(head -n 1 "$tmp/a/grad_norms.csv" 2>/dev/null)
[ "$header" = "cell,init,seed,step,distance,norm,state,clip" ] && pass "grad_norms.csv header" ||
  fail "grad_norms.csv header: '$header'"
# At init: 2 seeds x 20 steps per state (h; h and c for the LSTM): 40 + 40 + 80. While
# training: probes at steps 15 and 30 of each of the 6 runs: 2 x (40 + 40 + 80).
at_init=$(awk -F, 'NR > 1 && $4 == 0' "$tmp/a/grad_norms.csv" | wc -l)
training=$(awk -F, 'NR > 1 && ($4 == 15 || $4 == 30)' "$tmp/a/grad_norms.csv" | wc -l)
[ "$at_init" -eq 160 ] && [ "$training" -eq 320 ] && pass "grad_norms.csv rows: 160 at init, 320 while training" ||
  fail "grad_norms.csv rows: $at_init at init (want 160), $training while training (want 320)"
distances=$(awk -F, 'NR > 1 && $1 == "lstm" && $3 == 3 && $4 == 0 && $7 == "c"' "$tmp/a/grad_norms.csv" |
            cut -d, -f5 | sort -n | tr '\n' ' ')
[ "$distances" = "$(seq 0 19 | tr '\n' ' ')" ] && pass "one row per distance 0..T-1" ||
  fail "distances of one LSTM c trace: $distances"
evals=$(awk -F, 'NR > 1' "$tmp/a/grad_training.csv" | wc -l)
[ "$evals" -eq 18 ] && pass "grad_training.csv: 3 evaluations x 6 runs" || fail "grad_training.csv rows: $evals, not 18"
clipped=$(awk -F, '$3 == 1 && $10 > 0' "$tmp/a/grad_training.csv" | wc -l)
unclipped=$(awk -F, 'NR > 1 && $3 == 0 && $10 != 0' "$tmp/a/grad_training.csv" | wc -l)
[ "$unclipped" -eq 0 ] && pass "no clipping is reported for the runs without it" ||
  fail "$unclipped evaluations without clipping report clipping"
echo "info: $clipped evaluation intervals with clip 1 had clipped steps"

# The measurement: at init a tanh RNN's gradient shrinks by orders of magnitude over 20 steps
# (slope < -0.1 per step), an IRNN's stays (slope > -0.05), an LSTM with forget bias 1 in between.
slope() { awk -F, -v c="$1" -v i="$2" '$1 == c && $2 == i { print $7 }' "$tmp/a/grad_summary.csv"; }
rnn=$(slope rnn default) irnn=$(slope rnn irnn) lstm=$(slope lstm fb1)
if awk -v r="$rnn" -v i="$irnn" -v l="$lstm" 'BEGIN { exit !(r < -0.1 && i > -0.05 && l > r) }'; then
  pass "slopes: rnn $rnn, irnn $irnn, lstm/fb1 $lstm"
else
  fail "slopes: rnn $rnn (want < -0.1), irnn $irnn (want > -0.05), lstm/fb1 $lstm (want > rnn)"
fi
if grep -q "^rnn/default .*-0\.[0-9]" "$tmp/a.log"; then pass "the summary table is printed"; else
  fail "no summary table: $(tail -n 8 "$tmp/a.log")"; fi

if command -v gnuplot > /dev/null; then
  for p in grad_init grad_during_training grad_curves; do
    if [ "$(head -c 4 "$tmp/a/$p.png" 2>/dev/null | tail -c 3)" = PNG ] && [ ! -e "$tmp/a/$p.png.tmp" ]; then
      pass "$p.png drawn"
    else
      fail "$p.png missing or not a PNG"
    fi
  done
else
  for p in grad_init grad_during_training grad_curves; do
    [ -s "$tmp/a/$p.gp" ] && pass "$p.gp written (no gnuplot)" || fail "$p.gp missing"
  done
fi

# --resume: a study interrupted after some runs redoes only the missing ones, with the same rows.
cp -r "$tmp/a" "$tmp/b"
rm "$tmp/b/runs/train-lstm-fb1-clip1.rows" "$tmp/b/runs/init-rnn-irnn.rows" "$tmp/b/grad_norms.csv"
"$gf" "${s[@]}" --out "$tmp/b" --resume > "$tmp/b.log" 2>&1
kept=$(grep -c "kept from the earlier study" "$tmp/b.log")
strip() { cut -d, -f1-10 "$1"; } # the last column is wall-clock time
if [ "$kept" -eq 7 ] && cmp -s "$tmp/a/grad_norms.csv" "$tmp/b/grad_norms.csv" &&
   cmp -s <(strip "$tmp/a/grad_training.csv") <(strip "$tmp/b/grad_training.csv"); then
  pass "--resume keeps 7 finished runs, redoes 2, and writes the same rows"
else
  fail "--resume: $kept runs kept (want 7); norms $(cmp "$tmp/a/grad_norms.csv" "$tmp/b/grad_norms.csv" 2>&1)"
fi
"$gf" "${s[@]}" --hidden 8 --out "$tmp/b" --resume > "$tmp/c.log" 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q -- "--hidden: trained with 16, now 8" "$tmp/c.log" &&
  pass "--resume refuses other flags, naming them" || fail "--resume with other flags: exit $rc: $(cat "$tmp/c.log")"

row 2 "unknown cell 'rnn/foo'" "$gf" --cells rnn/foo --out OUT
row 2 "--clip: '-1' is not a threshold >= 0" "$gf" --clip 0,-1 --out OUT
row 2 "--clip: 'x'" "$gf" --clip x --out OUT
row 2 "--length" "$gf" --length 5 --out OUT
row 2 "--task" "$gf" --task palindrome --out OUT
row 2 "holds no study" "$gf" --resume --out OUT

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
