#!/usr/bin/env bash
# examples/caption end to end on tiny data, run by CTest:
#   caption.sh BUILD_EXAMPLES_DIR
# make-data (deterministic), train both variants, describe PNG and PPM files with the attention
# plot, evaluate (scores and the shuffle control), bit-exact --resume, bad flags and files.
set -u
bin="$1/caption"
tmp=$(mktemp -d /tmp/xgrad-caption-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
pass() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
small=(--train 96 --valid 16 --test 16 --unseen 16 --samples 2)
tiny=(--width 4 --embed 8 --hidden 16 --attend 8 --batch 16 --epochs 2 --time-budget 0)

"$bin" make-data --out "$tmp/d" "${small[@]}" > /dev/null
"$bin" make-data --out "$tmp/d2" "${small[@]}" > /dev/null
if cmp -s "$tmp/d/train.tsv" "$tmp/d2/train.tsv" && cmp -s "$tmp/d/samples/test-0.png" "$tmp/d2/samples/test-0.png"; then
  pass "make-data is deterministic (scenes and pictures)"
else
  fail "make-data differs between two runs"
fi
for v in attend tell; do
  if "$bin" train --data "$tmp/d" --out "$tmp/m-$v" --variant $v "${tiny[@]}" > "$tmp/$v.log" 2>&1 &&
     grep -q "epoch 2: training loss" "$tmp/$v.log"; then
    pass "train --variant $v"
  else
    fail "train --variant $v: $(tail -3 "$tmp/$v.log")"
  fi
done
out=$("$bin" evaluate --model "$tmp/m-attend" --data "$tmp/d" --split unseen --show 2 2>&1)
if echo "$out" | grep -q "unseen (16 scenes): exact match = [0-9.]*%, BLEU-4 = [0-9.]*; images shuffled: exact match [0-9.]*%" &&
   echo "$out" | grep -q "reference: a "; then
  pass "evaluate prints the scores and the shuffle control"
else
  fail "evaluate: $out"
fi
out=$("$bin" describe --model "$tmp/m-attend" --attention-plot "$tmp/att" "$tmp/d/samples/test-0.png" 2>&1)
if echo "$out" | grep -q "test-0.png: [a-z]" && ls "$tmp/att"/0-0-*.png > /dev/null 2>&1; then
  pass "describe a PNG, with one attention picture per word ($(ls "$tmp/att" | wc -l))"
else
  fail "describe: $out"
fi
# A model without attention describes too.
"$bin" describe --model "$tmp/m-tell" "$tmp/d/samples/test-0.png" > /dev/null 2>&1 || fail "describe with a tell model"

# --resume: stop after 5 steps, continue, compare with the straight run.
"$bin" train --data "$tmp/d" --out "$tmp/r" "${tiny[@]}" --max-steps 5 > /dev/null 2>&1
"$bin" train --data "$tmp/d" --out "$tmp/r" "${tiny[@]}" --resume > /dev/null 2>&1
if cmp -s "$tmp/m-attend/current/model.safetensors" "$tmp/r/current/model.safetensors"; then
  pass "--resume continues bit-exactly"
else
  fail "--resume: the weights differ from the straight run"
fi

# Refusals: one line, exit 2 for usage, 1 for bad files.
expect() { # EXIT FRAGMENT COMMAND...
  local want=$1 frag=$2; shift 2
  local msg; msg=$("$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq "$want" ] && echo "$msg" | grep -qF -- "$frag"; then pass "refused: $frag"; else fail "$* (exit $rc): $msg"; fi
}
expect 2 "--variant: 'show'" "$bin" train --data "$tmp/d" --out "$tmp/x" --variant show
# Every numeric flag: 0 where it must be positive, a sign, a word.
for f in width embed hidden attend batch epochs patience; do
  for v in 0 -1 x; do expect 2 "--$f: '$v'" "$bin" train --data "$tmp/d" --out "$tmp/x" --$f "$v"; done
done
for f in lr lr-decay; do
  for v in 0 -1 nan x; do expect 2 "--$f: '$v'" "$bin" train --data "$tmp/d" --out "$tmp/x" --$f "$v"; done
done
for v in -1 nan x; do expect 2 "--clip: '$v'" "$bin" train --data "$tmp/d" --out "$tmp/x" --clip "$v"; done
expect 2 "--lr-decay: '1.5'" "$bin" train --data "$tmp/d" --out "$tmp/x" --lr-decay 1.5
for f in train valid test unseen; do
  for v in 0 -1 x; do expect 2 "--$f: '$v'" "$bin" make-data --out "$tmp/x" --$f "$v"; done
done
[ ! -e "$tmp/x" ] && pass "no output folder after the refusals" || fail "a refused command left $tmp/x"
expect 2 "no IMAGE given" "$bin" describe --model "$tmp/m-attend"
expect 2 "--attention-plot: the model has no attention" "$bin" describe --model "$tmp/m-tell" --attention-plot "$tmp/a2" "$tmp/d/samples/test-0.png"
printf 'P6\n4 4\n255\n' > "$tmp/cut.ppm"
expect 1 "truncated" "$bin" describe --model "$tmp/m-attend" "$tmp/cut.ppm"
printf 'P5\n8 8\n255\n' > "$tmp/small.pgm"; head -c 64 /dev/zero >> "$tmp/small.pgm"
expect 1 "8x8 pixels; the model reads 48x48" "$bin" describe --model "$tmp/m-attend" "$tmp/small.pgm"
printf 'circle,red,small,1,2;-;5\ta large red circle\n' > "$tmp/d/valid.tsv"
expect 1 "caption 'a large red circle' is not the scene's" "$bin" evaluate --model "$tmp/m-attend" --data "$tmp/d" --split valid
expect 1 "No such file" "$bin" evaluate --model "$tmp/nothing" --data "$tmp/d"

echo "$failures failed"
[ "$failures" -eq 0 ]
