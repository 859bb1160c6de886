#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/kernel/normalize.py: `nft list ruleset` with the sets and chains of
each table sorted by name.

The kernel lists objects in creation order. After an incremental apply a
chain added later comes last, while a fresh `nft -f` of the same ruleset
puts it where the script declares it; everything else (rules in order,
elements, which nft sorts itself) must be equal. Reads stdin, writes stdout.
"""
import sys


def blocks(lines):
    """Split a table's body into its top-level blocks (one tab deep)."""
    out, cur = [], []
    for line in lines:
        if line.startswith("\t") and not line.startswith("\t\t") and line.rstrip().endswith("{"):
            cur = [line]
        elif cur:
            cur.append(line)
            if line.rstrip() == "\t}":
                out.append(cur)
                cur = []
        elif line.strip():
            out.append([line])  # a table comment or flags line
    return out


def main():
    text = sys.stdin.read().splitlines()
    i, res = 0, []
    while i < len(text):
        line = text[i]
        if line.startswith("table ") and line.endswith("{"):
            j = i + 1
            while j < len(text) and text[j] != "}":
                j += 1
            body = blocks(text[i + 1:j])
            head = [b for b in body if len(b) == 1]
            objs = sorted((b for b in body if len(b) > 1), key=lambda b: b[0])
            res.append(line)
            for b in head:
                res.extend(b)
            for b in objs:
                res.extend(b)
            res.append("}")
            i = j + 1
        else:
            if line.strip():
                res.append(line)
            i += 1
    print("\n".join(res))


main()
