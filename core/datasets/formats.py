"""NPZ archives and plain text -> ``SequenceDataset`` (the table formats live in ``core.datasets``).

NPZ: a zip of .npy arrays, ``X`` (N, T) or (N, T, F) and optional ``y`` / ``classes``; read with
``allow_pickle=False`` after the zip's declared sizes and expansion ratios are checked (zip bombs).
Text: UTF-8, for character-level language modelling. Errors are ``DatasetError``s naming the file.
"""
from __future__ import annotations

import io
import zipfile

import numpy as np

from .types import MIN_TEXT, DatasetError, Phrase, SequenceDataset, fill_gaps, mb, trim_padding

MAX_RATIO = 1000  # largest uncompressed / compressed size of one member


def check_zip(raw: bytes, src: str, max_bytes: int) -> None:
    """Refuse a zip that is not one, declares too much, expands too far or holds no .npy."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except Exception as e:  # noqa: BLE001
        raise DatasetError(f"{src} is not a valid NPZ archive (a zip of .npy arrays written by numpy.savez): "
                           f"{e}", "not_npz", src=src, detail=str(e)) from None
    total, limit = sum(i.file_size for i in infos), 4 * max_bytes
    if total > limit:
        raise DatasetError(f"{src} declares {mb(total)} uncompressed, over {mb(limit)} (4 x max_bytes); "
                           "refusing to extract it (a zip bomb?)", "zip_too_large", src=src, size=mb(total),
                           limit=mb(limit))
    for i in infos:
        if i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise DatasetError(f"{src}: {i.filename!r} expands {i.file_size / max(i.compress_size, 1):.0f}x "
                               f"(over {MAX_RATIO}x); refusing to extract a likely zip bomb", "zip_ratio",
                               src=src, member=i.filename, ratio=i.file_size / max(i.compress_size, 1),
                               limit=MAX_RATIO)
    if not any(i.filename.endswith(".npy") for i in infos):
        raise DatasetError(f"{src} is a zip archive without .npy arrays (an Excel workbook? export it as "
                           "CSV); an NPZ holds X and optional y, written by numpy.savez", "zip_no_npy", src=src)


def load_npz(raw: bytes, src: str, o: dict) -> SequenceDataset:
    """An NPZ upload: labelled sequences (X, y), or one series (X of shape (1, T, F), no y)."""
    check_zip(raw, src, o["max_bytes"])
    try:
        npz = np.load(io.BytesIO(raw), allow_pickle=False)
        keys = list(npz.files)
    except Exception as e:  # noqa: BLE001
        raise DatasetError(f"{src}: could not open the NPZ archive ({e})", "npz_open_failed", src=src,
                           detail=str(e)) from None

    def get(k):
        try:
            a = npz[k]
        except ValueError as e:
            if "pickle" in str(e).lower() or "object" in str(e).lower():
                raise DatasetError(f"{src}: array {k!r} holds Python objects (a pickle), refused for safety; "
                                   "save numeric arrays (string labels as y.astype(str))", "npz_pickle", src=src,
                                   array=k) from None
            raise DatasetError(f"{src}: could not read array {k!r} ({e})", "npz_read_failed", src=src, array=k,
                               detail=str(e)) from None
        except Exception as e:  # noqa: BLE001
            raise DatasetError(f"{src}: could not read array {k!r} ({e})", "npz_read_failed", src=src, array=k,
                               detail=str(e)) from None
        if not isinstance(a, np.ndarray):
            raise DatasetError(f"{src}: {k!r} is not a .npy array; save the arrays with numpy.savez", "npz_not_npy",
                               src=src, array=k)
        return a

    xk = next((k for k in ("X", "x") if k in keys), None)
    if xk is None:
        raise DatasetError(f"{src} has no array named 'X' (found: {keys}); save it with numpy.savez(f, X=..., y=...)",
                           "npz_no_x", src=src, found=keys)
    X = get(xk)
    if X.dtype.kind not in "biuf":
        raise DatasetError(f"{src}: X has dtype {X.dtype}; it must hold numbers (float or int)", "x_dtype", src=src,
                           dtype=str(X.dtype))
    if X.ndim not in (2, 3):
        raise DatasetError(f"{src}: X has shape {X.shape} ({X.ndim} dimensions); expected (N, T) or (N, T, F): "
                           "N sequences of T steps with F features", "x_ndim", src=src, shape=X.shape, ndim=X.ndim)
    X = X[:, :, None] if X.ndim == 2 else X
    N, T, F = X.shape
    if min(N, T, F) == 0:
        raise DatasetError(f"{src}: X has shape {X.shape}; it is empty", "x_empty", src=src, shape=X.shape)
    if F > o["max_columns"] or N > o["max_sequences"]:
        raise DatasetError(f"{src}: X has {N} sequences of {F} features, over max_sequences="
                           f"{o['max_sequences']} or max_columns={o['max_columns']}", "x_too_large", src=src, n=N,
                           features=F, max_sequences=o["max_sequences"], max_columns=o["max_columns"])
    with np.errstate(over="ignore"):
        X32 = X.astype(np.float32)
    ix = (lambda i, t, f: f"X[{i}, {t}]") if F == 1 else (lambda i, t, f: f"X[{i}, {t}, {f}]")
    channels = ["value"] if F == 1 else [f"x{k + 1}" for k in range(F)]
    yk = next((k for k in ("y", "Y", "labels") if k in keys), None)
    if yk is None:
        if N > 1:
            raise DatasetError(f"{src}: X holds {N} sequences but there is no y with their labels; add y, or "
                               "save one series as X of shape (1, T, F)", "npz_no_y", src=src, n=N)
        inf = np.argwhere(np.isinf(X32))  # one series: NaN are gaps, as in a CSV series
        if inf.size:
            raise DatasetError(f"{src}: {ix(*inf[0])} is infinite; values must be finite", "infinite_at", src=src,
                               at=ix(*inf[0]))
        if T < 2 or np.isnan(X32[0]).all(0).any():
            raise DatasetError(f"{src}: X has shape {X.shape}; a series needs at least 2 steps and a number "
                               "in every channel", "npz_series_short", src=src, shape=X.shape)
        notes = ["X without y: one series"]
        S, gaps = fill_gaps(X32[0].copy(), o["interpolate"], notes)
        return SequenceDataset("series", [S], channels=channels, gaps=gaps, notes=notes)
    seqs = trim_padding(X32, src, ix, lambda i: Phrase(f"sequence {i} (X[{i}])", "sequence_x", i=int(i)))
    y = get(yk)
    y = y.ravel() if y.ndim == 2 and 1 in y.shape else y
    if y.ndim != 1 or len(y) != N:
        raise DatasetError(f"{src}: y has shape {y.shape} but X has {N} sequences; y needs one label per "
                           "sequence, shape (N,)", "y_shape", src=src, shape=y.shape, n=N)
    if y.dtype.kind in "US":
        cv, yi = np.unique(y.astype(str), return_inverse=True)
        return SequenceDataset("labelled", seqs, yi.astype(np.int64), [str(c) for c in cv], channels)
    if y.dtype.kind not in "biuf":
        raise DatasetError(f"{src}: y has dtype {y.dtype}; labels must be integers or strings", "y_dtype", src=src,
                           dtype=str(y.dtype))
    yf = y.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(yf) | (yf != np.round(yf)))
    if bad.size:
        raise DatasetError(f"{src}: y[{bad[0]}] = {y[bad[0]]} is not a class; labels must be integers or strings",
                           "y_not_class", src=src, i=int(bad[0]), value=str(y[bad[0]]))
    cv, yi = np.unique(yf.astype(np.int64), return_inverse=True)
    classes = [str(c) for c in cv]
    if "classes" in keys:  # optional class names for integer labels 0..K-1
        names = get("classes")
        if names.ndim == 1 and cv.min() >= 0 and cv.max() < len(names):
            classes = [str(names[c]) for c in cv]
    return SequenceDataset("labelled", seqs, yi.astype(np.int64), classes, channels)


def load_text(text: str, src: str, o: dict) -> SequenceDataset:
    """Decoded text for character-level language modelling (line ends made "\\n")."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    n = len(text.strip())
    if n < MIN_TEXT:
        raise DatasetError(f"{src}: the text has {n} characters; character-level language modelling needs at "
                           f"least {MIN_TEXT}", "text_too_short", src=src, n=n, need=MIN_TEXT)
    vocab = sorted(set(text))
    if len(vocab) > o["max_columns"]:
        raise DatasetError(f"{src}: the text uses {len(vocab)} distinct characters, over the limit of "
                           f"{o['max_columns']} (max_columns)", "text_too_many_chars", src=src, n=len(vocab),
                           limit=o["max_columns"])
    return SequenceDataset("text", [], channels=vocab, text=text,
                           notes=[f"{len(text)} characters, {len(vocab)} distinct"])
