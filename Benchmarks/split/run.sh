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
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > /dev/null 2> "$work/stderr" || true
  # time(1) writes "Command exited with non-zero status N" first when the command fails.
  tail -1 "$work/time" | awk -v l="$label" -v n="$bytes" \
    '{ printf "%-46s %7.2f s wall %7.0f MB/s  %6.2f s CPU (%4.0f MB/s per CPU-s)  %6.0f MB peak RSS\n", l, $1, n / $1 / 1e6, $2 + $3, n / ($2 + $3) / 1e6, $4 / 1024 }'
}
split=("$bin" split "$corpus" --out-dir "$work/out" --max-findings 0)
measure "split --no-near-leak-check" "${split[@]}" --no-near-leak-check
measure "split --no-near-leak-check --no-checksums" "${split[@]}" --no-near-leak-check --no-checksums
measure "split --no-near-leak-check --stable" "${split[@]}" --no-near-leak-check --stable
measure "split --no-near-leak-check --threads 1" "${split[@]}" --no-near-leak-check --threads 1
# The default run adds the near-duplicate leak check (MinHash + LSH via dedupe): minutes, not seconds.
if [ "${WITH_NEAR:-0}" = 1 ]; then measure "split (default: near-leak check)" "${split[@]}"; fi
measure "python readlines + random.shuffle" python3 "$here/split_baseline.py" "$corpus" "$work/out"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
