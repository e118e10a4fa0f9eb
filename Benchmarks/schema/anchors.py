#!/usr/bin/env python3
"""Times the Python anchors for the schema benchmark on a JSONL file.

Validates every line against a JSON Schema with python-jsonschema and with jsonschema-rs,
each fed by the stdlib json module and by orjson, and prints MB/s over the file's bytes.
    pip install jsonschema jsonschema-rs orjson
    python3 Benchmarks/schema/anchors.py schemas/openai-chat.json FILE.jsonl [--limit-mb 200]
"""
import argparse
import json
import time

import jsonschema
import jsonschema_rs
import orjson


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("schema")
    ap.add_argument("jsonl")
    ap.add_argument("--limit-mb", type=float, default=0, help="python-jsonschema reads only this many MB (it is slow)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    schema = json.load(open(args.schema))
    with open(args.jsonl, "rb") as f:
        lines = f.read().split(b"\n")
    lines = [line for line in lines if line]
    total = sum(len(line) + 1 for line in lines)
    limited = lines
    if args.limit_mb:
        budget, limited, used = args.limit_mb * 1e6, [], 0
        for line in lines:
            if used >= budget:
                break
            limited.append(line)
            used += len(line) + 1
    limited_bytes = sum(len(line) + 1 for line in limited)

    py = jsonschema.Draft202012Validator(schema)
    rs = jsonschema_rs.validator_for(schema)

    def run(name, loads, is_valid, data, size):
        best = float("inf")
        invalid = broken = 0
        for _ in range(args.repeat):
            invalid = broken = 0
            start = time.perf_counter()
            for line in data:
                try:
                    value = loads(line)
                except ValueError:
                    broken += 1
                    continue
                if not is_valid(value):
                    invalid += 1
            best = min(best, time.perf_counter() - start)
        print(f"{name:32s} {size / 1e6 / best:8.1f} MB/s  ({len(data)} lines, {broken} not JSON, {invalid} invalid, best of {args.repeat}: {best:.2f} s)")

    def parse_only(value):
        return True

    print(f"file {args.jsonl}: {total / 1e6:.1f} MB, {len(lines)} lines")
    run("json.loads only", json.loads, parse_only, lines, total)
    run("orjson.loads only", orjson.loads, parse_only, lines, total)
    run("jsonschema-rs + json", json.loads, rs.is_valid, lines, total)
    run("jsonschema-rs + orjson", orjson.loads, rs.is_valid, lines, total)
    run("python-jsonschema + json", json.loads, py.is_valid, limited, limited_bytes)


if __name__ == "__main__":
    main()
