#!/usr/bin/env python3
"""Python anchors for `tuneprep validate`, timed on the same JSONL file.

Modes:
  json      json.loads per line (Python's standard library)
  orjson    orjson.loads per line
  cookbook  json.loads plus the structural checks of OpenAI's fine-tuning data-preparation
            recipe (keys, roles, content types, an assistant message), written here from its
            description

Prints one line: mode, seconds, MB/s, records, records with a problem.
"""
import json
import sys
import time

ROLES = {"system", "user", "assistant", "tool", "function"}


def cookbook_errors(rec):
    if not isinstance(rec, dict):
        return 1
    msgs = rec.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return 1
    bad = 0
    has_assistant = False
    for m in msgs:
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            bad += 1
            continue
        if any(k not in ("role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id") for k in m):
            bad += 1
        if m["role"] not in ROLES:
            bad += 1
        c = m["content"]
        if c is not None and not isinstance(c, (str, list)):
            bad += 1
        if m["role"] == "assistant":
            has_assistant = True
    return bad + (0 if has_assistant else 1)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "orjson":
        import orjson
        loads = orjson.loads
    else:
        loads = json.loads
    start = time.perf_counter()
    size = 0
    records = 0
    problems = 0
    with open(path, "rb") as f:
        for line in f:
            size += len(line)
            if not line.strip():
                continue
            records += 1
            try:
                rec = loads(line)
            except ValueError:
                problems += 1
                continue
            if mode == "cookbook" and cookbook_errors(rec):
                problems += 1
    seconds = time.perf_counter() - start
    print(f"{mode}\t{seconds:.2f}\t{size / seconds / 1e6:.0f}\t{records}\t{problems}")


if __name__ == "__main__":
    main()
