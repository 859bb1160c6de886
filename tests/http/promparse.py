#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A strict parser of the Prometheus text exposition format 0.0.4.

Stricter than Prometheus itself where svcnft's output should be exact:
every family has HELP then TYPE before its samples, families are contiguous
and appear once, sample names match the family (histograms: _bucket, _sum,
_count only), label names are valid and not repeated, label values use only
the escapes \\\\, \\" and \\n, no series repeats, histogram buckets have
increasing le with non-decreasing cumulative counts ending in le="+Inf"
equal to _count, and the text ends with a newline.

parse(text) -> {family: {"type", "help", "samples": [(name, labels, value)]}}
raises ParseError(line_no, message) on the first violation."""
import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(Exception):
    def __init__(self, line, msg):
        super().__init__(f"line {line}: {msg}")


def parse_value(s, line):
    if s in ("+Inf", "-Inf", "NaN"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", s):
        raise ParseError(line, f"bad value {s!r}")
    return float(s)


def parse_labels(s, line):
    """s is the text between { and }; returns a list of (name, value)."""
    out, i = [], 0
    while i < len(s):
        m = re.match(LABEL, s[i:])
        if not m:
            raise ParseError(line, f"bad label name at {s[i:]!r}")
        name = m.group(0)
        i += len(name)
        if s[i:i + 2] != '="':
            raise ParseError(line, f"expected =\" after {name}")
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise ParseError(line, "unterminated label value")
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ParseError(line, f"bad escape \\{nxt}")
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ParseError(line, "raw newline in label value")
            else:
                val.append(c)
                i += 1
        if name in (n for n, _ in out):
            raise ParseError(line, f"label {name} repeated")
        out.append((name, "".join(val)))
        if i < len(s):
            if s[i] != ",":
                raise ParseError(line, f"expected , at {s[i:]!r}")
            i += 1
            if i == len(s):
                raise ParseError(line, "trailing comma")
    return out


def split_sample(text, line):
    m = re.match(NAME, text)
    if not m:
        raise ParseError(line, f"bad sample {text!r}")
    name, rest = m.group(0), text[m.end():]
    labels = []
    if rest.startswith("{"):
        # find the closing brace outside quotes
        i, inq = 1, False
        while i < len(rest):
            c = rest[i]
            if inq and c == "\\":
                i += 2
                continue
            if c == '"':
                inq = not inq
            elif c == "}" and not inq:
                break
            i += 1
        else:
            raise ParseError(line, "unterminated label set")
        labels = parse_labels(rest[1:i], line)
        rest = rest[i + 1:]
    if not rest.startswith(" "):
        raise ParseError(line, "expected one space before the value")
    parts = rest[1:].split(" ")
    if len(parts) not in (1, 2) or "" in parts:
        raise ParseError(line, f"bad value part {rest!r}")
    value = parse_value(parts[0], line)
    if len(parts) == 2 and not re.fullmatch(r"-?\d+", parts[1]):
        raise ParseError(line, f"bad timestamp {parts[1]!r}")
    return name, labels, value


def family_of(name, fams):
    if name in fams and fams[name]["type"] != "histogram":
        return name
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and name[: -len(suf)] in fams \
                and fams[name[: -len(suf)]]["type"] == "histogram":
            return name[: -len(suf)]
    return None


def check_histogram(fam, data, line):
    series = {}
    for name, labels, value in data["samples"]:
        key = tuple((n, v) for n, v in labels if n != "le")
        s = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if name.endswith("_bucket"):
            le = dict(labels).get("le")
            if le is None:
                raise ParseError(line, f"{fam} bucket without le")
            if labels[-1][0] != "le":
                raise ParseError(line, f"{fam}: le is not the last label")
            s["buckets"].append((parse_value(le, line), value))
        elif name.endswith("_sum"):
            s["sum"] = value
        else:
            s["count"] = value
    for key, s in series.items():
        b = s["buckets"]
        if not b or not math.isinf(b[-1][0]):
            raise ParseError(line, f"{fam}{key}: no +Inf bucket last")
        for (le1, c1), (le2, c2) in zip(b, b[1:]):
            if not le1 < le2:
                raise ParseError(line, f"{fam}{key}: le not increasing at {le2}")
            if c2 < c1:
                raise ParseError(line, f"{fam}{key}: cumulative count falls at le={le2}")
        if s["count"] is None or s["sum"] is None:
            raise ParseError(line, f"{fam}{key}: _sum or _count missing")
        if s["count"] != b[-1][1]:
            raise ParseError(line, f"{fam}{key}: _count {s['count']} != +Inf bucket {b[-1][1]}")


def parse(text):
    if text and not text.endswith("\n"):
        raise ParseError(text.count("\n") + 1, "no final newline")
    fams, order, current, seen = {}, [], None, set()
    pending_help = None
    lines = text.split("\n")[:-1] if text else []
    for no, ln in enumerate(lines, 1):
        if ln.startswith("# HELP "):
            m = re.fullmatch(f"# HELP ({NAME}) (.*)", ln)
            if not m:
                raise ParseError(no, "bad HELP line")
            if m.group(1) in fams or (pending_help and pending_help[0] == m.group(1)):
                raise ParseError(no, f"family {m.group(1)} declared twice")
            if re.search(r"\\[^\\n]", m.group(2).replace("\\\\", "")):
                raise ParseError(no, "bad escape in HELP")
            pending_help = (m.group(1), m.group(2))
            continue
        if ln.startswith("# TYPE "):
            m = re.fullmatch(f"# TYPE ({NAME}) (\\w+)", ln)
            if not m or m.group(2) not in TYPES:
                raise ParseError(no, "bad TYPE line")
            name = m.group(1)
            if not pending_help or pending_help[0] != name:
                raise ParseError(no, f"TYPE {name} without its HELP just before")
            if name in fams:
                raise ParseError(no, f"family {name} declared twice")
            fams[name] = {"type": m.group(2), "help": pending_help[1], "samples": []}
            order.append(name)
            current, pending_help = name, None
            continue
        if ln.startswith("#") or not ln.strip():
            raise ParseError(no, f"unexpected line {ln!r}")
        if pending_help:
            raise ParseError(no, "HELP not followed by TYPE")
        name, labels, value = split_sample(ln, no)
        fam = family_of(name, fams)
        if fam is None:
            raise ParseError(no, f"sample {name} of no declared family")
        if fam != current:
            raise ParseError(no, f"sample {name} outside its family's block")
        key = (name, tuple(labels))
        if key in seen:
            raise ParseError(no, f"series repeated: {ln}")
        seen.add(key)
        t = fams[fam]["type"]
        if t == "counter" and (value < 0 or math.isnan(value)):
            raise ParseError(no, f"counter {name} is {value}")
        fams[fam]["samples"].append((name, labels, value))
    if pending_help:
        raise ParseError(len(lines), "HELP at the end without TYPE")
    for fam, data in fams.items():
        if data["type"] == "histogram":
            check_histogram(fam, data, len(lines))
    return fams


def value(fams, name, **labels):
    """The value of one series, or None."""
    fam = family_of(name, fams) or name
    for n, ls, v in fams.get(fam, {"samples": []})["samples"]:
        if n == name and dict(ls) == labels:
            return v
    return None
