#!/usr/bin/env bash
# --plot DIR of every training example, end to end on tiny data (a few seconds), run by CTest:
#   plot.sh BUILD_EXAMPLES_DIR SOURCE_DIR
# Each example trains two epochs with --plot and must write NAME.csv (tidy rows: training loss,
# tokens/s, gradient norm, its validation metric), NAME.gp and, when gnuplot is installed,
# NAME.png; a run stopped early and resumed must keep its earlier rows, drop rows past the
# checkpoint, and hold the straight run's validation values. Prints "ok: ..." or
# "FAIL: ..." per check; exits non-zero on any failure.
set -u
bin="$1"
src="$2"
tmp=$(mktemp -d /tmp/xgrad-plot-XXXXXX)
trap 'rm -rf "$tmp" "$tmp.stdout" "$tmp.stderr"' EXIT
export LC_ALL=C
source "$(dirname "${BASH_SOURCE[0]}")/rows.sh"
have_gnuplot=0
command -v gnuplot > /dev/null && have_gnuplot=1

head -n 600 "$src/data/tinyshakespeare.txt" > "$tmp/small.txt"
head -n 800 "$src/data/eng-deu-tatoeba-50k.tsv" > "$tmp/pairs.tsv"
head -n 1200 "$src/data/ud-english-ewt/en_ewt-ud-train.conllu" > "$tmp/train.conllu"
head -n 400 "$src/data/ud-english-ewt/en_ewt-ud-dev.conllu" > "$tmp/dev.conllu"

rnnlm=("$bin/rnnlm" train --data "$tmp/small.txt" --vocab 300 --hidden 16 --batch 8 --seed 3
       --epochs 2)
char_lm=("$bin/char_lm" train --data "$tmp/small.txt" --hidden 16 --embed 8 --layers 1 --batch 8
         --seq 20 --seed 3 --epochs 2)
translate=("$bin/translate" train --data "$tmp/pairs.tsv" --valid 20 --test 20 --embed 8
           --hidden 8 --dec-hidden 16 --attention-size 8 --batch 32 --seed 5 --epochs 2)
tagger=("$bin/tagger" train --train "$tmp/train.conllu" --dev "$tmp/dev.conllu"
        --test "$tmp/dev.conllu" --word-dim 8 --char-dim 4 --char-hidden 4 --hidden 8 --layers 1
        --batch 8 --seed 3 --epochs 2)

# series_of CSV: the series names, sorted; values_of CSV SERIES: its "step,value" rows.
series_of() { tail -n +2 "$1" | cut -d, -f1 | sort -u | tr '\n' ' '; }
values_of() { grep "^$2," "$1" | cut -d, -f2-; }

# check NAME METRIC SERIES... -- COMMAND...: trains straight and stopped + resumed.
check() {
  local name="$1" metric="$2"
  shift 2
  local want="$*" cmd
  want="${want%% -- *}"
  while [ "$1" != "--" ]; do shift; done
  shift
  cmd=("$@")
  local d="$tmp/$name-plot" csv="$tmp/$name-plot/$name.csv"
  if ! "${cmd[@]}" --out "$tmp/$name-a" --plot "$d" > "$tmp.stdout" 2> "$tmp.stderr"; then
    fail "$name --plot: training failed: $(tail -c 300 "$tmp.stderr")"
    return
  fi
  if [ "$(head -n 1 "$csv")" = "series,step,value" ] && [ "$(series_of "$csv")" = "$want " ]; then
    pass "$name --plot writes $name.csv with the series $want"
  else
    fail "$name --plot: $csv has series '$(series_of "$csv")', not '$want '"
  fi
  # Training-loss rows: finite, at increasing steps, the last at the last step (the epoch's end,
  # where the validation metric is).
  local last_metric
  last_metric=$(values_of "$csv" "$metric" | tail -n 1 | cut -d, -f1)
  if values_of "$csv" train_loss | awk -F, -v end="$last_metric" '
       $1 <= prev || $2 != $2 + 0 || $2 <= 0 { bad = 1 } { prev = $1; n++ }
       END { exit bad || n < 3 || prev != end }'; then
    pass "$name: training loss at increasing steps up to step $last_metric"
  else
    fail "$name: training loss rows: $(values_of "$csv" train_loss | tr '\n' ' ' | head -c 300)"
  fi
  if values_of "$csv" tokens_per_s | awk -F, '$2 <= 0 { bad = 1 } END { exit bad }' &&
     values_of "$csv" grad_norm | awk -F, '$2 <= 0 || $2 != $2 + 0 { bad = 1 } END { exit bad }'; then
    pass "$name: tokens/s and gradient norms are positive"
  else
    fail "$name: tokens/s or gradient norm not positive"
  fi
  [ -s "$d/$name.gp" ] && pass "$name: $name.gp written" || fail "$name: no $name.gp"
  if [ "$have_gnuplot" = 1 ]; then
    if [ "$(head -c 4 "$d/$name.png" 2> /dev/null | tail -c 3)" = "PNG" ]; then
      pass "$name: $name.png drawn"
    else
      fail "$name: no picture $d/$name.png"
    fi
  fi

  # Stopped after 7 steps, a row from a crashed later attempt appended, then resumed.
  local e="$tmp/$name-plot-b" ecsv="$tmp/$name-plot-b/$name.csv"
  "${cmd[@]}" --out "$tmp/$name-b" --plot "$e" --max-steps 7 > /dev/null 2>&1
  echo "train_loss,999999,1" >> "$ecsv"
  if ! "${cmd[@]}" --out "$tmp/$name-b" --plot "$e" --resume > /dev/null 2> "$tmp.stderr"; then
    fail "$name --plot --resume: $(tail -c 300 "$tmp.stderr")"
    return
  fi
  if ! grep -q "999999" "$ecsv" && values_of "$ecsv" train_loss | head -n 1 | grep -q "^[1-7],"; then
    pass "$name --resume keeps the earlier rows and drops those past the checkpoint"
  else
    fail "$name --resume: $(head -n 5 "$ecsv" | tr '\n' ' ')"
  fi
  # (A run stopped by --max-steps may validate there too: an extra row, the others identical.)
  if [ -n "$(values_of "$csv" "$metric")" ] &&
     [ -z "$(grep -vxFf <(values_of "$ecsv" "$metric") <(values_of "$csv" "$metric"))" ]; then
    pass "$name --resume: the straight run's $metric rows, value for value"
  else
    fail "$name --resume: $metric rows differ: $(values_of "$csv" "$metric" | tr '\n' ' ') vs $(values_of "$ecsv" "$metric" | tr '\n' ' ')"
  fi
}

check rnnlm valid_loss grad_norm lr tokens_per_s train_loss valid_loss valid_ppl -- "${rnnlm[@]}"
check char_lm valid_bpc grad_norm tokens_per_s train_loss valid_bpc valid_loss -- "${char_lm[@]}"
check translate valid_bleu grad_norm tokens_per_s train_loss valid_bleu -- "${translate[@]}"
check tagger dev_accuracy dev_accuracy grad_norm tokens_per_s train_loss -- "${tagger[@]}"

# --plot-every sets the window; --plot at a file is refused before anything is written.
"${rnnlm[@]}" --out "$tmp/every" --plot "$tmp/every-plot" --plot-every 1 --epochs 1 > /dev/null 2>&1
steps=$(values_of "$tmp/every-plot/rnnlm.csv" train_loss | wc -l)
last=$(values_of "$tmp/every-plot/rnnlm.csv" train_loss | tail -n 1 | cut -d, -f1)
if [ "$steps" -gt 3 ] && [ "$steps" = "$last" ]; then
  pass "--plot-every 1: a row per step ($steps)"
else
  fail "--plot-every 1: $steps rows, last at step $last"
fi
touch "$tmp/a-file"
row 2 "a-file: exists and is not a folder" "${rnnlm[@]}" --out OUT --plot "$tmp/a-file"
row 2 "a-file: exists and is not a folder" "${char_lm[@]}" --out OUT --plot "$tmp/a-file"
row 2 "a-file: exists and is not a folder" "${translate[@]}" --out OUT --plot "$tmp/a-file"
row 2 "a-file: exists and is not a folder" "${tagger[@]}" --out OUT --plot "$tmp/a-file"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
