#!/usr/bin/env python3
"""Times tiktoken (single thread) on deterministic English-like text, and writes that text
to a file so the Swift engine (TokensBench) is timed on exactly the same bytes.

Usage:
  python3 Benchmarks/tokens/bench_tiktoken.py --mb 50 --text OUT.txt [--vocab-dir vocab]
      [--reference ../shared/tools/token_reference.py] [--encodings cl100k_base o200k_base]

The text is token_reference.english_like_text(N MB, seed=0), the same text as
`token_reference.py bench`. Figures: whole string (encode_ordinary on one string) and per
paragraph (split on blank lines), best of --runs.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mb", type=float, default=50)
    p.add_argument("--text", required=True, help="write the benchmark text here")
    p.add_argument("--vocab-dir", default=os.environ.get("TUNEPREP_VOCAB_DIR") or os.path.join(ROOT, "vocab"))
    p.add_argument("--reference", default=os.path.join(ROOT, "..", "shared", "tools", "token_reference.py"))
    p.add_argument("--encodings", nargs="*", default=["cl100k_base", "o200k_base"])
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    spec = importlib.util.spec_from_file_location("token_reference", args.reference)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    text = ref.english_like_text(int(args.mb * 1_000_000), seed=0)
    data = text.encode()
    with open(args.text, "wb") as f:
        f.write(data)
    paragraphs = text.split("\n\n")
    mb = len(data) / 1e6
    import tiktoken

    for name in args.encodings:
        enc = ref.get_encoding(name, args.vocab_dir)
        enc.encode_ordinary(text[:100_000])  # warm up
        whole = per = float("inf")
        for _ in range(args.runs):
            t0 = time.perf_counter()
            n = len(enc.encode_ordinary(text))
            t1 = time.perf_counter()
            m = sum(len(enc.encode_ordinary(c)) for c in paragraphs)
            t2 = time.perf_counter()
            whole, per = min(whole, t1 - t0), min(per, t2 - t1)
        print(json.dumps({"encoding": name, "engine": f"tiktoken {tiktoken.__version__}", "text_MB": round(mb, 2),
                          "tokens": n, "per_paragraph_tokens": m, "whole_MB_s": round(mb / whole, 2),
                          "per_paragraph_MB_s": round(mb / per, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
