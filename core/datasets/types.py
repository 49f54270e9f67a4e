"""The types every dataset loader shares: ``SequenceDataset``, ``DatasetError`` (with the
``Phrase`` parts a user interface translates), and the small helpers of all formats (sizes, gaps,
padding). Imports nothing of the package: every other module of ``core.datasets`` imports this one.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

FORMATS = ("csv_series", "csv_wide", "csv_long", "npz", "text", "ts", "arff")
MIN_TEXT = 100  # characters a text needs for character-level language modelling


class Phrase(str):
    """English text that another language can retell: a part of a message (a place, a rule, a
    default file name). It is the English ``str`` itself, plus the catalogue key
    (``data_errors.<key>`` in explorer/locales) and the values that text takes."""

    key: str  # catalogue key under data_errors
    params: dict  # values of the key's placeholders (str, numbers, or nested Phrases)

    def __new__(cls, english: str, key: str, **params):
        s = super().__new__(cls, english)
        s.key, s.params = key, params
        return s

    def __getnewargs__(self):  # pickling and copying keep the key and params (restored from __dict__)
        return str(self), self.key


class DatasetError(ValueError):
    """Input that cannot be used; the message says where, what was wrong and what is accepted.

    ``str(e)`` is the English message; ``key`` names its catalogue text (``data_errors.<key>``)
    and ``params`` the values that text takes (``Phrase`` values are translated in turn), so the
    explorer can show it in another language (``explorer.views.data_errors``). Core stays English.
    """

    def __init__(self, message: str, key: str | None = None, **params):
        super().__init__(message)
        self.key, self.params = key, params

    def __reduce__(self):
        return type(self), (self.args[0], self.key), {"params": self.params}


@dataclass
class SequenceDataset:
    kind: str  # "series", "labelled" or "text"
    sequences: list  # float32 arrays (T_i, F); a series is one sequence; [] for text
    labels: np.ndarray | None = None  # int64 (N,): indices into classes
    classes: list = field(default_factory=list)
    channels: list = field(default_factory=list)  # channel names (the characters, for text)
    text: str | None = None
    time_index: np.ndarray | None = None  # datetime64 (or increasing numbers) axis of a series
    gaps: int = 0  # missing cells found
    name: str = "data"
    format: str = ""  # one of FORMATS
    notes: list = field(default_factory=list)  # what was detected or done

    @property
    def lengths(self) -> np.ndarray:
        if self.kind == "text":
            return np.array([len(self.text or "")])
        return np.array([len(s) for s in self.sequences], dtype=np.int64)

    def summary(self) -> dict:
        L = self.lengths
        out = dict(name=self.name, kind=self.kind, format=self.format, n_sequences=len(L),
                   min_length=int(L.min()), median_length=float(np.median(L)), max_length=int(L.max()),
                   channels=list(self.channels), classes={}, channel_stats={}, gaps=int(self.gaps),
                   notes=list(self.notes))
        if self.labels is not None:
            counts = np.bincount(self.labels, minlength=len(self.classes))
            out["classes"] = {c: int(n) for c, n in zip(self.classes, counts)}
        if self.kind == "text":
            out.update(n_characters=len(self.text), n_distinct=len(self.channels))
        elif self.sequences:
            allv = np.concatenate(self.sequences).astype(np.float64)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                for k, ch in enumerate(self.channels):
                    v = allv[:, k]
                    out["channel_stats"][ch] = dict(min=float(np.nanmin(v)), max=float(np.nanmax(v)),
                                                    mean=float(np.nanmean(v)))
        if self.time_index is not None and len(self.time_index):
            out.update(start=str(self.time_index[0]), end=str(self.time_index[-1]))
        return out


def mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else Phrase(f"{n} bytes", "bytes", n=n)


def check_size(name, n, limit):
    if n > limit:
        raise DatasetError(f"{name} is {mb(n)}, over the limit of {mb(limit)} (max_bytes); use a smaller file",
                           "too_large", name=name, size=mb(n), limit=mb(limit))


def fill_gaps(X: np.ndarray, interpolate: bool, notes: list):
    """Count the gaps (NaN) of a series (T, F); interpolate them linearly when asked."""
    gaps = int(np.isnan(X).sum())
    if gaps and interpolate:
        idx = np.arange(len(X))
        for k in range(X.shape[1]):
            m = np.isnan(X[:, k])
            if m.any():
                X[m, k] = np.interp(idx[m], idx[~m], X[~m, k])
        notes.append(f"interpolated {gaps} gaps linearly")
    elif gaps:
        notes.append(f"{gaps} gaps kept as NaN (not interpolated): masked as targets")
    return X, gaps


def trim_padding(X: np.ndarray, src: str, at, seq) -> list:
    """Sequences from (N, T, F): trailing all-NaN steps are padding; NaN inside or Inf is refused."""
    N, T, _ = X.shape
    nan, inf = np.isnan(X), np.argwhere(np.isinf(X))
    if inf.size:
        raise DatasetError(f"{src}: {at(*inf[0])} is infinite; values must be finite", "infinite_at", src=src,
                           at=at(*inf[0]))
    rev = nan.all(-1)[:, ::-1]
    L = T - np.where(rev.all(1), T, rev.argmin(1))
    inner = np.argwhere(nan & (np.arange(T)[None, :, None] < L[:, None, None]))
    if inner.size:
        raise DatasetError(f"{src}: {at(*inner[0])} is empty or NaN; missing values are only allowed at the "
                           "end of a sequence (to make it shorter)", "missing_inside", src=src, at=at(*inner[0]))
    short = np.flatnonzero(L < 2)
    if short.size:
        raise DatasetError(f"{src}: {seq(short[0])} has {L[short[0]]} value(s); sequences need at least 2 steps",
                           "sequence_too_short", src=src, seq=seq(short[0]), n=int(L[short[0]]))
    return [X[i, :L[i]].astype(np.float32) for i in range(N)]
