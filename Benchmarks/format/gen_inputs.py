#!/usr/bin/env python3
"""Makes CSV and XML import benchmark inputs from an openai-chat JSONL corpus.

Each record's first user message and first assistant answer become one CSV row / one XML
<ticket>, so the text is as realistic as the corpus. Usage:
  gen_inputs.py CORPUS.jsonl OUT_DIR [MAX_BYTES]
"""
import csv
import json
import sys
from xml.sax.saxutils import escape


def pairs(path):
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            try:
                messages = json.loads(line)["messages"]
            except (ValueError, KeyError):
                continue
            user = next((m.get("content") for m in messages if m.get("role") == "user"), None)
            answer = next((m.get("content") for m in messages if m.get("role") == "assistant"), None)
            if isinstance(user, str) and isinstance(answer, str) and user and answer:
                yield i + 1, user, answer


def main():
    corpus, out_dir = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000_000
    with open(f"{out_dir}/pairs.csv", "w", encoding="utf-8", newline="") as c, \
         open(f"{out_dir}/pairs.xml", "w", encoding="utf-8") as x:
        w = csv.writer(c, lineterminator="\r\n")
        w.writerow(["id", "question", "answer"])
        x.write('<?xml version="1.0" encoding="UTF-8"?>\n<export>\n')
        size = 0
        for n, user, answer in pairs(corpus):
            w.writerow([f"T-{n}", user, answer])
            x.write(f'  <ticket id="T-{n}">\n    <question>{escape(user)}</question>\n'
                    f"    <answer>{escape(answer)}</answer>\n  </ticket>\n")
            size += len(user) + len(answer) + 40
            if size >= limit:
                break
        x.write("</export>\n")


if __name__ == "__main__":
    main()
