#!/usr/bin/env bash
# Times tuneprep split (release) against the Python baseline on the same file, in one session.
# Usage: Benchmarks/split/run.sh CORPUS.jsonl [WORK_DIR]
# Prints wall time, MB/s and peak RSS for each run; the load average is printed first because
# the 2 cores are shared with other builds.
set -euo pipefail
corpus=${1:?usage: run.sh CORPUS.jsonl [WORK_DIR]}
work=${2:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
bin=${TUNEPREP_BIN:-$here/../../.build/release/tuneprep}
bytes=$(stat -c %s "$corpus")
echo "corpus: $corpus ($bytes bytes)"; echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$corpus" > /dev/null  # warm the page cache
measure() {
  local label=$1; shift
  rm -rf "$work/out"
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null 2> "$work/stderr" || true
  t1=$(date +%s.%N)
  awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$bytes" -v r="$(cat "$work/rss")" \
    'BEGIN { s = b - a; printf "%-44s %7.2f s  %7.0f MB/s  %7.0f MB peak RSS\n", l, s, n / s / 1e6, r / 1024 }'
}
measure "tuneprep split (default: near-leak check)" "$bin" split "$corpus" --out-dir "$work/out" --max-findings 0
measure "tuneprep split --no-near-leak-check" "$bin" split "$corpus" --out-dir "$work/out" --max-findings 0 --no-near-leak-check
measure "tuneprep split --no-near-leak-check --stable" "$bin" split "$corpus" --out-dir "$work/out" --max-findings 0 --no-near-leak-check --stable
measure "python readlines + random.shuffle" python3 "$here/split_baseline.py" "$corpus" "$work/out"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
