#!/usr/bin/env bash
# Bad input to every example program, table-driven, run by CTest:
#   bad_input.sh BUILD_EXAMPLES_DIR SOURCE_DIR
# Each row: the expected exit code (2: a usage error, 1: a runtime error such as a bad file), a
# fragment of the expected message, the command. A row passes when the command exits with that
# code, writes exactly one line to stderr containing the fragment, and leaves the temporary
# directory as it was (no output directory, no partial files). The word OUT in a command is
# replaced by a fresh path that must not exist afterwards.
set -u
bin="$1"
src="$2"
tmp=$(mktemp -d /tmp/xgrad-bad-input-XXXXXX)
trap 'rm -rf "$tmp" "$tmp.stdout" "$tmp.stderr"' EXIT
export LC_ALL=C
source "$(dirname "${BASH_SOURCE[0]}")/rows.sh"

# Inputs: a tiny corpus and a model of each kind trained on it (well under a second each).
head -c 3000 "$src/data/tinyshakespeare.txt" > "$tmp/small.txt"
rt=("$bin/rnnlm" train --data "$tmp/small.txt" --vocab 50 --hidden 8 --epochs 1 --max-sentences 60)
ct=("$bin/char_lm" train --data "$tmp/small.txt" --hidden 8 --embed 4 --layers 1 --batch 4 --seq 10
    --epochs 1 --max-chars 2000)
"${rt[@]}" --out "$tmp/rm" > /dev/null || { echo "FAIL: cannot train the rnnlm model"; exit 1; }
"${ct[@]}" --out "$tmp/cm" > /dev/null || { echo "FAIL: cannot train the char_lm model"; exit 1; }
# The trainers write checkpoints (DIR/current -> gen-N/ with a MANIFEST); the corruptions below
# are made on plain copies, which score/generate/sample read as well, so that each row reaches
# the check it is about rather than the manifest's.
for m in rm cm; do
  mv "$tmp/$m" "$tmp/$m-ckpt"
  cp -rL "$tmp/$m-ckpt/current" "$tmp/$m"
done
rt+=(--out OUT)
ct+=(--out OUT)

# Corrupt inputs.
: > "$tmp/empty.txt"
printf ' \n\t\n' > "$tmp/blank.txt"
mkdir "$tmp/dir"
head -c 4096 /bin/sh > "$tmp/binary.txt"
{ head -c 500 "$tmp/small.txt"; printf '\xff\xfe bad'; } > "$tmp/latin.txt"   # offset 500
{ head -c 200 "$tmp/small.txt"; printf 'caf\xc3'; } > "$tmp/cut.txt"        # cut-off é
{ printf 'ok\n'; printf '\xc0\xaf\n'; } > "$tmp/overlong.txt"               # overlong '/'
{ printf 'ok\n'; printf '\xed\xa0\x80\n'; } > "$tmp/surrogate.txt"          # U+D800
{ printf 'ok '; printf 'a\0b\n'; } > "$tmp/nul.txt"                          # NUL at offset 4
printf 'title,text\nx,y\n' > "$tmp/nobody.csv"
printf 'body\n"unclosed\n' > "$tmp/unclosed.csv"

# A model directory with one file replaced: copy_model SRC NAME FILE CONTENT-COMMAND...
model_with() { # src dst file: copies src to dst, then the caller rewrites dst/file
  rm -rf "$2"
  cp -r "$1" "$2"
}
# Rewrites a safetensors file's JSON header with a sed expression (header length recomputed).
rewrite_header() { # file sed-expression
  local f="$1" len json n
  len=$(od -An -tu8 -N8 "$f" | tr -d ' ')
  json=$(head -c $((8 + len)) "$f" | tail -c "$len" | sed -e "$2")
  json="${json%"${json##*[! ]}"}" # trailing padding
  n=${#json}
  {
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' $((n & 255)) \
      $(((n >> 8) & 255)) $(((n >> 16) & 255)) $(((n >> 24) & 255)))"
    printf '%s' "$json"
    tail -c +$((9 + len)) "$f"
  } > "$f.new"
  mv "$f.new" "$f"
}
for m in rm cm; do
  model_with "$tmp/$m" "$tmp/$m-trunc"
  head -c 100 "$tmp/$m/model.safetensors" > "$tmp/$m-trunc/model.safetensors"
  model_with "$tmp/$m" "$tmp/$m-short"
  size=$(wc -c < "$tmp/$m/model.safetensors")
  head -c $((size - 7)) "$tmp/$m/model.safetensors" > "$tmp/$m-short/model.safetensors"
  model_with "$tmp/$m" "$tmp/$m-empty"
  : > "$tmp/$m-empty/model.safetensors"
  model_with "$tmp/$m" "$tmp/$m-garbage"
  head -c 2000 /bin/sh > "$tmp/$m-garbage/model.safetensors"
  model_with "$tmp/$m" "$tmp/$m-nomodel"
  rm "$tmp/$m-nomodel/model.safetensors"
  model_with "$tmp/$m" "$tmp/$m-dirmodel"
  rm "$tmp/$m-dirmodel/model.safetensors"
  mkdir "$tmp/$m-dirmodel/model.safetensors"
  model_with "$tmp/$m" "$tmp/$m-json"
  rewrite_header "$tmp/$m-json/model.safetensors" 's/"__metadata__":{/"__metadata__":{{/'
done
meta() { # model dst sed-expression
  model_with "$tmp/$1" "$tmp/$2"
  rewrite_header "$tmp/$2/model.safetensors" "$3"
}
meta rm rm-hidden-abc 's/"hidden":"8"/"hidden":"abc"/'
meta rm rm-hidden-neg 's/"hidden":"8"/"hidden":"-8"/'
meta rm rm-hidden-huge 's/"hidden":"8"/"hidden":"1000000000000"/'
meta rm rm-hidden-space 's/"hidden":"8"/"hidden":"8 "/'
meta rm rm-hidden-9 's/"hidden":"8"/"hidden":"9"/'
meta rm rm-layers-0 's/"layers":"1"/"layers":"0"/'
meta rm rm-vocab-99 's/"vocab":"50"/"vocab":"99"/'
meta rm rm-vocab-huge 's/"vocab":"50"/"vocab":"16777216"/'
meta rm rm-cell 's/"cell":"rnn"/"cell":"xyz"/'
meta rm rm-nocell 's/"cell":"rnn",//'
meta rm rm-novocab 's/,"vocab":"50"//'
meta rm rm-big 's/"hidden":"8"/"hidden":"65536"/; s/"vocab":"50"/"vocab":"65536"/'
meta cm cm-hidden-abc 's/"hidden":"8"/"hidden":"abc"/'
meta cm cm-embed-0 's/"embed":"4"/"embed":"0"/'
meta cm cm-layers-huge 's/"layers":"1"/"layers":"100000"/'
meta cm cm-big 's/"hidden":"8"/"hidden":"65536"/; s/"layers":"1"/"layers":"64"/'
meta cm cm-chars-empty 's/"chars":"[^"]*"/"chars":""/'
meta cm cm-chars-dup 's/"chars":"\\n/"chars":"aa\\n/'
meta cm cm-nohidden 's/,"hidden":"8"//'
meta cm cm-nochars 's/"chars":"[^"]*",//'
model_with "$tmp/rm" "$tmp/rm-vocab-short"
{ head -n 10 "$tmp/rm/vocab.txt"; echo UNKNOWN_TOKEN; } > "$tmp/rm-vocab-short/vocab.txt"
model_with "$tmp/rm" "$tmp/rm-vocab-empty"
: > "$tmp/rm-vocab-empty/vocab.txt"
model_with "$tmp/rm" "$tmp/rm-vocab-binary"
head -c 600 /bin/sh > "$tmp/rm-vocab-binary/vocab.txt"
model_with "$tmp/rm" "$tmp/rm-vocab-missing"
rm "$tmp/rm-vocab-missing/vocab.txt"
model_with "$tmp/rm" "$tmp/rm-vocab-nospecial"
grep -v UNKNOWN_TOKEN "$tmp/rm/vocab.txt" > "$tmp/rm-vocab-nospecial/vocab.txt"
echo extra >> "$tmp/rm-vocab-nospecial/vocab.txt"
# --resume from a folder that holds no checkpoint.
mkdir "$tmp/resume-empty"


# ---- flags common to every parser: each program ----------------------------------------------
for p in "rnnlm train" "rnnlm score" "rnnlm generate" "char_lm train" "char_lm sample" \
         "custom_cell" "gradcheck" "xgrad-demo" "translate train" "translate translate" \
         "translate evaluate"; do
  read -r -a cmd <<< "$p"
  cmd[0]="$bin/${cmd[0]}"
  row 2 "unknown option --bogus" "${cmd[@]}" --bogus 1
  row 2 "unknown option -x" "${cmd[@]}" -x
  row 2 "unknown option --" "${cmd[@]}" ---
done
row 2 "unexpected argument 'hidden'" "${rt[@]}" hidden 32
row 2 "did you mean --hidden?" "${rt[@]}" hidden 32
row 2 "did you mean --hidden?" "${rt[@]}" --hiden 32
row 2 "unexpected argument '32'" "${ct[@]}" -- 32
row 2 "unexpected argument 'x'" "$bin/rnnlm" generate --model "$tmp/rm" x
row 2 "unexpected argument 'ROMEO'" "$bin/char_lm" sample --model "$tmp/cm" ROMEO
row 2 "unexpected argument 'x'" "$bin/custom_cell" x
row 2 "unexpected argument 'x'" "$bin/gradcheck" x
row 2 "unexpected argument 'x'" "$bin/xgrad-demo" x
row 2 "--resume is a switch" "${rt[@]}" --resume=yes
row 2 "--bidirectional is a switch" "$bin/gradcheck" --bidirectional=1
row 2 "--batch needs a value" "${rt[@]}" --batch
row 2 "--seq needs a value" "${ct[@]}" --seq
row 2 "unknown command 'bogus'" "$bin/rnnlm" bogus
row 2 "unknown command '--batch'" "$bin/rnnlm" --batch 1
row 2 "unknown command 'bogus'" "$bin/char_lm" bogus

# ---- rnnlm train: every flag ----------------------------------------------------------------
for v in '' ; do row 2 "--data: '' is not a valid value" "${rt[@]}" --data "$v"; done
row 2 "--out: '' is not a valid value" "${rt[@]}" --out ''
for v in foo RNN '' lstm2; do row 2 "--cell: '$v' is not a valid value" "${rt[@]}" --cell "$v"; done
for v in 0 65 -1 1.5 x; do row 2 "--layers: '$v'" "${rt[@]}" --layers "$v"; done
for v in 0 65537 1000000000000 4611686018427387904 18446744073709551616 -8 8x ' 8' 0x10 1e3; do
  row 2 "--hidden: '$v'" "${rt[@]}" --hidden "$v"
done
for v in 0 3 16777217 -50 abc; do row 2 "--vocab: '$v'" "${rt[@]}" --vocab "$v"; done
for v in SGD rmsprop ''; do row 2 "--optim: '$v' is not a valid value" "${rt[@]}" --optim "$v"; done
for v in -1 0 -0.5 nan NaN inf -inf 1e400 0.1x '' 1e7 0x1p-3; do
  row 2 "--lr: '$v'" "${rt[@]}" --lr "$v"
done
for v in 0 -3 2097152 1.0; do row 2 "--batch: '$v'" "${rt[@]}" --batch "$v"; done
for v in 0 -1 1000001; do row 2 "--epochs: '$v'" "${rt[@]}" --epochs "$v"; done
for v in -1 x 2.5; do row 2 "--bptt: '$v' is not a valid value" "${rt[@]}" --bptt "$v"; done
for v in -1 -0.001 nan inf; do row 2 "--clip: '$v'" "${rt[@]}" --clip "$v"; done
for v in -0.5 1 1.5 0.51 nan inf x; do row 2 "--valid: '$v'" "${rt[@]}" --valid "$v"; done
for v in -1 x; do row 2 "--max-sentences: '$v' is not a valid value" "${rt[@]}" --max-sentences "$v"; done
for v in 1 -1 x; do row 2 "--max-length: '$v'" "${rt[@]}" --max-length "$v"; done
row 2 "--max-length 2 drops all" "${rt[@]}" --max-length 2
for v in -1 -0.1 nan inf x; do row 2 "--time-budget: '$v'" "${rt[@]}" --time-budget "$v"; done
for v in -1 x; do row 2 "--max-steps: '$v' is not a valid value" "${rt[@]}" --max-steps "$v"; done
for v in -1 x 18446744073709551616; do row 2 "--seed: '$v' is not a valid value" "${rt[@]}" --seed "$v"; done
row 2 "more than the limit of 268435456" "${rt[@]}" --hidden 65536 --vocab 65536
row 2 "more than the limit of 268435456" "${rt[@]}" --cell lstm --hidden 8192 --layers 64
row 1 "distinct tokens" "${rt[@]}" --vocab 100000
# rnnlm train: the corpus.
row 1 "none.txt': No such file or directory" "${rt[@]}" --data "$tmp/none.txt"
row 1 "is a directory" "${rt[@]}" --data "$tmp/dir"
row 1 "is empty" "${rt[@]}" --data "$tmp/empty.txt"
row 1 "is empty" "${rt[@]}" --data "$tmp/blank.txt"
row 1 "not a text file: byte offset" "${rt[@]}" --data "$tmp/binary.txt"
row 1 "not a text file: byte offset" "${rt[@]}" --data /bin/sh
row 1 "byte offset 500: invalid UTF-8" "${rt[@]}" --data "$tmp/latin.txt"
row 1 "byte offset 203: invalid UTF-8" "${rt[@]}" --data "$tmp/cut.txt"
row 1 "byte offset 3: invalid UTF-8" "${rt[@]}" --data "$tmp/overlong.txt"
row 1 "byte offset 3: invalid UTF-8" "${rt[@]}" --data "$tmp/surrogate.txt"
row 1 "byte offset 4: a NUL byte" "${rt[@]}" --data "$tmp/nul.txt"
row 1 "no column named 'body'" "${rt[@]}" --data "$tmp/nobody.csv"
row 1 "not closed" "${rt[@]}" --data "$tmp/unclosed.csv"
row 1 "holds no completed checkpoint" "${rt[@]}" --resume --out "$tmp/resume-empty"
row 1 "Not a directory" "${rt[@]}" --out "$tmp/small.txt"

# ---- rnnlm score / generate -----------------------------------------------------------------
row 2 "--model: '' is not a valid value" "$bin/rnnlm" score --model '' x
row 2 "either --data or SENTENCE" "$bin/rnnlm" score --model "$tmp/rm" --data "$tmp/small.txt" x
row 1 "not a text file" "$bin/rnnlm" score --model "$tmp/rm" --data /bin/sh
row 1 "is a directory" "$bin/rnnlm" score --model "$tmp/rm" --data "$tmp/dir"
row 1 "none.txt': No such file or directory" "$bin/rnnlm" score --model "$tmp/rm" --data "$tmp/none.txt"
row 1 "is empty" "$bin/rnnlm" score --model "$tmp/rm" --data "$tmp/empty.txt"
row 2 "--model: '' is not a valid value" "$bin/rnnlm" generate --model ''
for v in 0 -1 1000001 x; do row 2 "--count: '$v'" "$bin/rnnlm" generate --model "$tmp/rm" --count "$v"; done
for v in -1 x 1000001; do row 2 "--min-length: '$v'" "$bin/rnnlm" generate --model "$tmp/rm" --min-length "$v"; done
for v in 0 -1 x; do row 2 "--max-length: '$v'" "$bin/rnnlm" generate --model "$tmp/rm" --max-length "$v"; done
row 2 "--min-length 9 is more than --max-length 8" "$bin/rnnlm" generate --model "$tmp/rm" --min-length 9 --max-length 8
for v in 0 -1 nan inf 1e400 x; do row 2 "--temperature: '$v'" "$bin/rnnlm" generate --model "$tmp/rm" --temperature "$v"; done
for v in -1 x; do row 2 "--top-k: '$v'" "$bin/rnnlm" generate --model "$tmp/rm" --top-k "$v"; done
for v in -1 x; do row 2 "--seed: '$v'" "$bin/rnnlm" generate --model "$tmp/rm" --seed "$v"; done
# The model directory, for both commands.
for c in "score x" generate; do
  read -r -a cmd <<< "$c"
  r=("$bin/rnnlm" "${cmd[0]}" "${cmd[@]:1}")
  row 1 "cannot open" "${r[@]}" --model "$tmp/none"
  row 1 "cannot open" "${r[@]}" --model "$tmp/rm-nomodel"
  row 1 "it is a directory" "${r[@]}" --model "$tmp/rm-dirmodel"
  row 1 "not a valid safetensors file" "${r[@]}" --model "$tmp/rm-trunc"
  row 1 "not a valid safetensors file" "${r[@]}" --model "$tmp/rm-short"
  row 1 "rm-empty/model.safetensors" "${r[@]}" --model "$tmp/rm-empty"
  row 1 "rm-garbage/model.safetensors" "${r[@]}" --model "$tmp/rm-garbage"
  row 1 "rm-json/model.safetensors" "${r[@]}" --model "$tmp/rm-json"
  row 1 "metadata 'hidden' is 'abc', not an integer from 1 to 65536" "${r[@]}" --model "$tmp/rm-hidden-abc"
  row 1 "metadata 'hidden' is '-8'" "${r[@]}" --model "$tmp/rm-hidden-neg"
  row 1 "metadata 'hidden' is '1000000000000'" "${r[@]}" --model "$tmp/rm-hidden-huge"
  row 1 "metadata 'hidden' is '8 '" "${r[@]}" --model "$tmp/rm-hidden-space"
  row 1 "rm-hidden-9/model.safetensors" "${r[@]}" --model "$tmp/rm-hidden-9"
  row 1 "metadata 'layers' is '0'" "${r[@]}" --model "$tmp/rm-layers-0"
  row 1 "has 50 words but the model expects 99" "${r[@]}" --model "$tmp/rm-vocab-99"
  row 1 "more than the limit of 268435456" "${r[@]}" --model "$tmp/rm-vocab-huge"
  row 1 "metadata 'cell' is 'xyz'" "${r[@]}" --model "$tmp/rm-cell"
  row 1 "lacks 'cell'" "${r[@]}" --model "$tmp/rm-nocell"
  row 1 "the metadata has no 'vocab'" "${r[@]}" --model "$tmp/rm-novocab"
  row 1 "more than the limit of 268435456" "${r[@]}" --model "$tmp/rm-big"
  row 1 "lacks 'cell'" "${r[@]}" --model "$tmp/cm"
  row 1 "expects 50" "${r[@]}" --model "$tmp/rm-vocab-short"
  row 1 "is empty" "${r[@]}" --model "$tmp/rm-vocab-empty"
  row 1 "not a text file" "${r[@]}" --model "$tmp/rm-vocab-binary"
  row 1 "cannot open" "${r[@]}" --model "$tmp/rm-vocab-missing"
  row 1 "lacks the special token" "${r[@]}" --model "$tmp/rm-vocab-nospecial"
done

# ---- char_lm train: every flag --------------------------------------------------------------
row 2 "--data: '' is not a valid value" "${ct[@]}" --data ''
row 2 "--out: '' is not a valid value" "${ct[@]}" --out ''
for f in embed hidden; do
  for v in 0 65537 1000000000000 -1 x; do row 2 "--$f: '$v'" "${ct[@]}" --$f "$v"; done
done
for v in 0 65 -1; do row 2 "--layers: '$v'" "${ct[@]}" --layers "$v"; done
for v in 0 -1 2097152 x; do row 2 "--batch: '$v'" "${ct[@]}" --batch "$v"; done
for v in 0 -1 2097152 x; do row 2 "--seq: '$v'" "${ct[@]}" --seq "$v"; done
for v in 0 -1 1000001; do row 2 "--epochs: '$v'" "${ct[@]}" --epochs "$v"; done
for v in -1 0 nan inf 1e400 x; do row 2 "--lr: '$v'" "${ct[@]}" --lr "$v"; done
for v in -1 nan inf x; do row 2 "--clip: '$v'" "${ct[@]}" --clip "$v"; done
for v in 0 1 -0.5 1.5 nan inf x; do row 2 "--valid: '$v'" "${ct[@]}" --valid "$v"; done
row 2 "the validation part needs at least --seq + 1 = 11" "${ct[@]}" --valid 0.001
row 2 "too few for --batch 4 x --seq 10" "${ct[@]}" --valid 0.99
row 2 "too few for --batch 1000 x --seq 10" "${ct[@]}" --batch 1000
row 2 "too short for --seq 1000" "${ct[@]}" --seq 1000
for v in -1 x; do row 2 "--max-chars: '$v'" "${ct[@]}" --max-chars "$v"; done
for v in -1 x; do row 2 "--checkpoint-every: '$v'" "${ct[@]}" --checkpoint-every "$v"; done
for v in -1 nan inf x; do row 2 "--time-budget: '$v'" "${ct[@]}" --time-budget "$v"; done
for v in -1 x; do row 2 "--seed: '$v'" "${ct[@]}" --seed "$v"; done
row 2 "more than the limit of 268435456" "${ct[@]}" --hidden 65536 --layers 64
row 2 "has 1 characters: too short" "${ct[@]}" --max-chars 1
# char_lm train: the text.
row 1 "none.txt': No such file or directory" "${ct[@]}" --data "$tmp/none.txt"
row 1 "is a directory" "${ct[@]}" --data "$tmp/dir"
row 1 "is empty" "${ct[@]}" --data "$tmp/empty.txt"
row 1 "not a text file: byte offset" "${ct[@]}" --data "$tmp/binary.txt"
row 1 "not a text file: byte offset" "${ct[@]}" --data /bin/sh
row 1 "byte offset 500: invalid UTF-8" "${ct[@]}" --data "$tmp/latin.txt"
row 1 "byte offset 203: invalid UTF-8" "${ct[@]}" --data "$tmp/cut.txt"
row 1 "byte offset 3: invalid UTF-8" "${ct[@]}" --data "$tmp/overlong.txt"
row 1 "byte offset 4: a NUL byte" "${ct[@]}" --data "$tmp/nul.txt"
row 1 "holds no completed checkpoint" "${ct[@]}" --resume --out "$tmp/resume-empty"
row 1 "Not a directory" "${ct[@]}" --out "$tmp/small.txt"

# ---- char_lm sample -------------------------------------------------------------------------
cs=("$bin/char_lm" sample --model "$tmp/cm" --length 5)
row 2 "--model: '' is not a valid value" "${cs[@]}" --model ''
row 2 "--prime: '' is not a valid value" "${cs[@]}" --prime ''
row 2 "--prime: the character 'X' at byte offset 3 is not in the model's alphabet" "${cs[@]}" --prime "ABCX"
row 2 "--prime: the character 0xC3 at byte offset 0" "${cs[@]}" --prime "é"
for v in -1 x 100000001; do row 2 "--length: '$v'" "${cs[@]}" --length "$v"; done
for v in 0 -1 nan inf x; do row 2 "--temperature: '$v'" "${cs[@]}" --temperature "$v"; done
for v in -1 x; do row 2 "--seed: '$v'" "${cs[@]}" --seed "$v"; done
row 1 "cannot open" "${cs[@]}" --model "$tmp/none"
row 1 "cannot open" "${cs[@]}" --model "$tmp/cm-nomodel"
row 1 "it is a directory" "${cs[@]}" --model "$tmp/cm-dirmodel"
row 1 "not a valid safetensors file" "${cs[@]}" --model "$tmp/cm-trunc"
row 1 "not a valid safetensors file" "${cs[@]}" --model "$tmp/cm-short"
row 1 "cm-empty/model.safetensors" "${cs[@]}" --model "$tmp/cm-empty"
row 1 "cm-garbage/model.safetensors" "${cs[@]}" --model "$tmp/cm-garbage"
row 1 "cm-json/model.safetensors" "${cs[@]}" --model "$tmp/cm-json"
row 1 "metadata 'hidden' is 'abc', not an integer from 1 to 65536" "${cs[@]}" --model "$tmp/cm-hidden-abc"
row 1 "metadata 'embed' is '0'" "${cs[@]}" --model "$tmp/cm-embed-0"
row 1 "metadata 'layers' is '100000'" "${cs[@]}" --model "$tmp/cm-layers-huge"
row 1 "more than the limit of 268435456" "${cs[@]}" --model "$tmp/cm-big"
row 1 "metadata 'chars' is empty" "${cs[@]}" --model "$tmp/cm-chars-empty"
row 1 "metadata 'chars' is not an alphabet" "${cs[@]}" --model "$tmp/cm-chars-dup"
row 1 "the metadata has no 'hidden'" "${cs[@]}" --model "$tmp/cm-nohidden"
row 1 "lacks 'chars'" "${cs[@]}" --model "$tmp/cm-nochars"
row 1 "lacks 'chars'" "${cs[@]}" --model "$tmp/rm"

# ---- custom_cell, gradcheck, xgrad-demo -----------------------------------------------------
for v in 0 -1 10000001 x; do row 2 "--steps: '$v'" "$bin/custom_cell" --steps "$v"; done
for v in 0 1 4097 x; do row 2 "--symbols: '$v'" "$bin/custom_cell" --symbols "$v"; done
for v in 0 1 4097 x; do row 2 "--length: '$v'" "$bin/custom_cell" --length "$v"; done
for v in 0 4097 1000000000000 x; do row 2 "--hidden: '$v'" "$bin/custom_cell" --hidden "$v"; done
for v in 0 4097 x; do row 2 "--batch: '$v'" "$bin/custom_cell" --batch "$v"; done
row 2 "--seed: '-1'" "$bin/custom_cell" --seed -1
for v in foo ''; do row 2 "--cell: '$v' is not a valid value" "$bin/gradcheck" --cell "$v"; done
for v in 0 9 x; do row 2 "--layers: '$v'" "$bin/gradcheck" --layers "$v"; done
for v in 0 257 x; do row 2 "--input: '$v'" "$bin/gradcheck" --input "$v"; done
for v in 0 257 1000000000000; do row 2 "--hidden: '$v'" "$bin/gradcheck" --hidden "$v"; done
for v in 0 -1 nan inf 2; do row 2 "--eps: '$v'" "$bin/gradcheck" --eps "$v"; done
for v in -1 nan x; do row 2 "--atol: '$v'" "$bin/gradcheck" --atol "$v"; done
for v in -1 inf; do row 2 "--rtol: '$v'" "$bin/gradcheck" --rtol "$v"; done
row 2 "--lengths: '' is not a valid value" "$bin/gradcheck" --lengths ''
for v in 0 -1 x 3x 1001; do row 2 "--lengths: '$v' is not an integer" "$bin/gradcheck" --lengths "2,$v"; done
row 2 "--lengths: '' is not an integer" "$bin/gradcheck" --lengths ,
row 2 "--lengths needs 1 to 64 values" "$bin/gradcheck" --lengths "$(seq -s, 1 65)"
for v in 0 -5 x 100000001 2.5; do row 2 "--steps: '$v'" "$bin/xgrad-demo" --steps "$v"; done
for v in 0 -0.1 nan inf x; do row 2 "--lr: '$v'" "$bin/xgrad-demo" --lr "$v"; done
for v in 0 65537 x; do row 2 "--hidden: '$v'" "$bin/xgrad-demo" --hidden "$v"; done
row 2 "--seed: 'x'" "$bin/xgrad-demo" --seed x

rm -f "$tmp.stdout" "$tmp.stderr"
echo "rows: $row_n; $passes passed, $failures failed"
[ $failures -eq 0 ]
