#!/usr/bin/env python3
"""Copy a golden case's manifests with every order reversed: files are
renamed so that they sort the other way round, and the documents of each
multi-document YAML file are reversed. The compiler must not care."""
import os
import sys

src, dst = sys.argv[1], sys.argv[2]
files = []
for root, _, names in os.walk(src):
    for n in names:
        if n.endswith((".yaml", ".yml", ".json")):
            files.append(os.path.join(root, n))
files.sort()
os.makedirs(dst)
for i, path in enumerate(reversed(files)):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    base = os.path.basename(path)
    if base.endswith((".yaml", ".yml")):
        docs, cur = [], []
        for line in text.splitlines(keepends=True):
            if line.rstrip() == "---":
                docs.append("".join(cur))
                cur = []
            else:
                cur.append(line)
        docs.append("".join(cur))
        docs = [d for d in docs if d.strip()]
        text = "---\n".join(d if d.endswith("\n") else d + "\n" for d in reversed(docs))
    with open(os.path.join(dst, "%03d-%s" % (i, base)), "w", encoding="utf-8") as f:
        f.write(text)
