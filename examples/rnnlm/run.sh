#!/usr/bin/env bash
# The README's main job: train the tutorial's RNN language model on the shipped Shakespeare
# corpus for a few minutes, then score a natural sentence against the same words shuffled, and
# generate ten sentences.   usage: examples/rnnlm/run.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
rnnlm="$build/examples/rnnlm"
model="$build/rnnlm-model"

echo "== training (vocabulary 8000, hidden 100, Adam, batches of 32 sentences; at most 4 minutes)"
"$rnnlm" train --out "$model" --batch 32 --optim adam --lr 0.002 --epochs 3 --time-budget 4 --seed 1 \
  --plot "$build/rnnlm-curves"
echo "curves of the run: $build/rnnlm-curves/rnnlm.csv$(command -v gnuplot > /dev/null && echo " and rnnlm.png")"

natural="what is the matter , my lord ?"
shuffled="lord matter the my is what , ?"
echo
echo "== scoring a natural sentence and the same words shuffled"
scores=$("$rnnlm" score --model "$model" "$natural" "$shuffled")
echo "$scores"
a=$(echo "$scores" | sed -n 1p | awk '{print $2}')
b=$(echo "$scores" | sed -n 2p | awk '{print $2}')
if awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > b) }'; then
  echo "the natural sentence is more likely ($a > $b)"
else
  echo "unexpected: the shuffled sentence scored at least as well ($b >= $a)"
fi

echo
echo "== ten generated sentences (at least 7 words each, as in the tutorial)"
"$rnnlm" generate --model "$model" --count 10 --min-length 7 --seed 1
