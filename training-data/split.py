#!/usr/bin/env python3
"""Splits the corpus's register files into the rows the default model trains on and the rows it
never sees (the held-back self-check): a row is held back when the FNV-1a 64 hash of its id is
0 modulo 8. tests/corpus.rs checks the rule on every row.

Usage: training-data/split.py SRC_DIR...   (writes training-data/train/ and training-data/holdout/)
"""
import csv, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))

def fnv1a64(s):
    h = 0xcbf29ce484222325
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def main(srcs):
    for sub in ("train", "holdout"):
        os.makedirs(os.path.join(HERE, sub), exist_ok=True)
    for src in srcs:
        for name in sorted(os.listdir(src)):
            if not name.endswith(".csv"):
                continue
            with open(os.path.join(src, name), newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
            head, body = rows[0], rows[1:]
            parts = {"train": [], "holdout": []}
            for r in body:
                parts["holdout" if fnv1a64(r[0]) % 8 == 0 else "train"].append(r)
            for sub, rs in parts.items():
                with open(os.path.join(HERE, sub, name), "w", newline="", encoding="utf-8") as f:
                    w = csv.writer(f, lineterminator="\n")
                    w.writerow(head)
                    w.writerows(rs)
            print(f"{name}: {len(parts['train'])} train, {len(parts['holdout'])} held back")

if __name__ == "__main__":
    main(sys.argv[1:])
