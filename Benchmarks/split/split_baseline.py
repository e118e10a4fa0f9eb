#!/usr/bin/env python3
"""The naive Python split that tuneprep split is compared with: readlines + random.shuffle.

Reads the whole file into memory, shuffles the lines with a seeded random.Random, and writes
80/10/10 to train/validation/test .jsonl in OUT_DIR. No validation, grouping or checksums.
Usage: split_baseline.py INPUT OUT_DIR
"""
import os
import random
import sys


def main() -> None:
    path, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    with open(path, "rb") as f:
        lines = f.readlines()
    random.Random(42).shuffle(lines)
    n = len(lines)
    a, b = int(n * 0.8), int(n * 0.9)
    for name, part in (("train", lines[:a]), ("validation", lines[a:b]), ("test", lines[b:])):
        with open(os.path.join(out_dir, name + ".jsonl"), "wb") as f:
            f.writelines(part)


if __name__ == "__main__":
    main()
