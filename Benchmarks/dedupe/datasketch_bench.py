#!/usr/bin/env python3
"""Times datasketch's MinHashLSH on the first N records of a JSONL corpus (the baseline that
`tuneprep dedupe --near` is compared with in RESULTS.md).

Same shingles as gen_corpus.py's sidecar: string contents joined by one space, lowercased,
split on whitespace, 5-token tuples. num_perm 128, threshold 0.8: each record is queried
against the records before it and then inserted (streaming dedupe, first one kept).

With --truth, also prints the recall of the planted near duplicates among the first N lines.

Needs `pip install datasketch`. Usage:
  python3 datasketch_bench.py CORPUS.jsonl [--limit 100000] [--truth CORPUS.truth.json]
"""
import argparse
import json
import resource
import sys
import time

from datasketch import MinHash, MinHashLSH


def texts(record):
    if "messages" in record:
        return [m.get("content") for m in record["messages"]
                if isinstance(m, dict) and isinstance(m.get("content"), str)]
    return [record[k] for k in ("instruction", "input", "output") if isinstance(record.get(k), str)]


def shingles(record, n=5):
    tokens = " ".join(texts(record)).lower().split()
    if len(tokens) < n:
        return {" ".join(tokens)}
    return {" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--limit", type=int, default=100000)
    ap.add_argument("--truth")
    a = ap.parse_args()

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    dropped = set()
    records = 0
    nbytes = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    with open(a.corpus, "rb") as f:
        for line_no, raw in enumerate(f, 1):
            if records >= a.limit:
                break
            nbytes += len(raw)
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            records += 1
            m = MinHash(num_perm=128)
            m.update_batch([s.encode("utf-8") for s in shingles(record)])
            if lsh.query(m):
                dropped.add(line_no)
            else:
                lsh.insert(str(line_no), m)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    result = {
        "tool": "datasketch MinHashLSH", "num_perm": 128, "threshold": 0.8,
        "records": records, "bytes": nbytes, "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "records_per_second": round(records / elapsed),
        "records_per_cpu_second": round(records / cpu),
        "mb_per_second": round(nbytes / elapsed / 1e6, 2),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "dropped": len(dropped),
    }
    if a.truth:
        truth = json.load(open(a.truth))
        near = [e for e in truth["near_duplicates"] if e["line"] <= line_no]
        found = [e for e in near if e["line"] in dropped]
        low = [e for e in near if e["jaccard"] < 0.85]
        result["near_recall"] = round(len(found) / max(1, len(near)), 4)
        result["near_recall_jaccard_0.80_0.85"] = round(
            sum(1 for e in low if e["line"] in dropped) / max(1, len(low)), 4)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
