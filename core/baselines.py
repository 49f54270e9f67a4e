"""Reference scores that need no training, measured on the SAME held-out data as the task.

A model is only interesting if it beats these:

- labelled data (metric "accuracy"): ``constant`` (always the majority class of the training part)
  and ``1nn_euclidean`` (1-nearest-neighbour, Euclidean distance: the UCR/UEA archive's own
  reference). 1-NN runs on the sequences AS GIVEN (no standardisation, no pooling), as the archive
  reports it (GunPoint: 0.913). Multivariate sequences are compared over all channels (the
  archive's ED_I: the sum of squared differences over steps and channels). Sequences of unequal
  length are linearly resampled, channel by channel, to the longest training length; missing
  values are filled by linear interpolation within their channel (0 for an all-missing channel).
- series (metric "mse", in the task's standardised units, over the held-out targets): ``constant``
  (the training part's mean), ``persistence`` (the last known value: y_hat[t + h] = y[t]) and
  ``seasonal_naive`` (y_hat[t + h] = y[t + h - m * ceil(h / m)], m the period given or detected
  from the training part's autocorrelation; left out when none is found).

``dataset_baselines(ds, test, **task_options)`` takes ``dataset_task``'s own options and its
split (``classify_split``, or the task's recorded split for series), so the numbers belong to the
run's held-out data; cache it by the data and those options (it does not depend on the model).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import budget
from .datasets.task import classify_split, dataset_task, length_cap

CHUNK_BYTES = 32 * 2**20  # the distance block of 1-NN is at most this large (float64)
NN_PAIRS = 4 * 10**8  # most (training x held-out) distances 1-NN computes (~1 s): beyond, the
#                       held-out sequences are scored on an evenly spread subset (noted)


@dataclass(frozen=True)
class Baselines:
    """Baseline scores for one dataset and split."""

    metric: str  # "accuracy" (higher is better) or "mse" (lower is better), the task's metric
    values: dict  # name -> score, in display order: "constant" first
    held_out: str  # "test" (the test data) or "validation" (the split carved from the training data)
    n_held_out: int  # held-out sequences (classification) or target values (series) scored
    notes: dict = field(default_factory=dict)  # how they were measured (length, period, ...)

    def as_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return {"metric": self.metric, "values": dict(self.values), "held_out": self.held_out,
                "n_held_out": self.n_held_out, "notes": dict(self.notes)}


# ---- classification ------------------------------------------------------------------------------

def _fill_gaps(seq: np.ndarray) -> np.ndarray:
    """(T, F) float64 with NaN replaced by linear interpolation within each channel."""
    if not np.isnan(seq).any():
        return seq
    out = seq.copy()
    t = np.arange(len(seq))
    for k in range(seq.shape[1]):
        bad = np.isnan(seq[:, k])
        out[bad, k] = np.interp(t[bad], t[~bad], seq[~bad, k]) if (~bad).any() else 0.0
    return out


def resample(seq: np.ndarray, length: int) -> np.ndarray:
    """(T, F) -> (length, F), linear interpolation over the same start and end, per channel."""
    T = len(seq)
    if T == length:
        return seq
    if T == 1:
        return np.repeat(seq, length, axis=0)
    pos = np.linspace(0.0, T - 1, length)
    return np.stack([np.interp(pos, np.arange(T), seq[:, k]) for k in range(seq.shape[1])], axis=1)


def as_matrix(seqs, length: int) -> np.ndarray:
    """Sequences (T_i, F) or (T_i,) -> (N, length * F) float64 rows (gaps filled, resampled if needed)."""
    return np.stack([resample(_fill_gaps(np.asarray(s, np.float64).reshape(len(s), -1)), length).reshape(-1)
                     for s in seqs])


def nearest_neighbour(train_nd: np.ndarray, query_md: np.ndarray, chunk_bytes: int = CHUNK_BYTES) -> np.ndarray:
    """Index (M,) of each query row's nearest training row (squared Euclidean distance; ties: the
    first). Chunked over queries: ||q - a||^2 = ||q||^2 + ||a||^2 - 2 q.a, in float64, where the
    ||q||^2 term is left out (it does not change the argmin); memory is O(chunk x N)."""
    a = np.ascontiguousarray(train_nd, dtype=np.float64)
    q = np.ascontiguousarray(query_md, dtype=np.float64)
    a2 = np.einsum("nd,nd->n", a, a)
    rows = max(1, chunk_bytes // (8 * max(1, len(a))))
    out = np.empty(len(q), dtype=np.int64)
    for i in range(0, len(q), rows):
        d = a2[None, :] - 2.0 * (q[i:i + rows] @ a.T)
        out[i:i + rows] = np.argmin(d, axis=1)
    return out


def classification_baselines(train_seqs, train_y, test_seqs, test_y, held_out: str = "test") -> Baselines:
    """Constant (training majority class) and 1-NN-ED accuracy on (test_seqs, test_y).

    Args:
        train_seqs / test_seqs: lists of (T_i, F) arrays, as given (raw values).
        train_y / test_y: (N,) and (M,) int class indices in one numbering.
    """
    train_y, test_y = np.asarray(train_y, np.int64), np.asarray(test_y, np.int64)
    if len(test_y) == 0:
        return Baselines("accuracy", {}, held_out, 0)
    majority = int(np.bincount(train_y).argmax())
    train_len = np.array([len(s) for s in train_seqs])
    lengths = set(train_len.tolist()) | {len(s) for s in test_seqs}
    limits = budget.machine_budget()
    n, m = len(train_seqs), len(test_seqs)
    scored = np.arange(m) if n * m <= NN_PAIRS else np.linspace(0, m - 1, max(1, NN_PAIRS // n)).round().astype(int)
    F = int(np.asarray(train_seqs[0]).reshape(len(train_seqs[0]), -1).shape[1])
    L = int(min(train_len.max(), length_cap(train_len, limits.max_steps)))
    L = max(1, min(L, limits.page_bytes // 4 // (8 * F * (n + len(scored)))))
    nn = nearest_neighbour(as_matrix(train_seqs, L), as_matrix([test_seqs[i] for i in scored], L))
    values = {"constant": float(np.mean(test_y == majority)),
              "1nn_euclidean": float(np.mean(train_y[nn] == test_y[scored]))}
    return Baselines("accuracy", values, held_out, len(test_y),
                     {"length": L, "resampled": bool(len(lengths) > 1 or L < train_len.max()), "majority_class": majority,
                      "scored": int(len(scored))})


# ---- series ----------------------------------------------------------------------------------------

def detect_period(x: np.ndarray, max_period: int | None = None, min_acf: float = 0.3) -> int | None:
    """The season of ``x`` (T,) or (T, C) from its autocorrelation: the lag >= 2 of the highest
    local maximum that rises at least 0.1 above the lowest value before it and reaches ``min_acf``
    (averaged over channels). None when there is no such peak (trend, noise, random walk)."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    T = len(x)
    max_period = min(T // 2, max_period or T // 2)
    if max_period < 3:
        return None
    z = np.nan_to_num(x - np.nanmean(x, 0))
    n = 1 << int(np.ceil(np.log2(2 * T)))
    spec = np.fft.rfft(z, n, axis=0)
    acf = np.fft.irfft(spec * np.conj(spec), n, axis=0)[:max_period + 2]
    var = acf[0]
    ok = var > 1e-12
    if not ok.any():
        return None
    acf = (acf[:, ok] / var[ok]).mean(1)
    best, best_v = None, min_acf
    low = acf[1]
    for k in range(2, max_period + 1):
        low = min(low, acf[k - 1])
        if acf[k] > acf[k - 1] and acf[k] >= acf[k + 1] and acf[k] - low >= 0.1 and acf[k] > best_v:
            best, best_v = k, acf[k]
    return best


def forecast_baselines(y_tc: np.ndarray, targets: np.ndarray, horizon: int, constant,
                       period: int | None = None, held_out: str = "validation") -> Baselines:
    """MSE of the naive forecasts of ``y_tc[targets]``.

    Args:
        y_tc: (T, C) the series' target channels in the task's units (NaN: missing).
        targets: (n,) indices t + h of the held-out targets; values before them are history.
        horizon: h, steps between the last known value and the target.
        constant: (C,) the constant forecast (the training part's mean, in the same units).
        period: the season m (None: no seasonal-naive). Where t + h - m * ceil(h / m) falls
            before the start of the series, the persistence forecast stands in.
    """
    y = np.asarray(y_tc, np.float64).reshape(len(y_tc), -1)
    targets = np.asarray(targets, np.int64)
    const = np.broadcast_to(np.asarray(constant, np.float64), y.shape[1:])
    truth = y[targets]
    valid = ~np.isnan(truth)

    def mse(pred):
        pred = np.where(np.isnan(pred), const, pred)  # a missing input is read as the mean
        return float(((pred - np.nan_to_num(truth)) ** 2)[valid].mean()) if valid.any() else float("nan")

    persistence = y[targets - horizon]
    values = {"constant": mse(np.broadcast_to(const, truth.shape)), "persistence": mse(persistence)}
    if period:
        back = targets - period * -(-horizon // period)
        seasonal = np.where((back >= 0)[:, None], y[np.maximum(back, 0)], persistence)
        values["seasonal_naive"] = mse(seasonal)
    return Baselines("mse", values, held_out, int(valid.sum()), {"period": period, "horizon": horizon})


# ---- a dataset, with the task's options ----------------------------------------------------------

def dataset_baselines(ds, test=None, *, period: int | None = None, **task_options) -> Baselines:
    """Baselines of ``dataset_task(ds, test=test, **task_options)`` on its held-out data.

    Args:
        ds, test: ``SequenceDataset``s, as given to ``dataset_task``.
        period: series only: the season for ``seasonal_naive`` (None: detected from the training part).
        task_options: ``dataset_task``'s keyword options (mode, window, horizon, target_channels,
            val_fraction, seed, standardize, ...); those that do not change the split or the
            units (max_steps, seq_len) are accepted and ignored.

    Raises:
        DatasetError: as ``dataset_task`` does for the same options.
    """
    held = "test" if test is not None else "validation"
    if ds.kind == "labelled":
        tr, vseqs, vy = classify_split(ds, test, task_options.get("val_fraction", 0.2),
                                       task_options.get("seed", 0))
        y = np.asarray(ds.labels, np.int64)
        return classification_baselines([ds.sequences[i] for i in tr], y[tr], vseqs, vy, held)
    if ds.kind == "text":
        codes = np.frombuffer((ds.text or "").encode("utf-32-le"), dtype=np.uint32)
        _, counts = np.unique(codes, return_counts=True)
        share = float(counts.max() / counts.sum()) if len(counts) else float("nan")
        return Baselines("accuracy", {"constant": share}, "text", int(len(codes)))
    task = dataset_task(ds, test=test, **task_options)  # the split, statistics and targets, once
    p = task.params
    tc = [ds.channels.index(c) for c in p["target_channels"]]
    mean, std = np.asarray(p["mean"])[tc], np.asarray(p["std"])[tc]
    train = (ds.sequences[0][:p["split"], tc].astype(np.float64) - mean) / std
    with np.errstate(all="ignore"):
        const = np.nan_to_num(np.nanmean(train, 0))
    W, h = p["window"], p["horizon"]
    if period is None:
        period = detect_period(train)
    series = ds.sequences[0] if test is None else test.sequences[0]
    y = (series[:, tc].astype(np.float64) - mean) / std
    lo = 0 if test is not None else p["split"]
    first = max(lo, W + h - 1 if p["mode"] == "forecast_last" else h)
    b = forecast_baselines(y, np.arange(first, len(y)), h, const, period, held)
    return Baselines(b.metric, b.values, held, b.n_held_out, {**b.notes, "window": W})
