#!/usr/bin/env bash
# End-to-end checks of examples/translate on tiny data (a few seconds), run by CTest:
#   translate.sh BUILD_EXAMPLES_DIR SOURCE_DIR
# Trains, translates (arguments and stdin, greedy and beam), evaluates, resumes bit-exactly, and
# refuses bad input: each bad-input row expects an exit code, one line on stderr containing a
# fragment, and no file created or changed (OUT in a command is a fresh path that must not
# exist afterwards). Prints "ok: ..." or "FAIL: ..." per check; exits non-zero on any failure.
set -u
bin="$1"
src="$2"
tr="$bin/translate"
tmp=$(mktemp -d /tmp/xgrad-translate-XXXXXX)
trap 'rm -rf "$tmp" "$tmp.stdout" "$tmp.stderr"' EXIT
export LC_ALL=C
source "$(dirname "${BASH_SOURCE[0]}")/rows.sh"

head -n 1500 "$src/data/eng-deu-tatoeba-50k.tsv" > "$tmp/pairs.tsv"
t=(train --data "$tmp/pairs.tsv" --valid 30 --test 30 --embed 16 --hidden 16 --dec-hidden 32
   --attention-size 16 --batch 32 --seed 5)

# --help of every subcommand.
for c in train translate evaluate; do
  if "$tr" $c --help | grep -q -- "--seed\|--model"; then pass "translate $c --help"; else fail "translate $c --help"; fi
done

# Training: two epochs, validation BLEU each, the best model kept.
out=$("$tr" "${t[@]}" --out "$tmp/a" --epochs 2 2>&1)
if echo "$out" | grep -q "epoch 2: training loss .* validation BLEU = " && [ -e "$tmp/a/best/current" ]; then
  pass "train runs two epochs and keeps OUT/best"
else
  fail "train runs two epochs and keeps OUT/best: $out"
fi

# --resume continues bit-exactly (weights and Adam state) after a stop in the middle of epoch 1.
"$tr" "${t[@]}" --out "$tmp/b" --epochs 2 --max-steps 20 > /dev/null 2>&1
"$tr" "${t[@]}" --out "$tmp/b" --epochs 2 --resume > /dev/null 2>&1
if cmp -s "$tmp/a/current/model.safetensors" "$tmp/b/current/model.safetensors" &&
   cmp -s "$tmp/a/current/optimizer.safetensors" "$tmp/b/current/optimizer.safetensors"; then
  pass "--resume is bit-exact"
else
  fail "--resume is bit-exact"
fi
# ... and refuses other settings, naming the flag.
if "$tr" "${t[@]}" --out "$tmp/b" --epochs 3 --batch 16 --resume 2>&1 | grep -q -- "--batch: trained with 32, now 16"; then
  pass "--resume refuses another --batch"
else
  fail "--resume refuses another --batch"
fi

# Translating from arguments and from stdin gives one line per sentence, the same either way.
"$tr" translate --model "$tmp/a/best" "I am tired." "Go away!" > "$tmp/args.txt" 2>&1
printf 'I am tired.\nGo away!\n' | "$tr" translate --model "$tmp/a/best" > "$tmp/stdin.txt" 2>&1
if [ "$(wc -l < "$tmp/args.txt")" -eq 2 ] && cmp -s "$tmp/args.txt" "$tmp/stdin.txt"; then
  pass "translate from arguments and stdin"
else
  fail "translate from arguments and stdin: $(cat "$tmp/args.txt") vs $(cat "$tmp/stdin.txt")"
fi
if [ "$("$tr" translate --model "$tmp/a" --beam 4 "I am tired." | wc -l)" -eq 1 ]; then
  pass "translate --beam 4"
else
  fail "translate --beam 4"
fi

# The attention heatmap of one sentence, as an SVG picture.
if "$tr" translate --model "$tmp/a/best" --attention-plot "$tmp/att.svg" "I am tired." > /dev/null &&
   head -c 4 "$tmp/att.svg" | grep -q "<svg" && grep -q ">tired<" "$tmp/att.svg"; then
  pass "translate --attention-plot writes an SVG heatmap"
else
  fail "translate --attention-plot writes an SVG heatmap"
fi

# Evaluation: the score line and the signature; beam 1 scores exactly as greedy.
g=$("$tr" evaluate --model "$tmp/a/best" --data "$tmp/pairs.tsv" --output "$tmp/hyp.txt" 2>&1)
b1=$("$tr" evaluate --model "$tmp/a/best" --data "$tmp/pairs.tsv" --beam 1 --alpha 1 2>&1)
b3=$("$tr" evaluate --model "$tmp/a/best" --data "$tmp/pairs.tsv" --beam 3 2>&1)
if echo "$g" | grep -q "^BLEU = [0-9.]* " && echo "$g" | grep -q "tok:13a|smooth:exp" &&
   [ "$(wc -l < "$tmp/hyp.txt")" -eq 30 ] && echo "$b3" | grep -q "^BLEU = "; then
  pass "evaluate prints BLEU with its signature ($(echo "$g" | grep '^BLEU' | cut -c1-12))"
else
  fail "evaluate: $g"
fi
if [ "$(echo "$g" | grep '^BLEU')" = "$(echo "$b1" | grep '^BLEU')" ]; then
  pass "evaluate --beam 1 equals greedy"
else
  fail "evaluate --beam 1 equals greedy: $g / $b1"
fi

# ---- bad input: exit code, one line naming the problem, no file written ----------------------
printf 'Hi.\tHallo!\nno tab on this line\n' > "$tmp/notab.tsv"
printf 'Hi.\tHallo!\nGo.\t  \n' > "$tmp/emptyside.tsv"
printf '\tHallo!\n' > "$tmp/emptyfirst.tsv"
: > "$tmp/empty.tsv"
head -c 2048 /bin/sh > "$tmp/binary.tsv"
printf 'a\tb\nc\td\n' > "$tmp/few.tsv"
mkdir "$tmp/nomodel"
tt=("$tr" train --valid 1 --test 1 --out OUT)
row 1 "cannot" "${tt[@]}" --data "$tmp/missing.tsv"
row 1 "line 2: no tab" "${tt[@]}" --data "$tmp/notab.tsv"
row 1 "line 2: the second side is empty" "${tt[@]}" --data "$tmp/emptyside.tsv"
row 1 "line 1: the first side is empty" "${tt[@]}" --data "$tmp/emptyfirst.tsv"
row 1 "holds no sentence pair" "${tt[@]}" --data "$tmp/empty.tsv"
row 1 "is not a text file" "${tt[@]}" --data "$tmp/binary.tsv"
row 1 "too few for 1 validation and 1 test" "${tt[@]}" --data "$tmp/few.tsv"
row 1 "no such folder" "${tt[@]}" --data "$tmp/pairs.tsv" --resume
row 1 "cannot" "$tr" translate --model "$tmp/nomodel" hello
row 1 "not the file the model" "$tr" evaluate --model "$tmp/a/best" --data "$tmp/few.tsv" --output OUT
# Flags: each refused with the range it accepts.
for v in 0 -1 x 2.5; do row 2 "--batch: '$v'" "${tt[@]}" --batch "$v"; done
for v in 0 65537; do row 2 "--hidden: '$v'" "${tt[@]}" --hidden "$v"; done
for v in 0 -1 nan inf; do row 2 "--lr: '$v'" "${tt[@]}" --lr "$v"; done
for v in -1 1 1.5; do row 2 "--dropout: '$v'" "${tt[@]}" --dropout "$v"; done
for v in -0.1 1.1 nan; do row 2 "--teacher-forcing: '$v'" "${tt[@]}" --teacher-forcing "$v"; done
for v in -1 nan; do row 2 "--clip: '$v'" "${tt[@]}" --clip "$v"; done
for v in 0 x; do row 2 "--valid: '$v'" "${tt[@]}" --valid "$v"; done
for v in 0 1; do row 2 "--max-length: '$v'" "${tt[@]}" --max-length "$v"; done
for v in 4 x; do row 2 "--src-vocab: '$v'" "${tt[@]}" --src-vocab "$v"; done
row 2 "--time-budget: '-1'" "${tt[@]}" --time-budget -1
row 2 "--cell: 'rnn' is not a valid value" "${tt[@]}" --cell rnn
row 2 "--attention: 'luong' is not a valid value" "${tt[@]}" --attention luong
row 2 "--dec-hidden 32 must be 2 x --hidden = 16" "${tt[@]}" --data "$tmp/pairs.tsv" --attention dot --hidden 8 --dec-hidden 32
row 2 "unexpected argument 'hidden'" "${tt[@]}" hidden 32
row 2 "unknown option -x" "${tt[@]}" -x
row 2 "--reverse is a switch" "${tt[@]}" --reverse=1
for v in 0 x; do row 2 "--beam: '$v'" "$tr" translate --model "$tmp/a" --beam "$v" hi; done
for v in -1 nan; do row 2 "--alpha: '$v'" "$tr" evaluate --model "$tmp/a" --alpha "$v"; done
row 2 "--split: 'train' is not a valid value" "$tr" evaluate --model "$tmp/a" --split train
row 2 "unexpected argument 'x'" "$tr" evaluate --model "$tmp/a" x
row 2 "--attention-plot takes exactly one SENTENCE" "$tr" translate --model "$tmp/a" --attention-plot OUT a b
row 2 "unknown command 'bogus'" "$tr" bogus

echo "translate: $passes passed, $failures failed"
[ $failures -eq 0 ]
