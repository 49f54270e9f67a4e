"""Weka ``.arff`` files of the UCR/UEA archive -> labelled ``SequenceDataset`` (see ``core.datasets.archive``
for the shared rules on missing values and lengths).

Two layouts are read:
- univariate: numeric attributes, one per time step, then an optional nominal class
  (``@attribute target {A,B}``) last;
- UEA multivariate: ``@attribute NAME relational`` holding numeric attributes (the time steps) up to
  ``@end NAME``, then the nominal class; each data row is a quoted string whose dimensions are
  separated by ``\\n``, then the class.
``%`` starts a comment; ``?`` is a missing value; sparse rows (``{...}``) are refused.
"""
from __future__ import annotations

import re

import numpy as np

from .archive import (Cases, at_line, channel_names, check_channels, check_count, empty_dim,
                              label_index, numbers)
from .types import DatasetError, SequenceDataset

_ATTR = re.compile(r"@attribute\s+('[^']*'|\"[^\"]*\"|\S+)\s*(.*)$", re.I)
_FIELD = re.compile(r"\s*('(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|[^,'\"]*)\s*(,|$)")
NUMERIC = ("numeric", "real", "integer")


def _unquote(s: str) -> str:
    s = s.strip()
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"" else s


def _attribute(s: str, src: str, n: int):
    """(name, kind, nominal values) of an ``@attribute`` line; kind: numeric, nominal or relational."""
    m = _ATTR.match(s)
    typ = m and m[2].strip()
    if not typ:
        raise DatasetError(f"{src}: {at_line(n)}: cannot read the attribute {s!r}; expected '@attribute NAME "
                           "numeric', '@attribute NAME {A,B,...}' or '@attribute NAME relational'",
                           "arff_attribute", src=src, at=at_line(n), text=s)
    name = _unquote(m[1])
    if typ.lower() in NUMERIC:
        return name, "numeric", None
    if typ.lower() == "relational":
        return name, "relational", None
    if typ.startswith("{") and typ.endswith("}"):
        return name, "nominal", [_unquote(v) for v in typ[1:-1].split(",") if v.strip()]
    raise DatasetError(f"{src}: {at_line(n)}: attribute {name!r} has type {typ!r}; only numeric, nominal ({{A,B}}) "
                       "and relational attributes are read", "arff_attribute_type", src=src, at=at_line(n),
                       name=name, type=typ)


def _header(lines: list[str], src: str):
    """(relation name, attributes [(name, kind, values, inner count)], index of the first data line)."""
    name, attrs, inner = None, [], None  # inner: [name, line, count] of an open relational attribute
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s or s.startswith("%"):
            continue
        n, word = i + 1, s.split(None, 1)[0].lower()
        if word == "@relation" and inner is None and not attrs:
            name = _unquote(s[len(word):])
        elif word == "@attribute":
            a = _attribute(s, src, n)
            if inner is not None:
                if a[1] != "numeric":  # the time steps are numeric: the '@end' is missing
                    raise _unterminated(src, inner)
                inner[2] += 1
            elif a[1] == "relational":
                inner = [a[0], n, 0]
            else:
                attrs.append((*a, 0))
        elif word == "@end" and inner is not None and _unquote(s[len(word):]) == inner[0]:
            attrs.append((inner[0], "relational", None, inner[2]))
            inner = None
        elif word == "@data" or inner is not None and word in ("@end", "@relation"):
            if inner is not None:
                raise _unterminated(src, inner)
            return name, attrs, i + 1
        else:
            raise DatasetError(f"{src}: {at_line(n)}: {s[:60]!r} is not an ARFF header line; expected @relation, "
                               "@attribute or @data", "arff_bad_line", src=src, at=at_line(n), text=s[:60])
    if inner is not None:
        raise _unterminated(src, inner)
    raise DatasetError(f"{src} has no @data line; an ARFF file has @relation, @attribute lines, then @data",
                       "arff_no_data", src=src)


def _unterminated(src, inner):
    name, n = inner[0], inner[1]
    return DatasetError(f"{src}: {at_line(n)}: relational attribute {name!r} is not closed by '@end {name}'",
                        "arff_unterminated", src=src, at=at_line(n), name=name)


def _layout(attrs, src):
    """(relational?, number of value attributes, class values or None)."""
    kinds = [a[1] for a in attrs]
    cls = attrs[-1][2] if kinds and kinds[-1] == "nominal" else None
    body = kinds[:-1] if cls is not None else kinds
    if body == ["relational"] and attrs[0][3] >= 1:
        return True, attrs[0][3], cls
    if body and all(k == "numeric" for k in body):
        return False, len(body), cls
    layout = ", ".join(kinds) or "none"
    raise DatasetError(f"{src}: the attributes ({layout}) are not a sequence layout; expected numeric attributes (one "
                       "per time step) with an optional nominal class last, or one relational attribute then the "
                       "class (the UEA layout)", "arff_layout", src=src, layout=layout)


def _fields(s: str, src: str, n: int) -> list[str]:
    """The comma-separated fields of a data row; quoted fields keep their quotes."""
    if "'" not in s and '"' not in s:
        return s.split(",")
    out, pos = [], 0
    while True:
        m = _FIELD.match(s, pos)
        if m is None or m.end() == pos and m[2] == "" and pos < len(s):
            raise DatasetError(f"{src}: {at_line(n)}: a quote is not closed", "arff_quote", src=src, at=at_line(n))
        out.append(m[1])
        pos = m.end()
        if m[2] == "":
            return out


def _row_count(src, at, n, m):
    return DatasetError(f"{src}: {at} has {n} values but {m} attributes are declared", "arff_row_count", src=src,
                        at=at, n=n, m=m)


def load_arff(text: str, src: str, o: dict) -> SequenceDataset:
    """An .arff file (decoded text): labelled sequences (labels None without a nominal class)."""
    lines = text.splitlines()
    relation, attrs, start = _header(lines, src)
    relational, steps, classes = _layout(attrs, src)
    index = {c: k for k, c in enumerate(classes or [])}
    width = len(attrs)
    check_count(src, sum(1 for ln in lines[start:] if ln.strip() and not ln.lstrip().startswith("%")), o)
    cases, y, F = Cases(src, o), [], None
    for i in range(start, len(lines)):
        s = lines[i].strip()
        if not s or s.startswith("%"):
            continue
        n = i + 1
        if s.startswith("{"):
            raise DatasetError(f"{src}: {at_line(n)}: sparse rows ({{...}}) are not supported; save the data in the "
                               "dense format", "arff_sparse", src=src, at=at_line(n))
        f = _fields(s, src, n)
        if len(f) != width:
            raise _row_count(src, at_line(n), len(f), width)
        if classes is not None:
            label = _unquote(f[-1])
            if label in ("", "?"):
                label_index(label, classes, index, src, n)  # raises: the class label is missing
            if label not in index:
                raise DatasetError(f"{src}: {at_line(n)}: class {label!r} is not among the values of "
                                   f"{attrs[-1][0]!r} ({classes})", "arff_unknown_class", src=src, at=at_line(n),
                                   label=label, attr=attrs[-1][0], classes=classes)
            y.append(index[label])
        if relational:
            parts = _unquote(f[0]).replace("\\n", "\n").split("\n")
            F = F or len(parts)
            check_channels(src, F, o)
            if len(parts) != F:
                raise DatasetError(f"{src}: {at_line(n)} has {len(parts)} dimension(s), expected {F} (as in the first "
                                   "case); dimensions are separated by '\\n' inside the quotes", "arff_dimensions",
                                   src=src, at=at_line(n), n=len(parts), expected=F)
            dims = []
            for d, p in enumerate(parts, 1):
                if not p.strip():
                    raise empty_dim(src, n, d)
                v = numbers(p, src, n, d)
                if len(v) != steps:
                    raise _row_count(src, at_line(n, d), len(v), steps)
                dims.append(v)
        else:
            dims = [numbers(",".join(f[:steps]), src, n, 1)]
        cases.add(dims, n)
    if not cases.seqs:
        raise DatasetError(f"{src}: @data is followed by no cases", "archive_no_cases", src=src)
    F = cases.seqs[0].shape[1]
    notes = [f".arff file, relation {relation or '?'}: {len(cases.seqs)} cases, "
             + (f"relational (UEA multivariate), {F} dimensions" if relational else "univariate")] + cases.notes()
    if classes is None:
        notes.append("no nominal class attribute last: sequences without labels (classification needs labels)")
    labels = np.asarray(y, dtype=np.int64) if classes is not None else None
    return SequenceDataset("labelled", cases.seqs, labels, list(classes or []), channel_names(F), notes=notes)
