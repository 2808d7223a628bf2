# Shared by the example programs' command-line tests (sourced, not run): pass/fail counters and
# row, the bad-input check. The sourcing script sets $bin (the programs' folder) and $tmp (its
# temporary folder) first.
#   row EXPECTED-EXIT FRAGMENT COMMAND...
# passes when COMMAND exits with EXPECTED-EXIT, writes exactly one line to stderr containing
# FRAGMENT, and leaves $tmp as it was (no output folder, no partial files). The word OUT in
# COMMAND is replaced by a fresh path that must not exist afterwards.
failures=0
passes=0
row_n=0
pass() { echo "ok: $1"; passes=$((passes + 1)); }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }

snapshot() { (cd "$tmp" && find . | sort); }

row() {
  local want="$1" frag="$2"
  shift 2
  row_n=$((row_n + 1))
  local out="$tmp/out-$row_n" args=() a
  for a in "$@"; do
    if [ "$a" = OUT ]; then args+=("$out"); else args+=("$a"); fi
  done
  local before after
  before=$(snapshot)
  timeout 60 "${args[@]}" < /dev/null > "$tmp.stdout" 2> "$tmp.stderr"
  local rc=$?
  after=$(snapshot)
  local lines shown="${args[*]#$bin/}" why=""
  lines=$(wc -l < "$tmp.stderr")
  shown="${shown//$tmp\//}"
  [ "$rc" -eq "$want" ] || why="exit $rc, not $want"
  [ -z "$why" ] && [ "$lines" -ne 1 ] && why="$lines lines on stderr"
  [ -z "$why" ] && ! grep -qF -- "$frag" "$tmp.stderr" && why="no '$frag' in the message"
  [ -z "$why" ] && [ "$before" != "$after" ] &&
    why="files changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -3 | tr '\n' ' ')"
  if [ -z "$why" ]; then
    pass "$shown -> $(head -c 160 "$tmp.stderr")"
  else
    fail "$shown: $why; stderr: $(head -c 300 "$tmp.stderr" | tr '\n' '|')"
  fi
  rm -rf "$out"
}
