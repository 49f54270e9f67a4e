"""A loaded ``SequenceDataset`` -> a training ``Task`` (import it from ``core.datasets``).

- series: "forecast" (many-to-many, y_t = x_{t+horizon} at every step of a window) or
  "forecast_last" (many-to-one, the value ``horizon`` steps after the window). The split is
  chronological: the last ``val_fraction`` of the series is validation; standardisation is fitted
  on the training part only. Gaps (NaN) are masked as targets and set to the mean (0) as inputs.
- labelled: "classify" (many-to-one, stratified split, per-channel standardisation fitted on the
  training sequences, zero padding plus ``Batch.lengths`` for variable lengths). ``max_steps``
  average-pools long sequences by one integer factor, the same for training, validation and test.
  ``classify_split`` is the split itself (``core.baselines`` measures on the same held-out data).
- text: "next_char" (``core.tasks.char_lm`` on the text).
"""
from __future__ import annotations

import re
import warnings
from types import SimpleNamespace

import numpy as np
import torch

from .. import budget
from ..tasks import Batch, Task, char_lm, constant_baseline
from .types import DatasetError, Phrase, SequenceDataset

MODES = {"series": ("forecast", "forecast_last"), "labelled": ("classify",), "text": ("next_char",)}
VAL_CAP = 2048  # most sequences / windows in the fixed validation batch


def _err(msg: str, key: str, **params):
    """A DatasetError."""
    return DatasetError(msg, key, **params)


def _kind(kind: str):
    """A dataset kind ("series", "labelled", "text") as a translatable word."""
    return Phrase(kind, "kind." + kind)


def dataset_task(ds: SequenceDataset, *, mode: str | None = None, window: int = 50,
                 horizon: int = 1, target_channels=None, val_fraction: float = 0.2,
                 test: SequenceDataset | None = None, seed: int = 0, standardize: bool = True,
                 seq_len: int = 64, max_steps: int | None = None) -> Task:
    """Build the Task named "upload:<name>"; ``test`` (a second dataset, prepared with the
    training statistics) replaces the validation split. Bad choices raise DatasetError.

    ``max_steps`` (labelled data only; None: keep every step): when the longest training
    sequence is longer, every sequence is average-pooled by k = ceil(longest / max_steps)
    (blocks of k steps become their mean), so an RNN carries at most ~max_steps steps."""
    modes = MODES.get(ds.kind)
    if modes is None:
        raise _err(f"unknown dataset kind {ds.kind!r}; expected one of {list(MODES)}", "unknown_kind",
                   kind=ds.kind, kinds=list(MODES))
    mode = mode or modes[0]
    if mode not in modes:
        raise _err(f"mode {mode!r} does not fit a {ds.kind} dataset; choose one of {modes}", "mode_mismatch",
                   mode=mode, kind=_kind(ds.kind), modes=modes)
    if not 0 <= val_fraction < 1:
        raise _err(f"val_fraction must be in [0, 1), got {val_fraction}", "val_fraction", value=val_fraction)
    if test is not None and test.kind != ds.kind:
        raise _err(f"the test data {test.name!r} is {test.kind}, the training data {ds.kind}", "test_kind",
                   name=test.name, test_kind=_kind(test.kind) if test.kind in MODES else test.kind,
                   kind=_kind(ds.kind))
    params = dict(dataset=ds.name, format=ds.format, mode=mode, val_fraction=float(val_fraction),
                  seed=int(seed), standardize=bool(standardize),
                  test=None if test is None else test.name)
    _check_budget(ds, int(window), int(seq_len), test)
    if ds.kind == "text":
        try:
            task = char_lm(int(seq_len), text=ds.text, name=f"upload:{ds.name}")
        except ValueError as e:
            m = re.fullmatch(r"the text has (\d+) characters; at least (\d+) are needed", str(e))
            if m:  # char_lm's one message, told in parts so that it can be translated
                raise _err(f"{ds.name}: {e}", "text_shorter_than_window", name=ds.name, n=int(m[1]),
                           need=int(m[2])) from None
            raise _err(f"{ds.name}: {e}", "text_task", name=ds.name, detail=str(e)) from None
        task.title = f"Next character: {ds.name}"
        task.description = (f"Predict the next character of {ds.name} ({len(ds.text)} characters, "
                            f"{len(task.vocab)} distinct).")
        task.params = {**params, "seq_len": int(seq_len)}
        return task
    if test is not None and test.sequences[0].shape[1] != ds.sequences[0].shape[1]:
        raise _err(f"the test data {test.name!r} has {test.sequences[0].shape[1]} channels, the "
                   f"training data {ds.sequences[0].shape[1]}", "test_channels", name=test.name,
                   n=test.sequences[0].shape[1], train=ds.sequences[0].shape[1])
    if ds.kind == "series":
        return _forecast(ds, mode, int(window), int(horizon), target_channels, val_fraction, test,
                         standardize, params)
    if max_steps is not None and int(max_steps) < 1:
        raise _err(f"max_steps must be at least 1, got {max_steps}", "max_steps", value=max_steps)
    return _classify(ds, val_fraction, test, seed, standardize, params, max_steps)


def _check_budget(ds, window: int, seq_len: int, test) -> None:
    """Refuse (``BudgetError``) a preparation whose arrays would not fit the server's budget,
    before any of them is allocated."""
    limit = budget.machine_budget().job_bytes
    if ds.kind == "text":  # int64 codes (and the uint32 code points they come from)
        budget.check_data(12 * len(ds.text or ""), limit, name=ds.name, key="data_text")
        return
    steps = sum(len(q) for q in ds.sequences) + (0 if test is None else sum(len(q) for q in test.sequences))
    F = ds.sequences[0].shape[1]
    if ds.kind == "series":  # float64 working copy, float32 inputs and targets
        budget.check_data(steps * F * 16, limit, name=ds.name, key="data_series")
    else:  # standardised float32 copies (the originals are the upload's)
        budget.check_data(steps * F * 4, limit, name=ds.name, key="data_labelled")


def _stats(rows: np.ndarray, standardize: bool):
    F = rows.shape[1]
    if not standardize:
        return np.zeros(F), np.ones(F)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN channel gives NaN: handled below
        mean, std = np.nanmean(rows, 0), np.nanstd(rows, 0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-8), std, 1.0)
    return mean, std


def _targets(ds, spec) -> list[int]:
    if spec is None:
        return list(range(len(ds.channels)))
    out = []
    for c in [spec] if isinstance(spec, (str, int)) else spec:
        if isinstance(c, (int, np.integer)) and 0 <= c < len(ds.channels):
            out.append(int(c))
        elif c in ds.channels:
            out.append(ds.channels.index(c))
        else:
            raise _err(f"unknown target channel {c!r}; the channels are {ds.channels}", "unknown_target",
                       channel=c, channels=ds.channels)
    if not out:
        raise _err("target_channels is empty; pick at least one channel to forecast", "no_targets")
    return out


def _forecast(ds, mode, W, h, target_channels, val_fraction, test, standardize, params) -> Task:
    if W < 1 or h < 1:
        raise _err(f"window ({W}) and horizon ({h}) must be at least 1", "window_horizon", window=W, horizon=h)
    d = ds.sequences[0].astype(np.float64)
    T, F = d.shape
    tc = _targets(ds, target_channels)
    split = T if test is not None else T - int(np.floor(val_fraction * T + 0.5))
    if split < W + h:
        raise _err(f"{ds.name}: the training part has {split} of {T} steps but a window of {W} plus "
                   f"a horizon of {h} needs {W + h}; use a window of at most {max(1, split - h)}"
                   + ("" if test is not None else " or a smaller val_fraction"),
                   "window_too_long" if test is not None else "window_too_long_val", name=ds.name, split=split,
                   steps=T, window=W, horizon=h, need=W + h, most=max(1, split - h))
    mean, std = _stats(d[:split], standardize)

    def prep(a):
        z = (a - mean) / std
        nan = np.isnan(z)
        return (torch.tensor(np.where(nan, 0.0, z), dtype=torch.float32),
                torch.tensor(z[:, tc], dtype=torch.float32), int(nan.sum()))

    X, Y, gaps = prep(d)
    last = mode == "forecast_last"
    steps = torch.arange(W)
    n_starts = split - W - h + 1

    def windows(Xs, Ys, s):
        idx = s[:, None] + steps
        return Batch(Xs[idx], Ys[s + W - 1 + h] if last else Ys[idx + h])

    def sampler(B, gen):
        return windows(X, Y, (torch.rand(B, generator=gen) * n_starts).long())

    if test is not None:
        Xv, Yv, _ = prep(test.sequences[0].astype(np.float64))
        lo = 0
    else:
        Xv, Yv, lo = X, Y, split
    Tv, first = len(Xv), max(lo, W + h - 1)  # targets from index lo on are validation targets
    ends = np.arange(first, Tv) if last else np.arange(Tv - 1, first - 1, -W)[::-1]
    if test is not None and len(ends) == 0:
        raise _err(f"the test series {test.name!r} has {Tv} steps, fewer than window + horizon = {W + h}",
                   "test_too_short", name=test.name, steps=Tv, need=W + h)
    cap = budget.batch_cap(budget.machine_budget().val_bytes, W, F, len(tc), not last, most=VAL_CAP)
    if len(ends) > cap:  # evenly spread over the held-out part, and within the byte budget
        ends = ends[np.linspace(0, len(ends) - 1, cap).round().astype(int)]
    val = None
    if len(ends):
        s = torch.as_tensor(ends - W - h + 1, dtype=torch.long)
        val = windows(Xv, Yv, s)
        if not last and lo > 0:  # steps whose target lies in the training part do not count
            y = val.y.clone()
            y[(s[:, None] + steps + h) < lo] = float("nan")
            val = Batch(val.x, y)
    names = [ds.channels[k] for k in tc]
    params.update(window=W, horizon=h, target_channels=names, mean=mean.tolist(), std=std.tolist(),
                  split=int(split), n_train_windows=int(n_starts), n_val_windows=int(len(ends)),
                  input_gaps=gaps)
    what = ", ".join(names)
    desc = (f"From {W} steps of {ds.name}, predict {what} {h} step(s) ahead "
            + ("after the window." if last else "at every step."))
    if gaps:
        desc += f" {gaps} missing input values were set to the mean; missing targets are skipped."
    return Task(f"upload:{ds.name}", "many-to-one" if last else "many-to-many", F, len(tc), "mse",
                sampler, W, "last" if last else "per_step", f"Forecast {what}: {ds.name}", desc,
                params=params, channel_names=list(ds.channels), validation=val,
                nan_targets=True, max_batch=cap)  # gaps and the validation split's masked targets are NaN


def _stratified(y: np.ndarray, val_fraction: float, rng):
    tr, va = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n = len(idx)
        k = int(np.floor(val_fraction * n + 0.5))
        k = min(max(k, 1), n - 1) if val_fraction > 0 and n >= 2 else 0
        va.append(idx[:k])
        tr.append(idx[k:])
    return rng.permutation(np.concatenate(tr)), rng.permutation(np.concatenate(va))


def _standardised(seqs, mean, std, cap: int) -> list:
    """float32 tensors (T_i, F), standardised, each cut to at most ``cap`` steps (nothing padded)."""
    return [torch.from_numpy(((s[:cap] - mean) / std).astype(np.float32)) for s in seqs]


def _pad(seqs: list) -> tuple:
    """(X (N, longest, F) zero-padded, lengths (N,)) for a batch of tensors (T_i, F)."""
    L = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    return torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True), L


def length_cap(lengths: np.ndarray, most: int) -> int:
    """The longest sequence a labelled task keeps: ``most`` (the server's limit), and at most 4x
    the 99th percentile of the lengths (at least 64), so one outlier (a sequence of 400,000 steps
    among 90,000 of two) cannot make every batch that long. Longer sequences are cut."""
    return int(min(most, max(64, 4 * np.percentile(lengths, 99))))


def classify_split(ds: SequenceDataset, test: SequenceDataset | None = None, val_fraction: float = 0.2,
                   seed: int = 0):
    """The classification split of ``dataset_task`` (checks included: labels, two classes, test classes).

    Returns:
        (train indices into ``ds.sequences`` (shuffled), held-out sequences (the test data's, or
        the stratified validation part), their labels as indices into ``ds.classes`` (N_v,)).
    """
    if ds.labels is None or not ds.classes:
        raise _err(f"{ds.name} has no labels; classification needs a label per sequence", "no_labels",
                   name=ds.name)
    y = np.asarray(ds.labels, dtype=np.int64)
    present = np.unique(y)
    if len(present) < 2:
        raise _err(f"{ds.name}: classification needs at least 2 classes, but every sequence has the "
                   f"label {ds.classes[present[0]]!r}", "one_class", name=ds.name, label=ds.classes[present[0]])
    rng = np.random.default_rng(seed)
    if test is not None:
        if test.labels is None:
            raise _err(f"the test data {test.name!r} has no labels", "test_no_labels", name=test.name)
        index = {c: i for i, c in enumerate(ds.classes)}
        for c in np.unique(test.labels):
            if test.classes[c] not in index:
                raise _err(f"class {test.classes[c]!r} of the test data {test.name!r} is not among "
                           f"the training classes {ds.classes}", "test_class", label=test.classes[c],
                           name=test.name, classes=ds.classes)
        tr = rng.permutation(len(y))
        vy = np.array([index.get(c, -1) for c in test.classes], dtype=np.int64)[test.labels]
        return tr, list(test.sequences), vy
    tr, va = _stratified(y, val_fraction, rng)
    return tr, [ds.sequences[i] for i in va], y[va]


def pool_factor(lengths, max_steps: int | None) -> int:
    """The smallest k with ceil(max(lengths) / k) <= max_steps (1: no pooling)."""
    longest = int(np.max(lengths))
    return 1 if max_steps is None or longest <= max_steps else -(-longest // int(max_steps))


def avg_pool(seq: np.ndarray, k: int) -> np.ndarray:
    """(T, F) -> (ceil(T / k), F): the mean of each block of k steps (the last block may be
    shorter; missing values are skipped, an all-missing block stays NaN)."""
    if k <= 1:
        return seq
    T, F = seq.shape
    n = -(-T // k)
    pad = np.full((n * k, F), np.nan, dtype=np.float64)
    pad[:T] = seq
    blocks = pad.reshape(n, k, F)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN block
        return np.nanmean(blocks, axis=1).astype(np.float32)


def _classify(ds, val_fraction, test, seed, standardize, params, max_steps=None) -> Task:
    tr, vseqs, vy = classify_split(ds, test, val_fraction, seed)
    y = np.asarray(ds.labels, dtype=np.int64)
    k = pool_factor([len(ds.sequences[i]) for i in tr], max_steps)
    if k > 1:
        vseqs = [avg_pool(s, k) for s in vseqs]
    trs = [avg_pool(ds.sequences[i], k) for i in tr]
    mean, std = _stats(np.concatenate(trs).astype(np.float64), standardize)
    limits = budget.machine_budget()
    cap = length_cap(np.array([len(q) for q in trs]), limits.max_steps)
    cut = sum(len(q) > cap for q in trs) + sum(len(q) > cap for q in vseqs)
    Str = _standardised(trs, mean, std, cap)  # padded per batch, never all to the longest
    Ltr = torch.tensor([len(q) for q in Str], dtype=torch.long)
    Ytr = torch.as_tensor(y[tr])
    variable = bool((Ltr != Ltr[0]).any())

    def sampler(B, gen):
        i = torch.randint(len(Str), (B,), generator=gen)
        X, L = _pad([Str[k] for k in i.tolist()])
        return Batch(X, Ytr[i], L if variable else None)

    val, T = None, int(Ltr.max())
    n_val = 0
    if len(vseqs):
        longest = min(cap, max(len(q) for q in vseqs))
        n_val = budget.batch_cap(limits.val_bytes, longest, ds.sequences[0].shape[1], len(ds.classes), False,
                                 most=VAL_CAP)
        Xv, Lv = _pad(_standardised(vseqs[:n_val], mean, std, cap))
        val = Batch(Xv, torch.as_tensor(vy[:n_val]), Lv if bool((Lv != Lv[0]).any()) else None)
        T = max(T, int(Lv.max()))
    K = len(ds.classes)
    base = constant_baseline(SimpleNamespace(loss_kind="cross_entropy", output_size=K), Ytr)
    params.update(mean=mean.tolist(), std=std.tolist(), n_train=len(trs), n_val=len(vseqs),
                  n_val_used=min(len(vseqs), n_val), min_length=int(Ltr.min()), max_length=T,
                  truncated=int(cut), truncated_to=int(cap) if cut else None,
                  max_steps=None if max_steps is None else int(max_steps), pool=k)
    F = ds.sequences[0].shape[1]
    desc = (f"Classify each sequence of {ds.name} into one of {K} classes "
            f"({len(trs)} training, {len(vseqs)} validation sequences"
            + (f", lengths {int(Ltr.min())} to {T})." if variable else f", length {T}).")
            + (f" {cut} sequence(s) longer than {cap} steps were cut to {cap}." if cut else ""))
    return Task(f"upload:{ds.name}", "many-to-one", F, K, "cross_entropy", sampler, T, "last",
                f"Classify: {ds.name}", desc, params=params, vocab=list(ds.classes),
                channel_names=list(ds.channels), baseline_loss=base[0], baseline_metric=base[1],
                validation=val)
