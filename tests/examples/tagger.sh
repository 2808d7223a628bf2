#!/usr/bin/env bash
# End-to-end checks of examples/tagger on tiny data (a few seconds), run by CTest:
#   tagger.sh BUILD_EXAMPLES_DIR SOURCE_DIR
# Trains (softmax on UD, CRF on WNUT17), tags, evaluates, resumes bit-exactly, refuses bad
# flags (exit 2) and malformed CoNLL lines naming the line (exit 1) without writing anything.
set -u
bin="$1/tagger"
src="$2"
tmp=$(mktemp -d /tmp/xgrad-tagger-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
passes=0
pass() { echo "ok: $1"; passes=$((passes + 1)); }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }

ud="$src/data/ud-english-ewt"
wnut="$src/data/wnut17"
head -n 2000 "$ud/en_ewt-ud-train.conllu" > "$tmp/train.conllu"
head -n 600 "$ud/en_ewt-ud-dev.conllu" > "$tmp/dev.conllu"
head -n 1500 "$wnut/wnut17train.conll" > "$tmp/train.conll"
head -n 500 "$wnut/emerging.dev.conll" > "$tmp/dev.conll"
small=(--word-dim 16 --char-dim 8 --char-hidden 8 --hidden 16 --layers 1 --batch 8 --seed 3)
pos=(train --train "$tmp/train.conllu" --dev "$tmp/dev.conllu" --test "$tmp/dev.conllu" "${small[@]}")
ner=(train --train "$tmp/train.conll" --dev "$tmp/dev.conll" --test "$tmp/dev.conll" --output crf
     "${small[@]}")

for c in train tag evaluate; do
  if "$bin" $c --help | grep -q -- "--seed\|--data"; then pass "tagger $c --help"; else fail "tagger $c --help"; fi
done

# Training, tagging and scoring POS.
out=$("$bin" "${pos[@]}" --out "$tmp/pos" --epochs 2 2>&1)
if echo "$out" | grep -q "^epoch 2: training loss" && echo "$out" | grep -q "^test accuracy = " &&
   echo "$out" | grep -q "tok/s"; then
  pass "tagger train (softmax, UPOS) runs two epochs and scores the test set"
else
  fail "tagger train (softmax, UPOS): $out"
fi
"$bin" tag --model "$tmp/pos" --data "$tmp/dev.conllu" --out "$tmp/pos.txt"
words=$(grep -c $'^[0-9]*\t' "$tmp/dev.conllu")
lines=$(grep -c . "$tmp/pos.txt")
if [ "$lines" -eq "$words" ] && awk 'NF != 0 && NF != 3 { exit 1 }' "$tmp/pos.txt"; then
  pass "tagger tag writes a 'token gold pred' line per word ($lines)"
else
  fail "tagger tag writes a 'token gold pred' line per word ($lines of $words)"
fi
if "$bin" evaluate --model "$tmp/pos" --data "$tmp/dev.conllu" | grep -q "accuracy .*OOV .*in-vocabulary"; then
  pass "tagger evaluate reports accuracy, OOV and in-vocabulary"
else
  fail "tagger evaluate reports accuracy, OOV and in-vocabulary"
fi

# NER with a CRF: conlleval's report, and `tag` output that conlleval scores the same.
out=$("$bin" "${ner[@]}" --out "$tmp/ner" --epochs 1 2>&1)
if echo "$out" | grep -q "^test F1 = " && echo "$out" | grep -q "^processed .* tokens with"; then
  pass "tagger train (CRF, WNUT17) scores chunks"
else
  fail "tagger train (CRF, WNUT17): $out"
fi
"$bin" tag --model "$tmp/ner" --data "$tmp/dev.conll" > "$tmp/ner.txt"
a=$("$bin" evaluate --model "$tmp/ner" --data "$tmp/dev.conll" | grep "^accuracy")
b=$("$1/xgrad-metrics" conlleval "$tmp/ner.txt" | grep "^accuracy")
if [ -n "$a" ] && [ "$a" = "$b" ]; then
  pass "tagger evaluate agrees with xgrad-metrics conlleval on tag's output"
else
  fail "tagger evaluate agrees with xgrad-metrics conlleval: '$a' vs '$b'"
fi

# --resume is bit-exact: stop mid-epoch, resume, compare with the straight run.
for o in softmax crf; do
  "$bin" "${ner[@]}" --output $o --out "$tmp/a-$o" --epochs 2 > /dev/null 2>&1
  "$bin" "${ner[@]}" --output $o --out "$tmp/b-$o" --epochs 2 --max-steps 3 > /dev/null 2>&1
  "$bin" "${ner[@]}" --output $o --out "$tmp/b-$o" --epochs 2 --max-steps 10 --resume > /dev/null 2>&1
  "$bin" "${ner[@]}" --output $o --out "$tmp/b-$o" --epochs 2 --resume > /dev/null 2>&1
  same=1
  for file in model best optimizer trainer; do
    cmp -s "$tmp/a-$o/current/$file.safetensors" "$tmp/b-$o/current/$file.safetensors" || same=0
  done
  if [ $same = 1 ]; then pass "tagger --resume is bit-exact ($o)"; else fail "tagger --resume is bit-exact ($o)"; fi
done
if "$bin" "${ner[@]}" --out "$tmp/a-crf" --epochs 2 --hidden 17 --resume 2>&1 | grep -q -- "--hidden: trained with 16, now 17"; then
  pass "tagger --resume refuses other settings"
else
  fail "tagger --resume refuses other settings"
fi

# Usage errors exit 2 with one line naming the flag.
expect_usage() {
  local what="$1"; shift
  local msg; msg=$("$bin" "$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 2 ] && [ "$(echo "$msg" | wc -l)" -eq 1 ]; then pass "usage error: $what"; else fail "usage error: $what (rc $rc: $msg)"; fi
}
expect_usage "--output xyz" train --output xyz
expect_usage "--batch 0" train --batch 0
expect_usage "--dropout 1" train --dropout 1
expect_usage "--layers 0" train --layers 0
expect_usage "--column lemma" train --column lemma
expect_usage "stray word" train hidden 32
expect_usage "tag without --data" tag --model "$tmp/pos"
expect_usage "unknown command" frobnicate

# Runtime errors exit 1 naming the file and line, and write nothing.
expect_runtime() {
  local what="$1" pattern="$2"; shift 2
  local msg; msg=$("$bin" "$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 1 ] && echo "$msg" | grep -q -- "$pattern" && [ ! -e "$tmp/none" ]; then
    pass "runtime error: $what"
  else
    fail "runtime error: $what (rc $rc: $msg)"
  fi
}
sed '5s/\t[^\t]*$//' "$tmp/train.conllu" > "$tmp/cols.conllu"
expect_runtime "CoNLL-U line with 9 columns" "cols.conllu:5: .*this one 9" \
  "${pos[@]}" --train "$tmp/cols.conllu" --out "$tmp/none"
sed '7s/^\([0-9]*\)\t[^\t]*/\1\t/' "$tmp/train.conllu" > "$tmp/form.conllu"
expect_runtime "CoNLL-U empty token" "form.conllu:7: empty token" \
  "${pos[@]}" --train "$tmp/form.conllu" --out "$tmp/none"
sed '4s/$/ extra/' "$tmp/train.conll" > "$tmp/cols.conll"
expect_runtime "two-column line with 3 columns" "cols.conll:4: .*this one 3" \
  "${ner[@]}" --dev "$tmp/cols.conll" --out "$tmp/none"
expect_runtime "tag on a malformed file" "cols.conll:4:" \
  tag --model "$tmp/ner" --data "$tmp/cols.conll" --out "$tmp/none"
sed '4s/\t.*$/\tI-person/' "$tmp/train.conll" > "$tmp/iob1.conll"
expect_runtime "CRF on tags that are not BIO" "iob1.conll: the sentence at line 1: I-person follows O" \
  "${ner[@]}" --train "$tmp/iob1.conll" --out "$tmp/none"
expect_runtime "binary corpus" "not a text file" "${ner[@]}" --train /bin/ls --out "$tmp/none"
expect_runtime "missing model" "$tmp/nomodel" tag --model "$tmp/nomodel" --data "$tmp/dev.conll"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
