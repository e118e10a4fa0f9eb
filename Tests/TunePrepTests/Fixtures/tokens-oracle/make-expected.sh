#!/bin/sh
# Regenerates the oracle counts of input.jsonl with tiktoken (token_reference.py, offline).
# Run from the package root after `make vocab`:
#   sh Tests/TunePrepTests/Fixtures/tokens-oracle/make-expected.sh ../shared/tools/token_reference.py
set -eu
ref=${1:?path to token_reference.py}
dir=Tests/TunePrepTests/Fixtures/tokens-oracle
for e in o200k_base cl100k_base r50k_base; do
  python3 "$ref" --vocab-dir vocab count -e "$e" --json "$dir/input.jsonl" > "$dir/$e.expected.jsonl"
  # Tool definitions (tools, and the legacy functions): the cookbook rule leaves them out;
  # tuneprep counts the compact JSON of each.
  python3 - "$ref" "$e" "$dir/input.jsonl" > "$dir/$e.tools.expected" <<'PY'
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("ref", sys.argv[1]); ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
counter = ref.Counter(sys.argv[2], "vocab")
for n, line in enumerate(open(sys.argv[3], encoding="utf-8"), 1):
    record = json.loads(line)
    parts = [record[k] for k in ("tools", "functions") if record.get(k)]
    if parts:
        print(n, sum(counter.n(json.dumps(v, ensure_ascii=False, separators=(",", ":"))) for v in parts))
PY
done
