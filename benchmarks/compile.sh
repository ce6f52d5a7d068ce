#!/usr/bin/env bash
# Compile benchmark: generates stacks of about 1k, 10k and 50k resources and times
# `strata validate` and `strata graph` on each, with peak memory from /usr/bin/time -v.
# Run by `make bench` after a release build; figures and their reading are in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=${STRATA:-.build/release/strata}
[ -x "$STRATA" ] || swift build -c release --product strata
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

measure() { # command... -> "seconds peak-MB"
  /usr/bin/time -v "$@" >/dev/null 2>"$WORK/time" || { cat "$WORK/time"; exit 1; }
  local elapsed rss
  elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")
  # m:ss.cs -> seconds
  python3 -c "import sys; m, s = sys.argv[1].split(':')[-2:]; print(f'{int(m)*60+float(s):.2f} {int(sys.argv[2])/1024:.0f}')" "$elapsed" "$rss"
}

printf '%-10s %10s %14s %12s %14s %12s\n' size resources validate_s validate_MB graph_json_s graph_MB
declare -A seconds
for size in 1000 10000 50000; do
  dir="$WORK/stack-$size"
  resources=$(python3 benchmarks/compile_stack.py "$size" "$dir")
  read -r vs vm < <(measure "$STRATA" validate "$dir")
  read -r gs gm < <(measure "$STRATA" graph "$dir" --format json)
  seconds[$size]=$vs
  printf '%-10s %10s %14s %12s %14s %12s\n' "$size" "$resources" "$vs" "$vm" "$gs" "$gm"
done
python3 -c "import sys; a, b, c = map(float, sys.argv[1:]); print(f'validate time ratio 1k:10k:50k = 1 : {b/a:.1f} : {c/a:.1f} (linear would be 1 : 10 : 50)')" \
  "${seconds[1000]}" "${seconds[10000]}" "${seconds[50000]}"

# One scope of 10k blocks chained by references: guards against anything quadratic per scope.
dir="$WORK/flat-10000"
python3 benchmarks/compile_stack.py 10000 "$dir" flat >/dev/null
read -r fs fm < <(measure "$STRATA" validate "$dir")
printf 'flat 10k (one scope, a 10k-long dependency chain): validate %s s, %s MB\n' "$fs" "$fm"
