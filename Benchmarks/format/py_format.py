#!/usr/bin/env python3
"""The obvious Python route for `tuneprep format`: json per line, chat -> alpaca or back."""
import json
import sys


def to_alpaca(rec):
    msgs = rec["messages"]
    system = msgs[0]["content"] if msgs and msgs[0]["role"] == "system" else None
    turns = [m for m in msgs if m["role"] != "system"]
    out = {"instruction": turns[-2]["content"], "input": "", "output": turns[-1]["content"]}
    if system is not None:
        out["system"] = system
    if len(turns) > 2:
        out["history"] = [[turns[i]["content"], turns[i + 1]["content"]] for i in range(0, len(turns) - 2, 2)]
    return out


def to_chat(rec):
    msgs = []
    if rec.get("system"):
        msgs.append({"role": "system", "content": rec["system"]})
    for q, a in rec.get("history") or []:
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    user = rec["instruction"] + ("\n\n" + rec["input"] if rec.get("input") else "")
    msgs += [{"role": "user", "content": user}, {"role": "assistant", "content": rec["output"]}]
    return {"messages": msgs}


def main():
    convert = to_alpaca if sys.argv[1] == "alpaca" else to_chat
    out = sys.stdout
    rejected = 0
    for line in sys.stdin:
        try:
            record = convert(json.loads(line))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            rejected += 1
            continue
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"rejected {rejected}", file=sys.stderr)


if __name__ == "__main__":
    main()
