#!/usr/bin/env bash
# End-to-end checks of examples/speech on tiny data (seconds), run by CTest:
#   speech.sh BUILD_EXAMPLES_DIR
# make-data (espeak-ng when installed; DTMF tones otherwise, and always for the training checks:
# they learn in seconds), train, recognise, evaluate, bit-exact --resume, a deterministic corpus,
# and bad WAV files, manifests and flags refused clearly.
set -u
bin="$1/speech"
tmp=$(mktemp -d /tmp/xgrad-speech-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
passes=0
pass() { echo "ok: $1"; passes=$((passes + 1)); }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }

for c in make-data train recognise evaluate; do
  if "$bin" $c --help | grep -q -- "--"; then pass "speech $c --help"; else fail "speech $c --help"; fi
done

# Speech, when espeak-ng is here: a few utterances, the same bytes from the same seed.
if command -v espeak-ng > /dev/null; then
  for d in s1 s2; do
    "$bin" make-data --out "$tmp/$d" --train 6 --dev 2 --test 3 --seed 5 > /dev/null
  done
  if diff -r "$tmp/s1" "$tmp/s2" > /dev/null && [ "$(wc -l < "$tmp/s1/test.tsv")" -eq 4 ] &&
     [ -s "$tmp/s1/train/000005.wav" ]; then
    pass "make-data (espeak-ng) writes the same corpus from the same seed"
  else
    fail "make-data (espeak-ng) writes the same corpus from the same seed"
  fi
  if cut -f3 "$tmp/s1/test.tsv" | tail -n +2 | grep -qv -- "+m3$\|+m8$\|+f4$\|+klatt2$"; then
    fail "make-data test voices are the held-out variants"
  else
    pass "make-data test voices are the held-out variants"
  fi
else
  echo "note: espeak-ng is not installed: skipping the speech corpus; DTMF tones stand in below"
fi

# Training on DTMF tones (the same files, labels and pipeline; learnt in seconds).
"$bin" make-data --source tones --out "$tmp/tones" --train 160 --dev 24 --test 24 --max-digits 4 \
  --seed 2 > /dev/null
small=(--data "$tmp/tones" --hidden 32 --layers 1 --batch 8 --lr 0.01 --dropout 0 --seed 3
       --time-budget 0)
out=$("$bin" train "${small[@]}" --out "$tmp/m" --epochs 30 --patience 30 2>&1)
ler=$(echo "$out" | sed -n 's/^best dev LER \([0-9.]*\)%.*/\1/p')
if echo "$out" | grep -q "^epoch 30: training loss" && echo "$out" | grep -q "frames/s" &&
   [ -n "$ler" ] && awk -v l="$ler" 'BEGIN { exit !(l < 30) }'; then
  pass "speech train learns DTMF digit strings (best dev LER $ler%)"
else
  fail "speech train learns DTMF digit strings: $out"
fi
out=$("$bin" evaluate --model "$tmp/m" --data "$tmp/tones" --split test --beam 4 --show 2 --errors 0)
if echo "$out" | grep -q "^greedy LER .*beam 4 LER" && echo "$out" | grep -q "^LER = [0-9.]*%$" &&
   [ "$(echo "$out" | grep -c "said: ")" -eq 2 ]; then
  pass "speech evaluate reports greedy and beam LER, per group, examples, LER ="
else
  fail "speech evaluate: $out"
fi
rec=$("$bin" recognise --model "$tmp/m" "$tmp/tones/test/000000.wav" "$tmp/tones/test/000001.wav")
if [ "$(echo "$rec" | wc -l)" -eq 2 ] && echo "$rec" | head -1 | grep -q $'000000.wav\t[0-9]*\t'; then
  pass "speech recognise prints a line per file"
else
  fail "speech recognise: $rec"
fi

# --resume is bit-exact: stop mid-epoch, resume, compare with the straight run.
"$bin" train "${small[@]}" --out "$tmp/a" --epochs 2 > /dev/null 2>&1
"$bin" train "${small[@]}" --out "$tmp/b" --epochs 2 --max-steps 7 > /dev/null 2>&1
"$bin" train "${small[@]}" --out "$tmp/b" --epochs 2 --resume > /dev/null 2>&1
same=1
for file in model best optimizer trainer; do
  cmp -s "$tmp/a/current/$file.safetensors" "$tmp/b/current/$file.safetensors" || same=0
done
if [ $same = 1 ]; then pass "speech --resume is bit-exact"; else fail "speech --resume is bit-exact"; fi
if "$bin" train "${small[@]}" --out "$tmp/a" --epochs 2 --hidden 33 --resume 2>&1 | grep -q -- "--hidden: trained with 32, now 33"; then
  pass "speech --resume refuses other settings"
else
  fail "speech --resume refuses other settings"
fi

# Usage errors exit 2 with one line.
expect_usage() {
  local what="$1"; shift
  local msg; msg=$("$bin" "$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 2 ] && [ "$(echo "$msg" | wc -l)" -eq 1 ]; then pass "usage error: $what"; else fail "usage error: $what (rc $rc: $msg)"; fi
}
expect_usage "--cell rnn" train --cell rnn
expect_usage "--mfcc above --mel-bands" train --mfcc 50
expect_usage "--min-digits above --max-digits" make-data --min-digits 5 --max-digits 2
expect_usage "--source mp3" make-data --source mp3
expect_usage "recognise without files" recognise --model "$tmp/m"
expect_usage "unknown command" transcribe

# Runtime errors exit 1 with one clear line.
expect_runtime() {
  local what="$1" pattern="$2"; shift 2
  local msg; msg=$("$bin" "$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 1 ] && echo "$msg" | grep -q -- "$pattern"; then
    pass "runtime error: $what"
  else
    fail "runtime error: $what (rc $rc: $msg)"
  fi
}
good="$tmp/tones/test/000000.wav"
printf 'hello, not audio' > "$tmp/text.wav"
expect_runtime "a text file" "text.wav: not a WAV file" recognise --model "$tmp/m" "$tmp/text.wav"
# The same file declared stereo (channels at byte 22), float (format tag at byte 20), 8-bit
# (bits at byte 34), cut short, and at 8 kHz (rate at byte 24: 0x1f40).
patch() { cp "$good" "$2"; printf "$3" | dd of="$2" bs=1 seek="$1" conv=notrunc status=none; }
patch 22 "$tmp/stereo.wav" '\x02\x00'
expect_runtime "stereo" "stereo.wav: 2 channels; only mono" recognise --model "$tmp/m" "$tmp/stereo.wav"
patch 20 "$tmp/float.wav" '\x03\x00'
expect_runtime "float samples" "float.wav: IEEE float audio" recognise --model "$tmp/m" "$tmp/float.wav"
patch 34 "$tmp/8bit.wav" '\x08\x00'
expect_runtime "8-bit" "8bit.wav: 8-bit PCM" recognise --model "$tmp/m" "$tmp/8bit.wav"
head -c 1000 "$good" > "$tmp/short.wav"
expect_runtime "truncated" "short.wav: truncated" recognise --model "$tmp/m" "$tmp/short.wav"
patch 24 "$tmp/8k.wav" '\x40\x1f\x00\x00'
expect_runtime "8 kHz audio" "Nyquist frequency of 8000 Hz" recognise --model "$tmp/m" "$tmp/8k.wav"
expect_runtime "missing file" "nothing.wav" recognise --model "$tmp/m" "$tmp/nothing.wav"
expect_runtime "missing model" "nomodel" recognise --model "$tmp/nomodel" "$good"
printf 'file\ttext\n' > "$tmp/tones/dev.tsv"
expect_runtime "bad manifest" "dev.tsv: not a speech manifest" train "${small[@]}" --out "$tmp/none"
expect_runtime "no espeak-ng" "does not run" make-data --espeak /nonexistent/espeak --out "$tmp/none"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
