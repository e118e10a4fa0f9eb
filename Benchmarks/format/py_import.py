#!/usr/bin/env python3
"""The obvious Python routes for `tuneprep import`: the csv module, and lxml's iterparse."""
import csv
import json
import sys


def emit(out, q, a):
    out.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]},
                         ensure_ascii=False, separators=(",", ":")) + "\n")


def from_csv(path, out):
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            emit(out, row["question"], row["answer"])


def from_xml(path, out):
    from lxml import etree
    for _, el in etree.iterparse(path, tag="ticket", resolve_entities=False, no_network=True):
        emit(out, (el.findtext("question") or "").strip(), (el.findtext("answer") or "").strip())
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]


if __name__ == "__main__":
    {"csv": from_csv, "xml": from_xml}[sys.argv[1]](sys.argv[2], sys.stdout)
