#!/usr/bin/env bash
# Crash consistency of the trainers' checkpoints, run by CTest:
#   kill_checkpoint.sh BUILD_EXAMPLES_DIR SOURCE_DIR [RANDOM_KILLS [STRIDE]]
# For rnnlm train, char_lm train, tagger train, caption train and speech train (where it was
# built):
#   1. every fault point of a save (each write, fsync, rename, symlink; counted with
#      XGRAD_FAULT_TRACE) is turned in turn into a kill -9 (XGRAD_FAULT_AT) and into a full disk
#      (XGRAD_FAULT_ENOSPC), in a save over an existing checkpoint and in the very first save;
#   2. rnnlm train is killed with SIGKILL at RANDOM_KILLS random moments (default 100) of a run
#      that saves every 3 steps.
# After each fault, the folder must hold a complete checkpoint that --resume continues to exactly
# the model of an uninterrupted run ("resumed"), or no checkpoint at all, which --resume must
# refuse with a clear message ("refused"). Anything else - a crash, a resume that succeeds with
# another model, leftovers after the next run - counts as "bad" and fails the test.
set -u
bin="$1"
src="$2"
random_kills="${3:-100}"
stride="${4:-1}" # every fault point (1), or every stride-th from the first and always the last
tmp=$(mktemp -d /tmp/xgrad-kill-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
head -n 400 "$src/data/tinyshakespeare.txt" > "$tmp/small.txt"
every=""
[ "$stride" -gt 1 ] && every=" (one in $stride, and the last)"
bad=0
report() { echo "$1"; }
problem() { echo "BAD: $1"; bad=$((bad + 1)); }

# Only current, one generation folder and the lock may remain after a successful run.
tidy() {
  local left
  left=$(ls -A "$1" | grep -v -x -e current -e .lock -e 'gen-[0-9]*')
  [ -z "$left" ] && [ "$(ls -d "$1"/gen-* | wc -l)" -eq 1 ]
}

# The fault points to try of N: all of them, or with a stride (the sanitized run, ~5x slower).
points() { { seq 1 "$stride" "$1"; echo "$1"; } | sort -n -u; }

# check_after_fault NAME DIR RC MODEL_FILE REFERENCE RESUME_CMD... : classify one faulted run.
resumed=0 refused=0
check_after_fault() {
  local name="$1" dir="$2" rc="$3" file="$4" ref="$5"
  shift 5
  local err
  err=$("$@" --out "$dir" --resume 2>&1 >/dev/null)
  local rrc=$?
  if [ $rrc -eq 0 ]; then
    if cmp -s "$dir/current/$file" "$ref" && tidy "$dir"; then
      resumed=$((resumed + 1))
    else
      problem "$name: resumed (fault rc $rc) but the model differs or files were left: $(ls -A "$dir")"
    fi
  elif [ $rrc -eq 1 ] && echo "$err" | grep -q "holds no completed checkpoint\|no such folder"; then
    refused=$((refused + 1))
  else
    problem "$name: --resume after the fault (rc $rc) gave rc $rrc: $err"
  fi
}

# fault_suite NAME MODEL_FILE CMD... : the fault-point runs for one trainer. CMD trains for one
# epoch when given --epochs 1 and the reference run when given --epochs 2.
fault_suite() {
  local name="$1" file="$2"
  shift 2
  "$@" --epochs 2 --out "$tmp/ref" > /dev/null 2>&1 || problem "$name: reference run failed"
  "$@" --epochs 1 --out "$tmp/base" > /dev/null 2>&1 || problem "$name: base run failed"
  local ref="$tmp/ref/current/$file"
  # Fault points of the save at the end of epoch 2 (over the epoch-1 checkpoint), and of a
  # first save.
  rm -rf "$tmp/t" && cp -a "$tmp/base" "$tmp/t"
  local n_over n_first k rc err
  n_over=$(XGRAD_FAULT_TRACE=1 "$@" --epochs 2 --out "$tmp/t" --resume 2>&1 >/dev/null | grep -c '^xgrad-fault')
  rm -rf "$tmp/t"
  n_first=$(XGRAD_FAULT_TRACE=1 "$@" --epochs 1 --out "$tmp/t" 2>&1 >/dev/null | grep -c '^xgrad-fault')
  [ "$n_over" -ge 8 ] && [ "$n_first" -ge 8 ] || problem "$name: too few fault points ($n_over, $n_first)"
  resumed=0 refused=0
  for k in $(points "$n_over"); do
    rm -rf "$tmp/w" && cp -a "$tmp/base" "$tmp/w"
    XGRAD_FAULT_AT=$k "$@" --epochs 2 --out "$tmp/w" --resume > /dev/null 2>&1
    rc=$?
    [ $rc -eq 137 ] || problem "$name: kill at fault point $k of $n_over did not happen (rc $rc)"
    check_after_fault "$name kill $k/$n_over" "$tmp/w" $rc "$file" "$ref" "$@" --epochs 2
  done
  for k in $(points "$n_first"); do
    rm -rf "$tmp/w"
    XGRAD_FAULT_AT=$k "$@" --epochs 1 --out "$tmp/w" > /dev/null 2>&1
    rc=$?
    [ $rc -eq 137 ] || problem "$name: kill at fault point $k of the first save did not happen (rc $rc)"
    check_after_fault "$name first-save kill $k/$n_first" "$tmp/w" $rc "$file" "$ref" "$@" --epochs 2
    # A refused folder is reusable: a fresh run cleans up what the killed save left.
    if [ ! -e "$tmp/w/current" ]; then
      "$@" --epochs 2 --out "$tmp/w" > /dev/null 2>&1 && cmp -s "$tmp/w/current/$file" "$ref" &&
        tidy "$tmp/w" || problem "$name: a fresh run in the folder of first-save kill $k failed"
    fi
  done
  report "$name: kill at each of $((n_over + n_first)) fault points$every ($n_over over a checkpoint, $n_first in a first save): $resumed resumed bit-exactly, $refused refused cleanly, $bad bad so far"
  local full=0
  for k in $(points "$n_over"); do
    rm -rf "$tmp/w" && cp -a "$tmp/base" "$tmp/w"
    err=$(XGRAD_FAULT_ENOSPC=$k "$@" --epochs 2 --out "$tmp/w" --resume 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 1 ] && echo "$err" | grep -q "No space left on device" &&
       ! ls -A "$tmp/w" | grep -q '\.tmp'; then
      full=$((full + 1))
    elif [ $rc -eq 0 ] && ! echo "$err" | grep -q "error"; then
      full=$((full + 1)) # a best-effort step (the final folder fsync) may fail harmlessly
    else
      problem "$name: full disk at fault point $k: rc $rc, $err, left: $(ls -A "$tmp/w")"
    fi
    check_after_fault "$name full disk $k/$n_over" "$tmp/w" $rc "$file" "$ref" "$@" --epochs 2
  done
  report "$name: full disk at each of $n_over fault points$every: $full failed cleanly with the old checkpoint kept"
}

rnnlm=("$bin/rnnlm" train --data "$tmp/small.txt" --vocab 300 --hidden 16 --batch 8 --seed 3)
char_lm=("$bin/char_lm" train --data "$tmp/small.txt" --hidden 32 --embed 8 --layers 1 --batch 8
         --seq 20 --seed 3)
fault_suite rnnlm model.safetensors "${rnnlm[@]}"
fault_suite char_lm model.safetensors "${char_lm[@]}"
head -n 600 "$src/data/wnut17/wnut17train.conll" > "$tmp/train.conll"
head -n 200 "$src/data/wnut17/emerging.dev.conll" > "$tmp/dev.conll"
tagger=("$bin/tagger" train --train "$tmp/train.conll" --dev "$tmp/dev.conll" --test ""
        --output crf --word-dim 8 --char-dim 4 --char-hidden 4 --hidden 8 --layers 1 --batch 8
        --seed 3)
fault_suite tagger model.safetensors "${tagger[@]}"
if [ -x "$bin/speech" ]; then
  "$bin/speech" make-data --source tones --out "$tmp/speech" --train 40 --dev 8 --test 4 \
    --max-digits 3 --seed 2 > /dev/null
  speech=("$bin/speech" train --data "$tmp/speech" --hidden 8 --layers 1 --batch 8 --seed 3
          --time-budget 0)
  fault_suite speech model.safetensors "${speech[@]}"
fi
"$bin/caption" make-data --out "$tmp/caption" --train 48 --valid 8 --test 2 --unseen 2 \
  --samples 0 --seed 2 > /dev/null
caption=("$bin/caption" train --data "$tmp/caption" --width 2 --embed 4 --hidden 8 --attend 4
         --batch 16 --seed 3 --time-budget 0)
fault_suite caption model.safetensors "${caption[@]}"

# Random kills of a run that saves every 3 steps. The reference is the uninterrupted run.
"${rnnlm[@]}" --epochs 2 --save-every 3 --out "$tmp/rref" > /dev/null 2>&1
ref="$tmp/rref/current/model.safetensors"
start=$(date +%s%N)
"${rnnlm[@]}" --epochs 2 --save-every 3 --out "$tmp/timing" > /dev/null 2>&1
span_ms=$(( ($(date +%s%N) - start) / 1000000 ))
resumed=0 refused=0
loaded=0
for i in $(seq 1 "$random_kills"); do
  rm -rf "$tmp/w"
  "${rnnlm[@]}" --epochs 2 --save-every 3 --out "$tmp/w" > /dev/null 2>&1 &
  pid=$!
  delay=$(( RANDOM % (span_ms + 1) ))
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  [ -e "$tmp/w/current" ] && loaded=$((loaded + 1))
  check_after_fault "random kill $i (${delay} ms)" "$tmp/w" 137 model.safetensors "$ref" \
    "${rnnlm[@]}" --epochs 2 --save-every 3
done
report "rnnlm: $random_kills kills at random moments of a ${span_ms} ms run: $resumed resumed bit-exactly ($loaded from a checkpoint the kill left), $refused refused cleanly"
echo "bad: $bad"
[ $bad -eq 0 ]
