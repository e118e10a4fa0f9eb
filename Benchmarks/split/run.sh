#!/usr/bin/env bash
# Times tuneprep split (release) against the Python baseline on the same file, in one session.
# Usage: [RUNS=3] [WITH_NEAR=1] Benchmarks/split/run.sh CORPUS.jsonl [WORK_DIR]
# Each command runs RUNS times (3 by default); every run prints its wall time, MB/s, CPU seconds,
# peak RSS and the 1-minute load average at its start (the 2 cores are shared with other
# builds), then the best and the median wall time.
set -euo pipefail
corpus=${1:?usage: run.sh CORPUS.jsonl [WORK_DIR]}
work=${2:-$(mktemp -d)}
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=${TUNEPREP_BIN:-$here/../../.build/release/tuneprep}
bytes=$(stat -c %s "$corpus")
echo "corpus: $corpus ($bytes bytes), $runs runs each"
cat "$corpus" > /dev/null  # warm the page cache
measure() {
  local label=$1; shift
  local walls=()
  for ((i = 1; i <= runs; i++)); do
    rm -rf "$work/out"
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > /dev/null 2> "$work/stderr" || true
    # time(1) writes "Command exited with non-zero status N" first when the command fails.
    read -r wall user sys rss < <(tail -1 "$work/time")
    walls+=("$wall")
    awk -v l="$label" -v n="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v load="$load" \
      'BEGIN { printf "%-44s %6.2f s wall %5.0f MB/s  %5.2f s CPU (%4.2fu + %4.2fs)  %5.0f MB RSS  load %s\n", l, w, n / w / 1e6, u + s, u, s, m / 1024, load }'
  done
  printf '%s\n' "${walls[@]}" | sort -n | awk -v l="$label" -v n="$bytes" \
    '{ w[NR] = $1 } END { m = w[int((NR + 1) / 2)]; printf "%-44s best %.2f s (%.0f MB/s), median %.2f s (%.0f MB/s)\n", l, w[1], n / w[1] / 1e6, m, n / m / 1e6 }'
}
split=("$bin" split "$corpus" --out-dir "$work/out" --max-findings 0)
measure "split --no-near-leak-check" "${split[@]}" --no-near-leak-check
measure "split --no-near-leak-check --no-checksums" "${split[@]}" --no-near-leak-check --no-checksums
measure "split --no-near-leak-check --stable" "${split[@]}" --no-near-leak-check --stable
measure "split --no-near-leak-check --threads 1" "${split[@]}" --no-near-leak-check --threads 1
# The default run adds the near-duplicate leak check (MinHash + LSH via dedupe): many seconds more.
if [ "${WITH_NEAR:-0}" = 1 ]; then measure "split (default: near-leak check)" "${split[@]}"; fi
measure "python readlines + random.shuffle" python3 "$here/split_baseline.py" "$corpus" "$work/out"
rm -rf "$work/out"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
