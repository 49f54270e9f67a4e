"""CSV/TSV tables -> ``SequenceDataset``: one series (rows are time steps), wide (one labelled
sequence per row) and long (a sequence id column). Rows named in messages are LINES of the file
(1-based, header included, as an editor shows them); columns are 1-based, with their header name.
"""
from __future__ import annotations

import csv
import io
import re
import warnings

import numpy as np
import pandas as pd

from .sniff import NA_TOKENS, fields, is_num, sniff
from .types import DatasetError, Phrase, SequenceDataset, fill_gaps, trim_padding

TIME_NAMES = {"date", "time", "datetime", "timestamp", "t", "step"}
LABEL_NAMES = {"label", "class", "target", "y"}
F32_MAX = float(np.finfo(np.float32).max)


def load_table(text: str, src: str, o: dict, fmt: str) -> tuple[SequenceDataset, str, list]:
    """A table's dataset. ``fmt``: "csv" (detect which layout) or one of csv_series/wide/long.

    Returns:
        (dataset, the layout used, notes on what was detected or done)
    """
    t = _table(text, src, o)
    if fmt == "csv":
        fmt, why = _detect(t)
        t.notes.append(f"detected format {fmt} ({why})")
    ds = {"csv_series": _series, "csv_wide": _wide, "csv_long": _long}[fmt](t, o)
    return ds, fmt, t.notes


# ---- tables -------------------------------------------------------------------------------------

class _Table:
    """Parsed cells (``df``: float columns, or str where text), header ``names``, file ``lines``."""

    def __init__(self, src, names, df, lines, notes):
        self.src, self.names, self.df, self.lines, self.notes = src, names, df, lines, notes

    def col(self, j: int) -> str:
        n = self.names[j].strip() if self.names else ""
        if n:
            return Phrase(f"column {j + 1} ({n!r})", "col_named", n=j + 1, name=n)
        return Phrase(f"column {j + 1}", "col", n=j + 1)

    def cell(self, i: int, j: int) -> str:
        return Phrase(f"row {self.lines[i]}, {self.col(j)}", "cell", row=int(self.lines[i]), col=self.col(j))

    def where(self, i: int, j: int) -> str:
        return Phrase(f"{self.src}: {self.cell(i, j)}", "where", src=self.src, cell=self.cell(i, j))

    def find(self, spec, what: str) -> int:
        cols = list(self.df.columns)
        if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
            if int(spec) in cols:
                return int(spec)
        elif self.names is not None:
            low = [n.strip().lower() for n in self.names]
            if str(spec).strip().lower() in low and low.index(str(spec).strip().lower()) in cols:
                return low.index(str(spec).strip().lower())
        have = ([self.names[j] for j in cols] if self.names
                else Phrase(f"indices 0..{max(cols)} (no header)", "indices", last=max(cols)))
        raise DatasetError(f"{self.src}: unknown {what} {spec!r}; the columns are {have}", "unknown_column",
                           src=self.src, what=Phrase(what, "what." + what.replace(" ", "_")), spec=spec,
                           have=have)

    def numbers(self, j: int, nan_ok=False, rule: str | None = None) -> np.ndarray:
        rule = rule or Phrase("values must be numbers", "rule.values")
        s = self.df[j]
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(np.isnan(v) & s.notna().to_numpy())
        if bad.size:
            val = str(s.iloc[bad[0]])
            tip = " (use '.' as the decimal mark)" if val.replace(",", "", 1).lstrip("-").isdigit() else ""
            raise DatasetError(f"{self.where(bad[0], j)}: {val!r} is not a number{tip}; {rule}",
                               "not_a_number_comma" if tip else "not_a_number", where=self.where(bad[0], j),
                               value=val, rule=rule)
        inf = np.flatnonzero(np.abs(v) > F32_MAX)
        if inf.size:
            raise DatasetError(f"{self.where(inf[0], j)}: {str(s.iloc[inf[0]])!r} is infinite (or beyond "
                               "float32's 3.4e38); values must be finite", "infinite_cell",
                               where=self.where(inf[0], j), value=str(s.iloc[inf[0]]))
        nan = np.flatnonzero(np.isnan(v))
        if nan.size and not nan_ok:
            raise DatasetError(f"{self.where(nan[0], j)} is empty or NaN; {rule} (no missing values here)",
                               "missing_value", where=self.where(nan[0], j), rule=rule)
        return v


def _count(lines, d, src, nums) -> np.ndarray:
    """Fields per line; a quoted field may not run over the end of its line."""
    if d == " ":
        return np.fromiter((len(ln.split()) for ln in lines), dtype=np.int64, count=len(lines))
    rd, counts = csv.reader(lines, delimiter=d, skipinitialspace=True), []
    try:
        for r in rd:
            if rd.line_num != len(counts) + 1:
                raise DatasetError(f"{src}: row {nums[len(counts)]} opens a quote (\") that does not close on "
                                   "that line; quoted fields may not span lines", "open_quote", src=src,
                                   row=nums[len(counts)])
            counts.append(len(r))
    except csv.Error as e:
        raise DatasetError(f"{src}: row {nums[len(counts)]}: {e}", "csv_error", src=src, row=nums[len(counts)],
                           detail=str(e)) from None
    return np.array(counts, dtype=np.int64)


def _table(text: str, src: str, o) -> _Table:
    lines, nums = [], []
    for i, ln in enumerate(text.splitlines(), 1):
        if ln.strip() and not ln.lstrip().startswith("#"):
            lines.append(ln)
            nums.append(i)
    if not lines:
        raise DatasetError(f"{src} has no data lines (only blank or '#' comment lines)", "no_data_lines", src=src)
    d = sniff(lines[:100], o["delimiter"], src)
    counts = _count(lines, d, src, nums)
    m = int(np.bincount(counts).argmax())
    bad = np.flatnonzero(counts != m)
    if bad.size:
        raise DatasetError(f"{src}: row {nums[bad[0]]} has {counts[bad[0]]} fields but most rows have {m} "
                           f"(delimiter {d!r}); every row needs the same number of columns", "ragged", src=src,
                           row=nums[bad[0]], fields=int(counts[bad[0]]), most=m, delimiter=d)
    if m > o["max_columns"]:
        raise DatasetError(f"{src} has {m} columns, over the limit of {o['max_columns']} (max_columns)",
                           "too_many_columns", src=src, n=m, limit=o["max_columns"])
    first = list(fields(lines[:51], d, src))
    header = o["header"] if o["header"] is not None else _has_header(first)
    names = [c.strip() for c in first[0]] if header else None
    body, nums = (lines[1:], nums[1:]) if header else (lines, nums)
    if not body:
        raise DatasetError(f"{src} has a header row but no data rows", "header_only", src=src)
    sample = "\n".join(body[:50])
    comma = d != "," and bool(re.search(r"\d,\d", sample)) and not re.search(r"\d\.\d", sample)
    try:
        df = pd.read_csv(io.StringIO("\n".join(body)), sep=r"\s+" if d == " " else d, header=None,
                         names=list(range(m)), keep_default_na=False, na_values=NA_TOKENS,
                         skipinitialspace=True, skip_blank_lines=False, decimal="," if comma else ".")
    except Exception as e:  # noqa: BLE001 - any parser failure means a bad file
        raise DatasetError(f"{src}: could not parse the table ({e})", "parse_failed", src=src, detail=str(e)) from None
    notes = ["used row 1 as the header"] * bool(header) + ["read ',' as the decimal mark"] * comma
    if (names and names[0] in ("", "Unnamed: 0", "index") and m > 1 and pd.api.types.is_numeric_dtype(df[0])
            and np.array_equal(df[0].to_numpy(), np.arange(len(df)))):
        df = df.drop(columns=0)
        notes.append("dropped column 1: a row index (0, 1, 2, ...), not data")
    for j in list(df.columns):
        if df[j].isna().all() and len(df.columns) > 1:
            df = df.drop(columns=j)
            notes.append(f"dropped empty column {j + 1}")
    return _Table(src, names, df, np.asarray(nums[:len(df)]), notes)


def _has_header(rows) -> bool:
    first, rest = rows[0], rows[1:]
    text = all(is_num(c) is False for c in first)
    if not rest or any(c.strip().lower() == "sequence_id" for c in first):
        return text or bool(rest)
    for j, c in enumerate(first):  # a text cell above a column of numbers
        if is_num(c) is False:
            vals = [v for v in (is_num(r[j]) for r in rest if j < len(r)) if v is not None]
            if vals and sum(vals) >= 0.9 * len(vals):
                return True
    return text and any(is_num(c) for r in rest for c in r)


def _detect(t: _Table):
    low = [n.strip().lower() for n in t.names or []]
    if "sequence_id" in low:
        return "csv_long", "a 'sequence_id' column"
    cols = list(t.df.columns)
    if len(cols) >= 3:
        if low and low[cols[0]] in LABEL_NAMES:
            return "csv_wide", f"first column named {t.names[cols[0]]!r}"
        s, n = t.df[cols[0]], len(t.df)
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        labels = (not s.isna().any() and 2 <= s.nunique() <= min(50, max(2, n // 2), n - 1)
                  and bool(np.isnan(v).any() or (v == np.round(v)).all()))
        if labels and (len(cols) > 10 or n <= len(cols)):
            return "csv_wide", "first column holds a few labels, one sequence per row"
    return "csv_series", "rows are time steps"


def _to_datetime(s):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            p = pd.to_datetime(s, errors="coerce", utc=True)
            if p.isna().sum() > s.isna().sum():
                p = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
            return p.dt.tz_localize(None)
        except (ValueError, TypeError, OverflowError):
            return pd.Series(pd.NaT, index=s.index)


def _time_column(t: _Table, spec):
    """(column, axis) of the date/time column: ``spec``, or detected when None; False: none."""
    if spec is False:
        return None, None
    for j in [t.find(spec, "time column")] if spec is not None else list(t.df.columns):
        s, name = t.df[j], t.names[j].strip().lower() if t.names else ""
        if pd.api.types.is_numeric_dtype(s):
            v = s.to_numpy(dtype=np.float64, na_value=np.nan)
            if (spec is not None or name in TIME_NAMES) and np.all(np.diff(v) > 0):
                t.notes.append(f"used {t.col(j)} as the time axis")
                return j, v
            if spec is not None:
                raise DatasetError(f"{t.src}: time column {t.col(j)} must hold dates or increasing numbers",
                                   "time_not_increasing", src=t.src, col=t.col(j))
            continue
        head = s.dropna().astype(str).head(20)
        if spec is None and (head.empty or sum(bool(is_num(c)) for c in head) > len(head) / 2
                             or _to_datetime(head).notna().mean() < (0.5 if name in TIME_NAMES else 0.9)):
            continue
        p = _to_datetime(s)
        bad = np.flatnonzero(p.isna().to_numpy())
        if bad.size:
            raise DatasetError(f"{t.where(bad[0], j)}: {str(s.iloc[bad[0]])!r} is not a date/time (the "
                               "column is the time axis; pass time_column=False to ignore it)", "not_a_date",
                               where=t.where(bad[0], j), value=str(s.iloc[bad[0]]))
        t.notes.append(f"used {t.col(j)} as the time axis (dates)")
        return j, p.to_numpy()
    return None, None


def _series(t: _Table, o) -> SequenceDataset:
    if len(t.df) < 2:
        raise DatasetError(f"{t.src} has only one data row (row {t.lines[0]}); a time series needs at least "
                           "2 rows, one per time step", "series_one_row", src=t.src, row=int(t.lines[0]))
    tcol, tix = _time_column(t, o["time_column"])
    fc = o["feature_columns"]
    feats = [t.find(c, "feature column") for c in fc] if fc else [j for j in t.df.columns if j != tcol]
    if not feats or tcol in feats:
        raise DatasetError(f"{t.src}: no value columns besides the time column; a series needs a numeric column",
                           "no_value_columns", src=t.src)
    rule = Phrase("series columns must be numeric (apart from one date/time column)", "rule.series")
    X = np.column_stack([t.numbers(j, nan_ok=True, rule=rule) for j in feats])
    for k in np.flatnonzero(np.isnan(X).all(0)):
        raise DatasetError(f"{t.src}: {t.col(feats[k])} has no numbers at all; drop it or pick feature_columns",
                           "no_numbers", src=t.src, col=t.col(feats[k]))
    if tix is not None:
        order = np.argsort(tix, kind="stable")
        if np.any(order != np.arange(len(order))):
            X, tix, t.lines = X[order], tix[order], t.lines[order]
            t.notes.append("sorted the rows by time")
        dup = np.flatnonzero(tix[1:] == tix[:-1])
        if dup.size:
            a = dup[0]
            raise DatasetError(f"{t.src}: rows {t.lines[a]} and {t.lines[a + 1]} have the same time "
                               f"{tix[a]}; each time step must appear once", "same_time", src=t.src,
                               row=int(t.lines[a]), row2=int(t.lines[a + 1]), time=str(tix[a]))
    X, gaps = fill_gaps(X, o["interpolate"], t.notes)
    names = [t.names[j].strip() if t.names else "" for j in feats]
    names = [n or (f"x{k + 1}" if len(feats) > 1 else "value") for k, n in enumerate(names)]
    return SequenceDataset("series", [X.astype(np.float32)], channels=names, time_index=tix, gaps=gaps)


def _labels(t: _Table, j: int):
    """Class indices and names from a label column (all integers or all names)."""
    s = t.df[j]
    miss = np.flatnonzero(s.isna().to_numpy())
    if miss.size:
        raise DatasetError(f"{t.where(miss[0], j)}: the label is missing; every sequence needs one",
                           "label_missing", where=t.where(miss[0], j))
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    num = ~np.isnan(v)
    if num.all():
        bad = np.flatnonzero(~np.isfinite(v) | (v != np.round(v)))
        if bad.size:
            raise DatasetError(f"{t.where(bad[0], j)}: label {str(s.iloc[bad[0]])!r} is not a class; labels "
                               "must be integers or names", "label_not_class", where=t.where(bad[0], j),
                               label=str(s.iloc[bad[0]]))
        cv, y = np.unique(v.astype(np.int64), return_inverse=True)
    elif num.any():
        a, b = np.flatnonzero(num)[0], np.flatnonzero(~num)[0]
        raise DatasetError(f"{t.src}: label {t.col(j)} mixes numbers and names ({str(s.iloc[a])!r} at row "
                           f"{t.lines[a]}, {str(s.iloc[b])!r} at row {t.lines[b]}); use one kind of label",
                           "mixed_labels", src=t.src, col=t.col(j), number=str(s.iloc[a]), row=int(t.lines[a]),
                           name=str(s.iloc[b]), row2=int(t.lines[b]))
    else:
        cv, y = np.unique(s.astype(str).str.strip().to_numpy(dtype=str), return_inverse=True)
    return y.astype(np.int64), [str(c) for c in cv]


def _wide(t: _Table, o) -> SequenceDataset:
    cols, fc = list(t.df.columns), o["feature_columns"]
    if len(cols) < 2:
        raise DatasetError(f"{t.src} has a single column; the wide format needs a label column and the "
                           "values of one sequence per row", "wide_one_column", src=t.src)
    lab = t.find(o["label_column"], "label column") if o["label_column"] is not None else cols[0]
    feats = [t.find(c, "value column") for c in fc] if fc else [j for j in cols if j != lab]
    if len(feats) < 2:
        raise DatasetError(f"{t.src}: each row has only 1 value after the label, so every sequence has "
                           "length 1; sequences need at least 2 steps", "wide_length_one", src=t.src)
    if len(t.df) < 2:
        raise DatasetError(f"{t.src} has a single data row; labelled data needs several sequences",
                           "wide_one_row", src=t.src)
    if len(t.df) > o["max_sequences"]:
        raise DatasetError(f"{t.src} has {len(t.df)} sequences, over max_sequences={o['max_sequences']}",
                           "too_many_sequences", src=t.src, n=len(t.df), limit=o["max_sequences"])
    y, classes = _labels(t, lab)
    X = np.column_stack([t.numbers(j, nan_ok=True) for j in feats])[:, :, None]
    seqs = trim_padding(X, t.src, lambda i, k, f: t.cell(i, feats[k]),
                 lambda i: Phrase(f"row {t.lines[i]}", "row", row=int(t.lines[i])))
    if any(len(s) < len(feats) for s in seqs):
        t.notes.append("rows ending in empty cells are shorter sequences")
    return SequenceDataset("labelled", seqs, y, classes, ["value"])


def _long(t: _Table, o) -> SequenceDataset:
    if t.names is None:
        raise DatasetError(f"{t.src}: the long format needs a header row naming the columns (sequence_id, "
                           "optional t, the features, label)", "long_no_header", src=t.src)
    idc = t.find("sequence_id", "column")
    tc = t.find("t", "column") if "t" in [n.strip().lower() for n in t.names] else None
    lab = t.find(o["label_column"] if o["label_column"] is not None else "label", "label column")
    fc = o["feature_columns"]
    feats = [t.find(c, "feature column") for c in fc] if fc else [j for j in t.df.columns if j not in (idc, tc, lab)]
    if not feats:
        raise DatasetError(f"{t.src}: no feature columns besides sequence_id, t and label", "long_no_features",
                           src=t.src)
    miss = np.flatnonzero(t.df[idc].isna().to_numpy())
    if miss.size:
        raise DatasetError(f"{t.where(miss[0], idc)}: the sequence_id is missing", "sequence_id_missing",
                           where=t.where(miss[0], idc))
    codes, uniq = pd.factorize(t.df[idc])
    if len(uniq) > o["max_sequences"]:
        raise DatasetError(f"{t.src} has {len(uniq)} sequences, over max_sequences={o['max_sequences']}",
                           "too_many_sequences", src=t.src, n=len(uniq), limit=o["max_sequences"])
    X = np.column_stack([t.numbers(j, rule=Phrase("feature values must be numbers", "rule.features"))
                         for j in feats])
    y, classes = _labels(t, lab)
    tv = (t.numbers(tc, rule=Phrase("t must be the number of the time step", "rule.t")) if tc is not None
          else np.arange(len(X)))
    order = np.lexsort((tv, codes))
    c, tt, ys = codes[order], tv[order], y[order]
    if tc is not None and np.any(np.diff(order) < 0):
        t.notes.append("sorted the rows of each sequence by t")
    sid = lambda k: repr(str(uniq[c[k]]))  # noqa: E731 - name of the sequence at sorted row k
    dup = np.flatnonzero((c[1:] == c[:-1]) & (tt[1:] == tt[:-1]))
    if dup.size:
        k = dup[0]
        raise DatasetError(f"{t.src}: sequence {sid(k)} has t = {tt[k]:g} twice (rows {t.lines[order[k]]} and "
                           f"{t.lines[order[k + 1]]}); each step must appear once", "duplicate_t", src=t.src,
                           seq=sid(k), t=float(tt[k]), row=int(t.lines[order[k]]), row2=int(t.lines[order[k + 1]]))
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    ends = np.r_[starts[1:], len(c)]
    short = starts[ends - starts < 2]
    if short.size:
        raise DatasetError(f"{t.src}: sequence {sid(short[0])} has only one row (row {t.lines[order[short[0]]]}); "
                           "sequences need at least 2 steps", "long_one_row", src=t.src, seq=sid(short[0]),
                           row=int(t.lines[order[short[0]]]))
    wrong = np.flatnonzero(ys != np.repeat(ys[starts], ends - starts))
    if wrong.size:
        w = wrong[0]
        g = starts[np.searchsorted(starts, w, side="right") - 1]
        raise DatasetError(f"{t.src}: sequence {sid(w)} has two labels, {classes[ys[g]]!r} (row "
                           f"{t.lines[order[g]]}) and {classes[ys[w]]!r} (row {t.lines[order[w]]}); a "
                           "sequence has one label on all its rows", "two_labels", src=t.src, seq=sid(w),
                           label=classes[ys[g]], row=int(t.lines[order[g]]), label2=classes[ys[w]],
                           row2=int(t.lines[order[w]]))
    Xs = X[order].astype(np.float32)
    return SequenceDataset("labelled", [Xs[a:b] for a, b in zip(starts, ends)], ys[starts].astype(np.int64),
                           classes, [t.names[j].strip() or f"x{k + 1}" for k, j in enumerate(feats)])
