"""Is it a table, and how is it delimited? Sniffing the first lines of a text: numeric cells,
the delimiter (given and checked, or the first giving consistent columns), the rows' fields.
"""
from __future__ import annotations

import csv
from collections import Counter

from .types import DatasetError

NA_TOKENS = ["", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "None", "?"]


def is_num(s: str):
    """True / False, or None for a missing-value token ("1,5" counts: a decimal comma)."""
    s = s.strip()
    if s in NA_TOKENS:
        return None
    try:
        float(s.replace(",", ".", 1) if s.count(",") == 1 else s)
        return True
    except ValueError:
        return False


def fields(lines, d, src=""):
    """Rows of fields (an iterator) for delimiter ``d`` (" " means any whitespace)."""
    if d == " ":
        return (ln.split() for ln in lines)
    return csv_rows(csv.reader(lines, delimiter=d, skipinitialspace=True), src)


def csv_rows(reader, src):
    """``reader``'s rows; the csv module's own errors (a field over its size limit, a stray NUL)
    become a DatasetError that names the file."""
    try:
        yield from reader
    except csv.Error as e:
        raise DatasetError(f"{src}: could not read it as a table ({e})", "csv_unreadable", src=src,
                           detail=str(e)) from None


def sniff(lines, delimiter, src):
    """The given delimiter (checked), else the first giving >= 2 consistent columns."""
    if delimiter is not None:
        d = " " if delimiter in ("whitespace", r"\s+") or delimiter.strip(" ") == "" else delimiter
        rows = list(fields(lines, d, src))
        other = [c for c in (",", "\t", ";") if c != d and all(c in ln for ln in lines)]
        if all(len(r) == 1 for r in rows) and (other or is_num(rows[-1][0]) is False):
            tip = f"; the rows contain {other[0]!r}: try delimiter={other[0]!r}" if other else ""
            raise DatasetError(f"{src}: with delimiter {delimiter!r} every row is a single column (row 1 "
                               f"reads {lines[0][:40]!r}){tip}, or delimiter=None to detect it",
                               "single_column_try" if other else "single_column", src=src,
                               delimiter=delimiter, first=lines[0][:40], **({"other": other[0]} if other else {}))
        return d
    fallback = None  # tab and ';' first: their files may hold decimal commas
    for d in ("\t", ";", ",", " "):
        m, n = Counter(len(r) for r in fields(lines, d, src)).most_common(1)[0]
        if m >= 2 and n >= 0.9 * len(lines):
            return d
        if fallback is None and d != " " and sum(d in ln for ln in lines) >= 0.5 * len(lines):
            fallback = d
    return fallback or ","


def shares(text: str, delimiter, src):
    """(share of the rows after the first holding a number, share of numeric cells)."""
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()][:100]
    d = sniff(lines, delimiter, src)
    rows = list(fields(lines, d, src))
    if len(rows) == 1:  # one line: a table if numeric, or delimited words (a header only)
        share = sum(bool(is_num(c)) for c in rows[0]) / len(rows[0])
        return float(share >= 0.5 or (d != " " and len(rows[0]) >= 2
                                      and all(" " not in c.strip() for c in rows[0]))), share
    cells = [bool(is_num(c)) for r in rows[1:] for c in r]
    return (sum(any(is_num(c) for c in r) for r in rows[1:]) / (len(rows) - 1),
            sum(cells) / max(1, len(cells)))
