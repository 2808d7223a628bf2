#!/usr/bin/env bash
# End-to-end checks of the example programs' command lines, run by CTest:
#   cli.sh BUILD_EXAMPLES_DIR SOURCE_DIR
# Every check prints "ok: ..." or "FAIL: ..."; the script exits non-zero on any failure.
set -u
bin="$1"
src="$2"
tmp=$(mktemp -d /tmp/xgrad-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
passes=0
pass() { echo "ok: $1"; passes=$((passes + 1)); }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }

# A small corpus: 600 lines of Shakespeare.
head -n 600 "$src/data/tinyshakespeare.txt" > "$tmp/small.txt"
train=(train --data "$tmp/small.txt" --vocab 300 --hidden 16 --batch 8 --seed 3)

# --help of every program, and of every subcommand.
for p in "rnnlm train" "rnnlm score" "rnnlm generate" "char_lm train" "char_lm sample" \
         "custom_cell" "gradcheck" "xgrad-demo" "xgrad-metrics bleu" "xgrad-metrics conlleval"; do
  if "$bin"/$p --help | grep -q -- "--"; then pass "$p --help"; else fail "$p --help"; fi
done

# Training: the initial loss is printed next to ln V and the loss falls.
out=$("$bin/rnnlm" "${train[@]}" --out "$tmp/a" --epochs 2 2>&1)
if echo "$out" | grep -q "initial training loss" && echo "$out" | grep -q "epoch 2: training loss"; then
  pass "rnnlm train runs two epochs"
else
  fail "rnnlm train runs two epochs: $out"
fi
initial=$(echo "$out" | sed -n 's/^initial training loss \([0-9.]*\) (ln V = \([0-9.]*\))$/\1 \2/p')
if awk -v a="$initial" 'BEGIN { split(a, v, " "); d = v[1] - v[2]; if (d < 0) d = -d; exit !(d < 0.01 * v[2]) }'; then
  pass "initial loss within 1% of ln V ($initial)"
else
  fail "initial loss within 1% of ln V ($initial)"
fi

# --resume continues bit-exactly: stop after 5 steps, resume, compare with the straight run.
"$bin/rnnlm" "${train[@]}" --out "$tmp/b" --epochs 2 --max-steps 5 > /dev/null 2>&1
"$bin/rnnlm" "${train[@]}" --out "$tmp/b" --epochs 2 --resume > /dev/null 2>&1
if cmp -s "$tmp/a/current/model.safetensors" "$tmp/b/current/model.safetensors" &&
   cmp -s "$tmp/a/current/optimizer.safetensors" "$tmp/b/current/optimizer.safetensors"; then
  pass "rnnlm --resume is bit-exact"
else
  fail "rnnlm --resume is bit-exact"
fi

# Scoring and generation.
if "$bin/rnnlm" score --model "$tmp/a" "what say you ?" | grep -q "log-prob"; then
  pass "rnnlm score"
else
  fail "rnnlm score"
fi
gen=$("$bin/rnnlm" generate --model "$tmp/a" --count 3 --min-length 2 --seed 4)
if [ "$(echo "$gen" | wc -l)" -eq 3 ] && ! echo "$gen" | grep -q "UNKNOWN_TOKEN\|SENTENCE_"; then
  pass "rnnlm generate"
else
  fail "rnnlm generate: $gen"
fi

# Bad input: a clear message, a non-zero exit, and no output files.
expect_error() { # name, expected message part, command...
  local name="$1" msg="$2"
  shift 2
  local err
  err=$("$@" 2>&1 >/dev/null)
  local rc=$?
  if [ $rc -ne 0 ] && echo "$err" | grep -q -- "$msg"; then pass "$name"; else fail "$name (rc $rc: $err)"; fi
}
expect_error "missing corpus" "cannot open" "$bin/rnnlm" train --data "$tmp/none.txt" --out "$tmp/c"
: > "$tmp/empty.txt"
expect_error "empty corpus" "empty" "$bin/rnnlm" train --data "$tmp/empty.txt" --out "$tmp/c"
expect_error "vocabulary larger than the corpus" "distinct tokens" \
  "$bin/rnnlm" train --data "$tmp/small.txt" --vocab 100000 --out "$tmp/c"
if [ ! -e "$tmp/c" ]; then pass "no output files after bad input"; else fail "no output files after bad input"; fi
expect_error "resume with a different configuration" "not the requested" \
  "$bin/rnnlm" "${train[@]}" --out "$tmp/a" --hidden 32 --resume
expect_error "model directory without a model" "cannot open" "$bin/rnnlm" score --model "$tmp/none" "x"
# A checkpoint is checked against its manifest; a plain folder's vocabulary against the model.
cp "$tmp/a/current/vocab.txt" "$tmp/vocab.bak"
{ head -n 10 "$tmp/vocab.bak"; echo UNKNOWN_TOKEN; } > "$tmp/a/current/vocab.txt"
expect_error "checkpoint file truncated after saving" "the manifest says" \
  "$bin/rnnlm" score --model "$tmp/a" "x"
{ sed -n 2p "$tmp/vocab.bak"; sed -n 1p "$tmp/vocab.bak"; tail -n +3 "$tmp/vocab.bak"; } > "$tmp/a/current/vocab.txt"
expect_error "checkpoint file changed after saving" "does not match its checksum" \
  "$bin/rnnlm" score --model "$tmp/a" "x"
cp "$tmp/vocab.bak" "$tmp/a/current/vocab.txt"
mkdir -p "$tmp/plain" && cp "$tmp/a/current/model.safetensors" "$tmp/plain/"
{ head -n 10 "$tmp/vocab.bak"; echo UNKNOWN_TOKEN; } > "$tmp/plain/vocab.txt"
expect_error "vocabulary that does not fit the model" "expects 300" \
  "$bin/rnnlm" score --model "$tmp/plain" "x"
{ sed -n 2p "$tmp/vocab.bak"; sed -n 1p "$tmp/vocab.bak"; tail -n +3 "$tmp/vocab.bak"; } > "$tmp/plain/vocab.txt"
expect_error "vocabulary of the same size but other words" "is not the vocabulary" \
  "$bin/rnnlm" score --model "$tmp/plain" "x"
cp "$tmp/vocab.bak" "$tmp/plain/vocab.txt"
if "$bin/rnnlm" score --model "$tmp/plain" "what say you ?" | grep -q "log-prob"; then
  pass "rnnlm score reads a plain model folder"
else
  fail "rnnlm score reads a plain model folder"
fi
# --resume refuses another run's settings: another corpus of the same size, another --batch.
sed -n 601,1200p "$src/data/tinyshakespeare.txt" > "$tmp/other.txt"
expect_error "resume on another corpus" "--data: not the file it was trained on" \
  "$bin/rnnlm" train --data "$tmp/other.txt" --vocab 300 --hidden 16 --batch 8 --seed 3 \
  --out "$tmp/a" --epochs 3 --resume
expect_error "resume with another --batch" "--batch: trained with 8, now 4" \
  "$bin/rnnlm" train --data "$tmp/small.txt" --vocab 300 --hidden 16 --batch 4 --seed 3 \
  --out "$tmp/a" --epochs 3 --resume
expect_error "resume without a checkpoint" "holds no completed checkpoint" \
  "$bin/rnnlm" "${train[@]}" --out "$tmp/plain" --epochs 3 --resume
expect_error "unknown option" "unknown option" "$bin/rnnlm" train --bogus 1
expect_error "bad option value" "not a valid value" "$bin/rnnlm" train --batch -3

# The other programs.
if "$bin/char_lm" train --data "$tmp/small.txt" --out "$tmp/ch" --epochs 1 --hidden 32 --embed 8 \
     --layers 2 --batch 8 --seq 20 | grep -q "validation loss" &&
   [ "$("$bin/char_lm" sample --model "$tmp/ch" --prime "ROMEO:" --length 40 | wc -c)" -ge 46 ]; then
  pass "char_lm train and sample"
else
  fail "char_lm train and sample"
fi
# Checkpointed BPTT changes memory and time, never the numbers: the same weights, bit for bit.
if "$bin/char_lm" train --data "$tmp/small.txt" --out "$tmp/ck" --epochs 1 --hidden 32 --embed 8 \
     --layers 2 --batch 8 --seq 20 --checkpoint-every 6 > /dev/null &&
   cmp -s "$tmp/ch/current/model.safetensors" "$tmp/ck/current/model.safetensors"; then
  pass "char_lm --checkpoint-every: bit-identical weights"
else
  fail "char_lm --checkpoint-every: the weights differ from a run without it"
fi
# A UTF-8 text whose bytes >= 0x80 are in the alphabet: the weight file's metadata stays UTF-8.
for i in $(seq 1 100); do echo "Le café était très bon, déjà ; où est l'été ? $i"; done > "$tmp/fr.txt"
if "$bin/char_lm" train --data "$tmp/fr.txt" --out "$tmp/fr" --epochs 1 --hidden 8 --embed 4 \
     --layers 1 --batch 4 --seq 10 > /dev/null &&
   "$bin/char_lm" sample --model "$tmp/fr" --prime "été" --length 20 > /dev/null; then
  pass "char_lm on non-ASCII text"
else
  fail "char_lm on non-ASCII text"
fi
expect_error "char_lm resume with another --batch" "--batch: trained with 8, now 4" \
  "$bin/char_lm" train --data "$tmp/small.txt" --out "$tmp/ch" --epochs 2 --hidden 32 --embed 8 \
  --layers 2 --batch 4 --seq 20 --resume
# The recurrent regularisers: trained, saved in the model (sampling uses zoneout's expectation),
# and part of what --resume must repeat.
reg=(--data "$tmp/small.txt" --out "$tmp/reg" --hidden 16 --embed 8 --layers 2 --batch 8 --seq 20
     --input-dropout 0.1 --state-dropout 0.2 --output-dropout 0.2 --zoneout 0.1 --weight-drop 0.3)
if "$bin/char_lm" train "${reg[@]}" --epochs 1 | grep -q "zoneout=0.1, weight_drop=0.3" &&
   "$bin/char_lm" sample --model "$tmp/reg" --prime "ROMEO:" --length 20 > /dev/null; then
  pass "char_lm with variational dropout, zoneout and weight-drop"
else
  fail "char_lm with variational dropout, zoneout and weight-drop"
fi
expect_error "char_lm resume with another --zoneout" "--zoneout: trained with 0.1, now 0.2" \
  "$bin/char_lm" train "${reg[@]}" --zoneout 0.2 --epochs 2 --resume
if "$bin/gradcheck" --cell custom --bidirectional --layers 2 --lengths 4,2,1 > "$tmp/gc.txt"; then
  pass "gradcheck example"
else
  fail "gradcheck example: $(tail -5 "$tmp/gc.txt")"
fi
if "$bin/custom_cell" > "$tmp/cc.txt"; then pass "custom_cell learns and gradchecks"; else fail "custom_cell: $(tail -3 "$tmp/cc.txt")"; fi

# xgrad-metrics: sacreBLEU's README example, conlleval's published example, bad input.
printf 'The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n' > "$tmp/r1.txt"
printf 'The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n' > "$tmp/r2.txt"
printf "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n" > "$tmp/hyp.txt"
out=$("$bin/xgrad-metrics" bleu --ref "$tmp/r1.txt,$tmp/r2.txt" < "$tmp/hyp.txt" 2>&1)
if [ "$out" = "BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:xgrad-1.0 = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)" ]; then
  pass "xgrad-metrics bleu on sacreBLEU's README example"
else
  fail "xgrad-metrics bleu on sacreBLEU's README example: $out"
fi
out=$("$bin/xgrad-metrics" conlleval "$src/tests/examples/fixtures/conlleval-cases.txt" 2>&1)
if [ "$(echo "$out" | head -2)" = "processed 961 tokens with 459 phrases; found: 539 phrases; correct: 371.
accuracy:  84.08%; precision:  68.83%; recall:  80.83%; FB1:  74.35" ] && [ "$(echo "$out" | wc -l)" -eq 8 ]; then
  pass "xgrad-metrics conlleval on the CoNLL-2000 example"
else
  fail "xgrad-metrics conlleval on the CoNLL-2000 example: $out"
fi
expect_error "bleu with a missing reference file" "cannot open" \
  "$bin/xgrad-metrics" bleu --ref "$tmp/none.txt" < "$tmp/hyp.txt"
head -n 2 "$tmp/r1.txt" > "$tmp/r_short.txt"
expect_error "bleu with fewer references than hypotheses" "has 2 segments but there are 3" \
  "$bin/xgrad-metrics" bleu --ref "$tmp/r_short.txt" < "$tmp/hyp.txt"
expect_error "bleu with an unknown tokenizer" "unknown tokenizer 'moses'" \
  "$bin/xgrad-metrics" bleu --ref "$tmp/r1.txt" --tokenize moses < "$tmp/hyp.txt"
printf 'w X B-NP B-NP\nw B-NP\n' > "$tmp/bad.conll"
expect_error "conlleval with a short line" "line 2 has 2 columns but line 1 has 4" \
  "$bin/xgrad-metrics" conlleval "$tmp/bad.conll"

echo "checks: $passes passed, $failures failed"
[ $failures -eq 0 ]
