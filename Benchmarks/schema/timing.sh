#!/bin/bash
# Best-of timing of one schema-bench binary on a shared machine: alternates single-pass runs
# (--mode parse, then --mode validate, --repeat 3 each) ROUNDS times and keeps the best of each,
# then prints MB/s and the validator's share in microseconds per record.
#   Benchmarks/schema/timing.sh .build/release/schema-bench ../../schemas/openai-chat.json FILE.jsonl [ROUNDS]
set -eu
BIN=$1; SCHEMA=$2; FILE=$3; ROUNDS=${4:-3}
best_parse=999; best_validate=999
for _ in $(seq "$ROUNDS"); do
  p=$("$BIN" "$SCHEMA" "$FILE" --repeat 3 --mode parse | awk '/parse only/{print $5}')
  v=$("$BIN" "$SCHEMA" "$FILE" --repeat 3 --mode validate | awk '/parse\+validate/{print $3}')
  best_parse=$(python3 -c "print(min($best_parse, $p))")
  best_validate=$(python3 -c "print(min($best_validate, $v))")
done
python3 - "$best_parse" "$best_validate" "$(stat -c %s "$FILE")" "$(wc -l < "$FILE")" <<'PY'
import sys
parse, validate, size, lines = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
mb = size / 1e6
print(f"parse {parse:.3f}s {mb / parse:.0f} MB/s | parse+validate {validate:.3f}s {mb / validate:.0f} MB/s"
      f" | validate share {(validate - parse) / lines * 1e6:.2f} us/record")
PY
