"""UCR/UEA archive files -> ``SequenceDataset``: the ``.ts`` format of sktime/aeon (here) and Weka's
``.arff`` (``core.datasets.arff``), with the case-building rules they share.

.ts: a header (``@problemName``, ``@timeStamps``, ``@missing``, ``@univariate``, ``@dimensions``,
``@equalLength``, ``@seriesLength``, ``@classLabel true A B C`` / ``false``, ``@targetLabel``), then
``@data`` and one case per line: dimensions separated by ``:``, values by ``,``, the class label
last; ``#`` starts a comment; ``?`` is a missing value.

Missing values and unequal lengths, as the notes of the result say: trailing ``?`` make a dimension
shorter; other ``?`` are filled linearly from their neighbours (the first and last known value
held at the ends); within one case, a dimension shorter than the case's longest is padded with its
last value (the RNN reads every channel at every step), and cases of different lengths stay so
(``Batch.lengths`` masks the padding between cases). Errors are ``DatasetError``s naming the file
and the line (1-based, as an editor shows it).
"""
from __future__ import annotations

import numpy as np

from .types import DatasetError, Phrase, SequenceDataset

TS_TAGS = ("@problemname", "@timestamps", "@missing", "@univariate", "@dimensions", "@dimension",
           "@equallength", "@serieslength", "@classlabel", "@targetlabel", "@data")


def at_line(line: int, dim: int | None = None, step: int | None = None) -> Phrase:
    """A place in an archive file: "line 7", "line 7, dimension 2" or "..., step 5" (1-based)."""
    if dim is None:
        return Phrase(f"line {line}", "line", line=line)
    if step is None:
        return Phrase(f"line {line}, dimension {dim}", "line_dim", line=line, dim=dim)
    return Phrase(f"line {line}, dimension {dim}, step {step}", "line_dim_step", line=line, dim=dim, step=step)


def first_tag(text: str, comment: str) -> str:
    """The first word of the first line that is neither blank nor a ``comment`` line, lower case."""
    for ln in text.splitlines()[:2000]:
        s = ln.strip()
        if s and not s.startswith(comment):
            return s.split(None, 1)[0].lower()
    return ""


def numbers(txt: str, src: str, line: int, dim: int) -> np.ndarray:
    """The values of one dimension ("1.5,?,2") as float64; ``?`` (or "nan") is NaN."""
    parts = txt.split(",")
    try:
        return np.array(["nan" if p.strip() == "?" else p for p in parts], dtype=np.float64)
    except ValueError:
        k = next(k for k, p in enumerate(parts) if not _is_float(p))
        raise DatasetError(f"{src}: {at_line(line, dim, k + 1)}: {parts[k].strip()!r} is not a number; values "
                           "are numbers separated by ',', '?' when missing", "archive_not_a_number", src=src,
                           at=at_line(line, dim, k + 1), value=parts[k].strip()) from None


def _is_float(p: str) -> bool:
    try:
        float("nan" if p.strip() == "?" else p)
        return True
    except ValueError:
        return False


class Cases:
    """Collects the cases of a file into (T_i, F) float32 arrays and notes what was done to them."""

    def __init__(self, src: str, o: dict):
        self.src, self.o = src, o
        self.seqs: list[np.ndarray] = []
        self.filled = self.padded = self.shortened = 0  # missing values filled; cases padded / shortened

    def add(self, dims: list[np.ndarray], line: int) -> None:
        """One case from its dimensions (1-D float64 arrays, NaN where missing)."""
        cols = []
        for d, v in enumerate(dims, 1):
            inf = np.flatnonzero(np.isinf(v))
            if inf.size:
                raise DatasetError(f"{self.src}: {at_line(line, d, int(inf[0]) + 1)} is infinite; values must be "
                                   "finite", "infinite_at", src=self.src, at=at_line(line, d, int(inf[0]) + 1))
            known = np.flatnonzero(~np.isnan(v))
            if not known.size:
                raise empty_dim(self.src, line, d)
            self.shortened += known[-1] + 1 < len(v)
            v = v[:known[-1] + 1]  # trailing missing values: a shorter dimension
            if len(known) < len(v):
                self.filled += len(v) - len(known)
                v = np.interp(np.arange(len(v)), known, v[known])
            cols.append(v)
        T = max(len(c) for c in cols)
        if T < 2:
            raise DatasetError(f"{self.src}: {at_line(line)} has {T} value(s); sequences need at least 2 steps",
                               "sequence_too_short", src=self.src, seq=at_line(line), n=T)
        if any(len(c) < T for c in cols):
            self.padded += 1
            cols = [np.pad(c, (0, T - len(c)), mode="edge") for c in cols]
        self.seqs.append(np.column_stack(cols).astype(np.float32))

    def notes(self) -> list[str]:
        out = []
        if self.shortened:
            out.append(f"{self.shortened} dimension(s) ending in missing values ('?') read as shorter")
        if self.filled:
            out.append(f"filled {self.filled} missing values ('?') linearly from their neighbours")
        if self.padded:
            out.append(f"{self.padded} case(s) with dimensions of different lengths: the shorter dimensions "
                       "padded with their last value")
        L = [len(s) for s in self.seqs]
        if L and min(L) != max(L):
            out.append(f"unequal lengths: {min(L)} to {max(L)} steps")
        return out


def empty_dim(src: str, line: int, dim: int) -> DatasetError:
    return DatasetError(f"{src}: {at_line(line, dim)} has no values; every dimension of a case needs values",
                        "archive_empty_dim", src=src, at=at_line(line, dim))


def channel_names(F: int) -> list[str]:
    return ["value"] if F == 1 else [f"dim{k + 1}" for k in range(F)]


def check_channels(src: str, F: int, o: dict) -> None:
    if F > o["max_columns"]:
        raise DatasetError(f"{src} has {F} dimensions, over the limit of {o['max_columns']} (max_columns)",
                           "too_many_channels", src=src, n=F, limit=o["max_columns"])


def check_count(src: str, n: int, o: dict) -> None:
    """Refuse ``n`` cases over max_sequences (counted before parsing them)."""
    if n > o["max_sequences"]:
        raise DatasetError(f"{src} has {n} sequences, over max_sequences={o['max_sequences']}", "too_many_sequences",
                           src=src, n=n, limit=o["max_sequences"])


def label_index(label: str, classes: list, index: dict, src: str, line: int) -> int:
    """The index of ``label`` among the declared ``classes`` (``index``: name -> position)."""
    if label in ("", "?"):
        raise DatasetError(f"{src}: {at_line(line)}: the class label is missing; every case needs one",
                           "archive_label_missing", src=src, at=at_line(line))
    if label not in index:
        raise DatasetError(f"{src}: {at_line(line)}: class {label!r} is not declared in @classLabel ({classes})",
                           "ts_unknown_label", src=src, at=at_line(line), label=label, classes=classes)
    return index[label]


# ---- .ts ------------------------------------------------------------------------------------------

def _bool(tag, value, src, line):
    v = value.strip().lower()
    if v not in ("true", "false"):
        raise _header_value(tag, value, Phrase("true or false", "expect.bool"), src, line)
    return v == "true"


def _count(tag, value, src, line):
    try:
        n = int(value.strip())
    except ValueError:
        n = 0
    if n < 1:
        raise _header_value(tag, value, Phrase("a whole number of at least 1", "expect.count"), src, line)
    return n


def _header_value(tag, value, expected, src, line):
    return DatasetError(f"{src}: {at_line(line)}: {tag} {value.strip()!r} is not valid; expected {expected}",
                        "ts_header_value", src=src, at=at_line(line), tag=tag, value=value.strip(), expected=expected)


def _ts_header(lines: list[str], src: str):
    """(header values, index of the first data line, notes)."""
    h, notes = {}, []
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        n = i + 1
        if not s.startswith("@"):
            raise DatasetError(f"{src}: {at_line(n)} holds data before the @data line; a .ts file starts with its "
                               "header (@problemName, @univariate, @classLabel, ...) and @data", "ts_before_data",
                               src=src, at=at_line(n))
        tag, _, rest = s.partition(" ")
        t = tag.lower()
        if t == "@data":
            return h, i + 1, notes
        if t == "@problemname":
            h["name"] = rest.strip()
        elif t in ("@timestamps", "@missing", "@univariate", "@equallength"):
            h[t] = _bool(tag, rest, src, n)
            if t == "@timestamps" and h[t]:
                raise _timestamps(src, n)
        elif t in ("@dimensions", "@dimension", "@serieslength"):
            h["@dimensions" if t.startswith("@dim") else t] = (_count(tag, rest, src, n), n)
        elif t == "@classlabel":
            flag, _, names = rest.strip().partition(" ")
            h[t] = _bool(tag, flag, src, n)
            h["classes"] = names.split()
            if h[t] and not h["classes"]:
                raise DatasetError(f"{src}: {at_line(n)}: '@classLabel true' declares no classes; list them: "
                                   "@classLabel true A B C", "ts_no_classes", src=src, at=at_line(n))
        elif t == "@targetlabel":
            if _bool(tag, rest, src, n):
                raise DatasetError(f"{src}: {at_line(n)}: '@targetLabel true' marks a regression problem (a number "
                                   "per case); only classification (@classLabel) and unlabelled files are read",
                                   "ts_regression", src=src, at=at_line(n))
            h[t] = False
        else:
            notes.append(f"ignored the unknown header line {tag} (line {n})")
    raise DatasetError(f"{src} has no @data line; a .ts file has its header (@problemName ..., @classLabel ...), "
                       "then @data, then one case per line", "ts_no_data", src=src)


def _timestamps(src, n):
    return DatasetError(f"{src}: {at_line(n)}: time-stamped values ((t, v) pairs) are not supported; save the values "
                        "without time stamps (@timeStamps false)", "ts_timestamps", src=src, at=at_line(n))


def load_ts(text: str, src: str, o: dict) -> SequenceDataset:
    """A .ts file (decoded text): labelled sequences (labels None when ``@classLabel false``)."""
    lines = text.splitlines()
    h, start, notes = _ts_header(lines, src)
    if "@classlabel" not in h and "@targetlabel" not in h:
        raise DatasetError(f"{src}: the header has no @classLabel line; declare the classes ('@classLabel true A B "
                           "C') or their absence ('@classLabel false') before @data", "ts_no_class_label", src=src)
    labelled = h.get("@classlabel", False)
    classes = h.get("classes", []) if labelled else []
    index = {c: k for k, c in enumerate(classes)}
    declared, univariate = h.get("@dimensions"), h.get("@univariate")
    length, equal = h.get("@serieslength"), h.get("@equallength")
    if univariate and declared and declared[0] > 1:
        raise _univariate(src, declared[1], declared[0])
    expect = None  # (number of dimensions, where it comes from); univariate files are checked by _univariate
    if declared and not univariate:
        expect = (declared[0], Phrase("declared by @dimensions", "why.declared"))
        check_channels(src, expect[0], o)
    check_count(src, sum(1 for ln in lines[start:] if ln.strip() and not ln.lstrip().startswith("#")), o)
    cases, y, first = Cases(src, o), [], None  # first: (line, length) of the first case
    for i in range(start, len(lines)):
        s = lines[i].strip()
        if not s or s.startswith("#"):
            continue
        n = i + 1
        if "(" in s:
            raise _timestamps(src, n)
        body = s
        if labelled:
            body, label = s.rsplit(":", 1) if ":" in s else (s, "")
            y.append(label_index(label.strip(), classes, index, src, n))
        parts = body.split(":")
        if univariate and len(parts) > 1:
            raise _univariate(src, n, len(parts))
        if expect is None and not univariate:
            check_channels(src, len(parts), o)
            expect = (len(parts), Phrase(f"as in line {n}, the first case", "why.first", line=n))
        if expect and len(parts) != expect[0]:
            raise DatasetError(f"{src}: {at_line(n)} has {len(parts)} dimension(s), expected {expect[0]} "
                               f"({expect[1]}); dimensions are separated by ':' and the class label comes last",
                               "ts_dimensions", src=src, at=at_line(n), n=len(parts), expected=expect[0],
                               why=expect[1])
        for d, p in enumerate(parts, 1):
            if not p.strip():
                raise empty_dim(src, n, d)
        dims = [numbers(p, src, n, d) for d, p in enumerate(parts, 1)]
        for d, v in enumerate(dims, 1):
            if length and equal is not False and len(v) != length[0]:
                raise DatasetError(f"{src}: {at_line(n, d)} has {len(v)} values but '@seriesLength {length[0]}' is "
                                   "declared", "ts_series_length", src=src, at=at_line(n, d), n=len(v),
                                   declared=length[0])
            first = first or (n, len(v))
            if equal and len(v) != first[1]:
                raise DatasetError(f"{src}: {at_line(n, d)} has {len(v)} values, line {first[0]} has {first[1]}; "
                                   "'@equalLength true' says all series have the same length", "ts_equal_length",
                                   src=src, at=at_line(n, d), n=len(v), first_line=first[0], first=first[1])
        cases.add(dims, n)
    if not cases.seqs:
        raise DatasetError(f"{src}: @data is followed by no cases", "archive_no_cases", src=src)
    F = cases.seqs[0].shape[1]
    notes = [f".ts file, problem {h.get('name') or '?'}: {len(cases.seqs)} cases, "
             f"{'univariate' if F == 1 else f'{F} dimensions'}"] + notes + cases.notes()
    if not labelled:
        notes.append("@classLabel false: sequences without labels (classification needs labels)")
    labels = np.asarray(y, dtype=np.int64) if labelled else None
    return SequenceDataset("labelled", cases.seqs, labels, list(classes), channel_names(F), notes=notes)


def _univariate(src, n, k):
    return DatasetError(f"{src}: {at_line(n)} has {k} dimensions but the header says '@univariate true'",
                        "ts_univariate", src=src, at=at_line(n), n=k)
