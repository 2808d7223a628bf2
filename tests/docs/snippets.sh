#!/usr/bin/env bash
# Keeps the code shown in docs/*.md true: a line `<!-- snippet NAME FILE -->` before a ```cpp
# block says the block is, line for line, the region of FILE between
# `// snippet NAME begin` and `// snippet NAME end` (FILE compiles and is tested).
#   tests/docs/snippets.sh SOURCE_DIR
set -euo pipefail
root=${1:?usage: snippets.sh SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0 failed=0
for doc in "$root"/docs/*.md; do
  while read -r name file; do
    # The fenced block after the marker, without its fences.
    awk -v m="<!-- snippet $name $file -->" '
      $0 == m { found = 1; next }
      found == 1 && /^```/ { found = 2; next }
      found == 2 && /^```/ { exit }
      found == 2 { print }' "$doc" >"$tmp/doc"
    # The region in the source, without its marker lines.
    awk -v b="// snippet $name begin" -v e="// snippet $name end" '
      index($0, b) == 1 { on = 1; next }
      index($0, e) == 1 { exit }
      on { print }' "$root/$file" >"$tmp/src"
    checked=$((checked + 1))
    if [[ ! -s "$tmp/src" ]]; then
      echo "FAIL ${doc#$root/}: snippet $name: no region '// snippet $name begin' in $file"
      failed=$((failed + 1))
    elif ! diff -u "$tmp/src" "$tmp/doc" >"$tmp/diff"; then
      echo "FAIL ${doc#$root/}: snippet $name differs from $file (- source, + doc):"
      cat "$tmp/diff"
      failed=$((failed + 1))
    fi
  done < <(sed -n 's/^<!-- snippet \([^ ]*\) \([^ ]*\) -->$/\1 \2/p' "$doc")
done
echo "$checked snippets checked, $failed differ"
[[ $checked -gt 0 && $failed -eq 0 ]]
