#!/usr/bin/env bash
# Release-mode benchmarks of tuneprep (validate, split, dedupe) against anchors on the same
# seeded corpus.
#
#   make bench                      # 1M openai-chat examples (~1.5 GB), made once
#   BENCH_N=100000 make bench       # a smaller corpus
#
# The corpus comes from ../shared/tools/gen_corpus.py (seed 1) into $BENCH_DIR (default
# .build/bench, git-ignored). Every figure is wall-clock seconds over a page-cached file,
# MB/s = bytes / 1e6 / seconds, and peak RSS from GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_N:-1000000}
DIR=${BENCH_DIR:-.build/bench}
SHARED=${TUNEPREP_SHARED_DIR:-../shared}
BIN=.build/release/tuneprep
mkdir -p "$DIR"
corpus="$DIR/chat-$N.jsonl"
if [ ! -f "$corpus" ]; then
  echo "making $corpus (gen_corpus.py --n $N --seed 1 --format chat)" >&2
  python3 "$SHARED/tools/gen_corpus.py" --n "$N" --seed 1 --format chat --out "$corpus" >&2
fi
bytes=$(stat -L -c %s "$corpus")
cat "$corpus" > /dev/null  # warm the page cache

row() {  # name, then the command
  local name=$1
  shift
  local timing="$DIR/.time"
  /usr/bin/time -o "$timing" -f "%e %M" "$@" > /dev/null 2> /dev/null || true
  local out
  out=$(tail -1 "$timing")
  local secs=${out% *} rss=${out#* }
  awk -v n="$name" -v s="$secs" -v r="$rss" -v b="$bytes" \
    'BEGIN { printf "| %-50s | %7.2f | %7.0f | %7.1f |\n", n, s, b / 1e6 / s, r / 1024 }'
}

echo "corpus: $corpus ($bytes bytes, $N examples); machine: $(nproc) cores, $(uname -m); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | seconds | MB/s | peak RSS MB |"
echo "|---|---:|---:|---:|"
row "cat" cat "$corpus"
row "wc -l" wc -l "$corpus"
if command -v taskset > /dev/null; then
  row "tuneprep validate, pinned to one core" taskset -c 0 "$BIN" validate --threads 1 --max-findings 0 "$corpus"
  row "tuneprep validate --format json, one core" taskset -c 0 "$BIN" validate --format json --threads 1 --max-findings 0 "$corpus"
fi
row "tuneprep validate (1 worker thread)" "$BIN" validate --threads 1 --max-findings 0 "$corpus"
row "tuneprep validate (2 threads)" "$BIN" validate --max-findings 0 --threads 2 "$corpus"
if [ "${BENCH_ANCHORS:-1}" = 1 ]; then
  row "python json.loads per line" python3 Benchmarks/validate/anchors.py json "$corpus"
  if python3 -c "import orjson" 2>/dev/null; then
    row "python orjson.loads per line" python3 Benchmarks/validate/anchors.py orjson "$corpus"
  fi
  row "python cookbook-style checks" python3 Benchmarks/validate/anchors.py cookbook "$corpus"
  if command -v jq > /dev/null; then
    row "jq -cR 'fromjson?' (skips bad lines)" jq -cR 'fromjson?' "$corpus"
  fi
fi

# split (issue 6) and dedupe (issue 4) on the same corpus; their outputs go to $DIR/out and are
# removed after each run. `Benchmarks/split/run.sh` and `Benchmarks/dedupe/run.sh` repeat these
# runs and add more options.
out="$DIR/out"
split_row() {  # split's extra options; the row is named after them
  rm -rf "$out"
  row "tuneprep split${*:+ $*}" "$BIN" split "$corpus" --out-dir "$out" --max-findings 0 "$@"
}
split_row
split_row --no-near-leak-check
split_row --no-near-leak-check --no-checksums
if [ "${BENCH_ANCHORS:-1}" = 1 ]; then
  rm -rf "$out"
  row "python split (readlines + random.shuffle)" python3 Benchmarks/split/split_baseline.py "$corpus" "$out"
fi
rm -rf "$out"
row "tuneprep dedupe" sh -c "\"\$0\" dedupe --max-findings 0 \"\$1\" > \"\$2\"" "$BIN" "$corpus" "$out"
row "tuneprep dedupe --near" sh -c "\"\$0\" dedupe --near --max-findings 0 \"\$1\" > \"\$2\"" "$BIN" "$corpus" "$out"
rm -rf "$out"
