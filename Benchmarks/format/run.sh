#!/usr/bin/env bash
# Format and import throughput, tuneprep (release, one thread) against the obvious Python route.
# Usage: Benchmarks/format/run.sh CHAT_CORPUS.jsonl [WORK_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
corpus="$1"
work="${2:-${TMPDIR:-/tmp}/tuneprep-format-bench}"
bin="$root/.build/release/tuneprep"
mkdir -p "$work"
[ -x "$bin" ] || (cd "$root" && swift build -c release)
[ -f "$work/pairs.csv" ] || python3 "$here/gen_inputs.py" "$corpus" "$work"
"$bin" format "$corpus" --to alpaca --threads 1 -o "$work/alpaca.jsonl" --report-file /dev/null 2>/dev/null || true

# Prints MB/s by wall time and by CPU time (user + sys): on a shared, loaded machine the CPU
# figure is what one core sustains, so RESULTS.md gives both.
run() { # label input-file command...
  local label="$1" input="$2"; shift 2
  local bytes times
  bytes=$(stat -c %s "$input")
  /usr/bin/time -o "$work/time.txt" -f "%e %U %S" "$@" > /dev/null 2>/dev/null || true
  times=$(tail -1 "$work/time.txt")
  python3 - "$label" "$bytes" $times <<'PY'
import sys
label, size, wall, user, system = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:6])
cpu = user + system
print(f"{label:<44} {size/1e6:6.0f} MB  wall {wall:5.2f}s {size/1e6/max(wall,1e-3):5.0f} MB/s"
      f"  cpu {cpu:5.2f}s {size/1e6/max(cpu,1e-3):5.0f} MB/s")
PY
}

echo "input: $corpus ($(($(stat -c %s "$corpus") / 1000000)) MB), $(nproc) cores"
run "tuneprep format chat→alpaca --threads 1" "$corpus" "$bin" format "$corpus" --to alpaca --threads 1 -o /dev/null --report-file /dev/null
run "tuneprep format alpaca→chat --threads 1" "$work/alpaca.jsonl" "$bin" format "$work/alpaca.jsonl" --to openai-chat --threads 1 -o /dev/null --report-file /dev/null
run "tuneprep format chat→alpaca (2 threads)" "$corpus" "$bin" format "$corpus" --to alpaca -o /dev/null --report-file /dev/null
run "python json chat→alpaca" "$corpus" sh -c "python3 '$here/py_format.py' alpaca < '$corpus'"
run "python json alpaca→chat" "$work/alpaca.jsonl" sh -c "python3 '$here/py_format.py' chat < '$work/alpaca.jsonl'"
run "tuneprep import csv" "$work/pairs.csv" "$bin" import "$work/pairs.csv" --input-column question --output-column answer -o /dev/null --report-file /dev/null
run "python csv module" "$work/pairs.csv" python3 "$here/py_import.py" csv "$work/pairs.csv"
run "tuneprep import xml" "$work/pairs.xml" "$bin" import "$work/pairs.xml" --record //ticket --input ./question --output ./answer -o /dev/null --report-file /dev/null
if python3 -c "import lxml" 2>/dev/null; then
  run "python lxml iterparse" "$work/pairs.xml" python3 "$here/py_import.py" xml "$work/pairs.xml"
else
  echo "python lxml iterparse: lxml not installed (pip install lxml)"
fi
