#!/usr/bin/env bash
# Dedupe benchmark: tuneprep (release) against datasketch's MinHashLSH on one seeded corpus.
# Usage: Benchmarks/dedupe/run.sh [CORPUS.jsonl]   (default: makes a 1M-record chat corpus in
# $TMPDIR with ../shared/tools/gen_corpus.py, seed 7; about 1.5 GB)
# Needs: swift, python3 and `pip install datasketch`. Prints one line per measurement.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
tmp=${TMPDIR:-/tmp}
corpus=${1:-$tmp/tuneprep-bench-chat1m.jsonl}
truth=${corpus%.jsonl}.truth.json
if [ ! -f "$corpus" ]; then
  python3 "$root/../shared/tools/gen_corpus.py" --n 1000000 --seed 7 --format chat --out "$corpus"
fi
swift build -c release >/dev/null
bin=$root/.build/release/tuneprep
bytes=$(stat -c %s "$corpus")
echo "corpus $corpus ($bytes bytes), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$corpus" > /dev/null  # warm the page cache so every run reads from memory

measure() {  # name, then the command; stdout goes to a file in $tmp
  local name=$1
  shift
  local out=$tmp/tuneprep-bench-$name
  /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@" > "$out.stdout" 2> "$out.stderr" || true
  read -r wall user sys rss < "$out.time"
  echo "$name: ${wall} s wall, ${user} s user, ${sys} s sys, $((rss / 1024)) MB max RSS," \
    "$(awk -v b="$bytes" -v s="$wall" 'BEGIN { printf "%.0f MB/s", b / s / 1e6 }')"
  tail -1 "$out.stderr"
}

measure exact "$bin" dedupe "$corpus" --max-findings 0
measure exact-dry-run "$bin" dedupe "$corpus" --max-findings 0 --dry-run
measure near "$bin" dedupe --near "$corpus" --max-findings 0
measure near-threads1 "$bin" dedupe --near "$corpus" --max-findings 0 --threads 1
cmp -s "$tmp/tuneprep-bench-near.stdout" "$tmp/tuneprep-bench-near-threads1.stdout" \
  && echo "near: output identical with 1 and 2 threads" || echo "near: OUTPUT DIFFERS with 1 thread"
python3 "$root/Benchmarks/dedupe/datasketch_bench.py" "$corpus" --limit 100000 \
  $( [ -f "$truth" ] && echo --truth "$truth" )
