"""Logic of the Data page, without Streamlit calls: read an upload with the chosen options,
summarise and preview it, prepare its task (split, standardisation, windows), evaluate a model on
a declared test file, and move models, run settings and histories in and out of the app.

A loaded dataset lives in ``st.session_state[state.DATASETS][name]`` as an *entry*, a dict:
``{"dataset": SequenceDataset, "options": dataset_task keyword arguments (incl. "test"),
"test": SequenceDataset or None, "summary": ds.summary()}``. ``explorer.runs.build_task`` reads
"dataset" and "options", so every lab can train on it as the task "upload:<name>".
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch

from core import MODEL_KINDS, NONLINEARITIES, OPTIMIZERS, TASKS, Trainer
from core.datasets.task import MODES
from core.datasets import DatasetError, SequenceDataset, dataset_task, load_dataset
from core import budget
from core.budget import BudgetError
from core.export import ExportError, history_csv, import_model, read_settings, settings_json, typed_fields

from . import state
from .figures import data as FD
from .i18n import text
from .jobs import TrainingJob
from .runs import (BATCH_CHOICES, CLIP_RANGE, HIDDEN_CHOICES, LAYERS_RANGE, LR_CHOICES, PROBE_RANGE, SEED_RANGE,
                   SEQ_LEN_RANGE, STEPS_RANGE, UPLOAD_PREFIX, RunSettings, build_task, import_limits)

DELIMITERS = {"auto": None, ",": ",", ";": ";", "tab": "\t", "whitespace": "whitespace"}
HEADERS = {"auto": None, "yes": True, "no": False}  # option labels: data.header_opt.<key> in the catalogue
PREVIEW_ROWS = 200  # rows of the preview table
PREVIEW_CHANNELS = 16  # channels drawn in a series preview (1,000 traces made a 13 MB figure)
TABLE_STEPS = 10  # values of channel 1 shown per labelled sequence in the table
# RunSettings field -> the Training lab's session key
LAB_KEYS = {"task": state.LAB_TASK, "seq_len": state.LAB_SEQ_LEN, "kind": state.LAB_KIND,
            "hidden": state.LAB_HIDDEN, "layers": state.LAB_LAYERS, "activation": state.LAB_ACT,
            "bidirectional": state.LAB_BIDIR, "lr": state.LAB_LR, "batch_size": state.LAB_BATCH,
            "optimizer": state.LAB_OPT, "clip": state.LAB_CLIP, "seed": state.LAB_SEED,
            "steps": state.LAB_STEPS, "probe_every": state.LAB_PROBE}


# ---- reading ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadOptions:
    """How to read an upload (the page's parsing controls)."""

    format: str = "auto"  # "auto" or one of core.datasets.FORMATS
    delimiter: str = "auto"  # a key of DELIMITERS
    header: str = "auto"  # a key of HEADERS
    feature_columns: str = ""  # names or 0-based indices, comma-separated; "" = all
    label_column: str = ""  # name or 0-based index; "" = the format's default
    time_column: str = "auto"  # "auto", "none" or a column name
    interpolate: bool = False  # fill gaps of a series linearly

    def load_kwargs(self) -> tuple[str | None, dict]:
        """(format or None, load_dataset options)."""
        kw = dict(delimiter=DELIMITERS.get(self.delimiter, self.delimiter), header=HEADERS[self.header],
                  interpolate=bool(self.interpolate))
        cols = parse_columns(self.feature_columns)
        if cols:
            kw["feature_columns"] = cols
        lab = parse_columns(self.label_column)
        if lab:
            kw["label_column"] = lab[0]
        t = self.time_column.strip()
        if t.lower() == "none":
            kw["time_column"] = False
        elif t and t.lower() != "auto":
            kw["time_column"] = parse_columns(t)[0]
        return (None if self.format == "auto" else self.format), kw


def parse_columns(text: str) -> list:
    """"a, b, 3" -> ["a", "b", 3]: names, or 0-based column indices."""
    out = []
    for part in (text or "").split(","):
        p = part.strip()
        if p:
            out.append(int(p) if p.isdigit() else p)
    return out


def read_upload(data: bytes, filename: str | None, opts: LoadOptions) -> SequenceDataset:
    """The dataset in ``data``; raises DatasetError with a message for the page."""
    fmt, kw = opts.load_kwargs()
    return load_dataset(data, filename, fmt, **kw)


def cached_read(cache: dict, slot: str, signature: tuple, read) -> tuple:
    """(dataset or None, DatasetError or None, fresh): ``read()`` runs only when ``signature`` (the
    file and the options) differs from the one stored under ``slot`` of ``cache``. The error is kept
    as the exception, so the page can show it in the language of each rerun (``error_text``)."""
    prev = cache.get(slot)
    if prev is not None and prev[0] == signature:
        return prev[1], prev[2], False
    try:
        ds, err = read(), None
    except DatasetError as e:
        ds, err = None, e
    cache[slot] = (signature, ds, err)
    return ds, err, True


def add_dataset(datasets: dict, ds: SequenceDataset) -> str:
    """Register ``ds`` (replacing a dataset of the same name, keeping its test file); returns its name."""
    old = datasets.get(ds.name) if isinstance(datasets.get(ds.name), dict) else {}
    datasets[ds.name] = {"dataset": ds, "options": {}, "test": old.get("test"), "summary": ds.summary()}
    return ds.name


class TestLayoutError(DatasetError):
    """A test file whose kind of data differs from the training file's (text: data.msg.test_layout)."""

    def __init__(self, message: str, names: tuple, kinds: tuple):
        super().__init__(message)
        self.names = names  # (test, training) file names as shown
        self.kinds = kinds  # (test, training) kinds of data

    @classmethod
    def of(cls, test: SequenceDataset, train: SequenceDataset) -> "TestLayoutError":
        return cls(f"the test file {test.name!r} is {test.kind} data, the training file {train.name!r} "
                   f"{train.kind}; a test file must have the same layout",
                   (repr(test.name), repr(train.name)), (test.kind, train.kind))

    def __reduce__(self):  # copies and pickles keep the names and kinds
        return type(self), (self.args[0], self.names, self.kinds)


def attach_test(entry: dict, test: SequenceDataset) -> None:
    """Declare ``test`` the held-out test set of ``entry``; DatasetError when it cannot be one."""
    ds = entry["dataset"]
    if test.kind != ds.kind:
        raise TestLayoutError.of(test, ds)
    entry["test"] = test


# ---- preparation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PrepOptions:
    """How a dataset becomes a task (the page's preparation controls)."""

    mode: str = "auto"  # "auto" or a mode of core.datasets.task.MODES
    window: int = 50  # window length (series) / sequence length (text)
    horizon: int = 1  # steps ahead (series)
    targets: tuple = ()  # channels to forecast; () = all
    val_fraction: float = 0.2  # share held out (ignored with a test file)
    standardize: bool = True  # per-channel, fitted on the training split
    seed: int = 0  # split seed
    max_steps: int = 0  # labelled: average-pool sequences to at most this many steps (0 = keep every step)

    def task_kwargs(self, ds: SequenceDataset, test: SequenceDataset | None = None) -> dict:
        kw = dict(mode=None if self.mode == "auto" else self.mode, val_fraction=float(self.val_fraction),
                  standardize=bool(self.standardize), seed=int(self.seed), test=test)
        if ds.kind == "series":
            kw.update(window=int(self.window), horizon=int(self.horizon),
                      target_channels=list(self.targets) or None)
        elif ds.kind == "text":
            kw.update(seq_len=int(self.window))
        elif self.max_steps > 0:
            kw.update(max_steps=int(self.max_steps))
        return kw


def prep_options(get) -> PrepOptions:
    """The Data page's preparation controls from session values (``get(key)``)."""
    return PrepOptions(get(state.DATA_MODE), int(get(state.DATA_WINDOW)), int(get(state.DATA_HORIZON)),
                       tuple(get(state.DATA_TARGETS)), float(get(state.DATA_VAL)), bool(get(state.DATA_STD)),
                       int(get(state.DATA_SEED)), int(get(state.DATA_MAX_STEPS)))


def mode_choices(kind: str) -> list[str]:
    return ["auto", *MODES.get(kind, ())]


def prepare(entry: dict, prep: PrepOptions):
    """The task of ``entry`` with ``prep`` (cached on the entry); stores the options the labs use.
    Raises DatasetError for choices that do not fit the data."""
    kw = prep.task_kwargs(entry["dataset"], entry.get("test"))
    key = (prep, id(entry.get("test")))
    if entry.get("_task_key") != key:
        entry["_task"] = dataset_task(entry["dataset"], **kw)
        entry["_task_key"] = key
        entry["options"] = kw
    return entry["_task"]


def task_title(task, lang: str = "en") -> str:
    """The uploaded task's one-line title (core's ``task.title``) in ``lang``."""
    p = task.params or {}
    mode, name = p.get("mode"), p.get("dataset", "")
    if mode in ("forecast", "forecast_last"):
        return text("data.prep.title_forecast", lang, what=", ".join(p.get("target_channels", [])), name=name)
    if mode in ("classify", "next_char"):
        return text(f"data.prep.title_{mode}", lang, name=name)
    return task.title


def preparation_rows(task, ds: SequenceDataset, lang: str = "en") -> list[tuple[str, str]]:
    """What the preparation did, with its counts, as (what, value) rows in ``lang``."""
    p = task.params
    test = p.get("test")

    def tx(key, **values):
        return text(f"data.prep.{key}", lang, **values)

    io = text(f"data.io.{task.io.replace('-', '_')}", lang)
    rows = [(tx("task"), tx("task_value", title=task_title(task, lang), io=io,
                            loss=text(f"data.loss.{task.loss_kind}", lang)))]
    if ds.kind == "series":
        rows += [(tx("training_steps"), tx("training_steps_value", split=f"{p['split']:,}",
                                           windows=f"{p['n_train_windows']:,}")),
                 (tx("validation"), tx("val_test", name=repr(test)) if test else
                  tx("val_last", pct=f"{p['val_fraction']:.0%}")),
                 (tx("val_windows"), f"{p['n_val_windows']:,}"),
                 (tx("window_horizon"), tx("window_horizon_value", window=p["window"], horizon=p["horizon"])),
                 (tx("forecast_channels"), ", ".join(p["target_channels"]))]
        if ds.gaps:
            done = any(n.startswith("interpolated") for n in ds.notes)
            rows.append((tx("gaps"), tx("gaps_interpolated" if done else "gaps_kept", n=f"{ds.gaps:,}")))
    elif ds.kind == "labelled":
        n_val = f"{p['n_val']:,}"
        rows += [(tx("training_sequences"), f"{p['n_train']:,}"),
                 (tx("val_sequences"), tx("val_seq_test", n=n_val, name=repr(test)) if test else
                  tx("val_seq_stratified", n=n_val, pct=f"{p['val_fraction']:.0%}")),
                 (tx("lengths"), f"{p['min_length']}" if p["min_length"] == p["max_length"] else
                  tx("lengths_range", lo=p["min_length"], hi=p["max_length"]))]
        if p.get("truncated"):  # length outliers cut so one sequence cannot make every batch that long
            rows.append((tx("truncated"), tx("truncated_value", n=f"{p['truncated']:,}", cap=p["truncated_to"])))
        if p.get("pool", 1) > 1:
            rows.append((tx("pooling"), tx("pooling_value", k=p["pool"], steps=p["max_length"])))
    else:
        rows += [(tx("characters"), tx("characters_value", n=f"{len(ds.text):,}", k=len(task.vocab))),
                 (tx("seq_length"), f"{task.seq_len}")]
    if "mean" in p:
        rows.append((tx("standardisation"), tx("std_on" if p["standardize"] else "std_off")))
    rows.append((tx("baseline"), tx("baseline_value", loss=f"{task.baseline_loss:.4g}",
                                    metric=text(f"data.metric.{task.metric}", lang),
                                    value=f"{task.baseline_metric:.4g}")))
    return rows


def scaling_frame(task, ds: SequenceDataset, lang: str = "en") -> pd.DataFrame | None:
    """Per-channel mean and standard deviation fitted on the training split (headers in ``lang``)."""
    p = task.params
    if "mean" not in p:
        return None
    return pd.DataFrame({text("data.col.channel", lang): ds.channels,
                         text("data.col.training_mean", lang): p["mean"],
                         text("data.col.training_std", lang): p["std"]})


# ---- summary and preview -------------------------------------------------------------------------

def summary_rows(summary: dict, lang: str = "en") -> list[tuple[str, str]]:
    """(what, value) rows of ``SequenceDataset.summary()`` for the page, in ``lang``."""
    s = summary

    def tx(key, **values):
        return text(f"data.sum.{key}", lang, **values)

    rows = [(tx("format"), tx("format_value", format=s["format"], kind=text(f"data.kind.{s['kind']}", lang)))]
    if s["kind"] == "text":
        return rows + [(tx("characters"), f"{s['n_characters']:,}"), (tx("distinct"), f"{s['n_distinct']}")]
    chans = f"{len(s['channels'])}: {', '.join(s['channels'][:8])}" + (" ..." if len(s["channels"]) > 8 else "")
    rows += [(tx("sequences"), f"{s['n_sequences']:,}"),
             (tx("length"), f"{s['min_length']:,}" if s["min_length"] == s["max_length"] else
              tx("length_range", lo=f"{s['min_length']:,}", hi=f"{s['max_length']:,}",
                 median=f"{s['median_length']:g}")),
             (tx("channels"), chans),
             (tx("gaps"), f"{s['gaps']:,}")]
    if s["classes"]:
        rows.insert(2, (tx("classes"), f"{len(s['classes'])}"))
    if "start" in s:
        rows.append((tx("time_axis"), tx("time_range", start=_when(s["start"]), end=_when(s["end"]))))
    return rows


def _when(stamp: str) -> str:
    """"2021-01-01T00:00:00.000000" -> "2021-01-01"; times keep hours to seconds."""
    stamp = stamp.replace(".000000", "")
    return stamp[:-9] if stamp.endswith("T00:00:00") else stamp.replace("T", " ")


def class_frame(ds: SequenceDataset, test: SequenceDataset | None = None, lang: str = "en") -> pd.DataFrame | None:
    """Sequences per class (and per class of the test file), headers in ``lang``."""
    if ds.labels is None:
        return None
    df = pd.DataFrame({text("data.col.class", lang): ds.classes,
                       text("data.col.sequences", lang): np.bincount(ds.labels, minlength=len(ds.classes))})
    if test is not None and test.labels is not None:
        tc = dict(zip(test.classes, np.bincount(test.labels, minlength=len(test.classes))))
        df[text("data.col.test_sequences", lang)] = [int(tc.get(c, 0)) for c in ds.classes]
    return df


def channel_frame(summary: dict, lang: str = "en") -> pd.DataFrame | None:
    """Per-channel statistics (min, max, mean) of the summary, headers in ``lang``."""
    st_ = summary["channel_stats"]
    if not st_:
        return None
    return pd.DataFrame([{text("data.col.channel", lang): k,
                          **{text(f"data.col.{stat}", lang): x for stat, x in v.items()}} for k, v in st_.items()])


def preview_frame(ds: SequenceDataset, rows: int = PREVIEW_ROWS, lang: str = "en") -> pd.DataFrame | None:
    """The first rows as a table: time steps of a series, one row per labelled sequence
    (label, length, the first values of channel 1); None for text. Headers in ``lang``."""
    if ds.kind == "series":
        df = pd.DataFrame(ds.sequences[0][:rows], columns=ds.channels)
        if ds.time_index is not None:
            df.insert(0, text("data.col.time", lang), ds.time_index[:rows])
        return df
    if ds.kind == "labelled":
        n = min(rows, len(ds.sequences))
        vals = np.full((n, TABLE_STEPS), np.nan, dtype=np.float32)
        for i in range(n):
            s = ds.sequences[i][:TABLE_STEPS, 0]
            vals[i, :len(s)] = s
        df = pd.DataFrame(vals, columns=[f"t={t}" for t in range(TABLE_STEPS)])
        df.insert(0, text("data.col.length", lang), ds.lengths[:n])
        df.insert(0, text("data.col.label", lang), [ds.classes[k] for k in ds.labels[:n]])
        df.insert(0, text("data.col.sequence", lang), np.arange(n))
        return df
    return None


def preview_figures(ds: SequenceDataset, task=None, prep: PrepOptions | None = None,
                    test: SequenceDataset | None = None, lang: str = "en") -> list[tuple[str, object]]:
    """(file name, figure) pairs previewing ``ds`` (and its task's window and split), text in ``lang``."""
    prep = prep or PrepOptions()
    if ds.kind == "series":
        p = task.params if task is not None else {}
        split = p.get("split") if task is not None and not p.get("test") else None
        k = PREVIEW_CHANNELS
        out = [("series", FD.series_figure(ds.sequences[0][:, :k], ds.channels[:k], time=ds.time_index,
                                           window=p.get("window", prep.window), horizon=p.get("horizon", prep.horizon),
                                           split=split, title=text("fig.data.series_preview", lang, name=ds.name),
                                           lang=lang))]
        if test is not None:
            out.append(("test_series", FD.series_figure(test.sequences[0][:, :k], test.channels[:k],
                                                        time=test.time_index,
                                                        title=text("fig.data.test_series", lang, name=test.name),
                                                        lang=lang)))
        return out
    if ds.kind == "labelled":
        counts = np.bincount(ds.labels, minlength=len(ds.classes))
        tcounts = None
        if test is not None and test.labels is not None:
            tc = dict(zip(test.classes, np.bincount(test.labels, minlength=len(test.classes))))
            tcounts = [int(tc.get(c, 0)) for c in ds.classes]
        title = text("fig.data.class_preview", lang, name=ds.name, channel=ds.channels[0])
        out = [("sequences", FD.class_sequences_figure(ds.sequences, ds.labels, ds.classes, title=title, lang=lang)),
               ("classes", FD.class_counts_figure(ds.classes, counts, tcounts, lang=lang))]
        if ds.lengths.min() != ds.lengths.max():
            out.append(("lengths", FD.length_figure(ds.lengths, lang=lang)))
        return out
    return [("characters", FD.char_figure(ds.text, lang=lang))]


# ---- held-out evaluation ----------------------------------------------------------------------------

@dataclass(frozen=True)
class HeldOut:
    """A model on the task's held-out batch (the test file when one is declared)."""

    dataset: str  # the uploaded dataset's name
    on_test: bool  # True: the test file; False: the validation split
    n: int  # sequences / windows evaluated
    metric_name: str  # "accuracy" or "mse"
    loss: float  # the model's loss
    metric: float  # the model's accuracy or MSE
    baseline_loss: float  # the constant prediction fitted on training data, on the same batch
    baseline_metric: float
    step: int  # training step of the model
    best: bool = False  # the model is the run's best checkpoint (not its last step)


def constant_output(task, y_ref: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The best constant prediction fitted on training targets ``y_ref``, shaped for ``y``:
    log class frequencies (cross-entropy) or the per-output mean (MSE)."""
    if task.loss_kind == "cross_entropy":
        t = y_ref[y_ref >= 0].reshape(-1)
        p = torch.bincount(t, minlength=task.output_size).double() / max(1, t.numel())
        logits = torch.log(p.clamp_min(1e-12)).float()
        return logits.expand(*y.shape, task.output_size)
    mean = torch.nanmean(y_ref.reshape(-1, y_ref.shape[-1]).double(), 0).float()
    return mean.expand(*y.shape)


def held_out(model, task, step: int = 0, dataset: str = "", best: bool = False) -> HeldOut:
    """Loss and metric of ``model`` on ``task.validation``, beside the trivial baseline
    (``best``: the model is the run's best checkpoint, recorded for the caption)."""
    v = task.validation
    if v is None:
        raise ValueError(f"{task.name} has no held-out batch")
    dev = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        out = model(v.x.to(dev), None if v.lengths is None else v.lengths.to(dev)).cpu()
    ref = task.sample(2048, torch.Generator().manual_seed(12345)).y
    base = constant_output(task, ref, v.y)
    return HeldOut(dataset, bool(task.params.get("test")), int(v.x.shape[0]), task.metric,
                   float(task.loss(out, v.y)), task.score(out, v.y), float(task.loss(base, v.y)),
                   task.score(base, v.y), int(step), bool(best))


# ---- run settings, models, histories ------------------------------------------------------------------

def lab_settings(get) -> RunSettings:
    """The Training lab's settings from session values (``get(key)``)."""
    vals = {f: get(k) for f, k in LAB_KEYS.items()}
    return RunSettings(device=get(state.DEVICE), **vals)


def _types() -> dict:
    names = {"int": int, "float": float, "bool": bool, "str": str}
    return {f.name: names[f.type if isinstance(f.type, str) else f.type.__name__] for f in fields(RunSettings)}


class _Range(NamedTuple):
    lo: str  # lowest value allowed, as shown
    hi: str  # highest value allowed, as shown

    @classmethod
    def of(cls, bounds: tuple) -> "_Range":
        """A widget's (lo, hi) as shown: "1,000", "2^31-1"."""
        return cls(*("2^31-1" if b == 2**31 - 1 else f"{b:,g}" if isinstance(b, float) else f"{b:,}" for b in bounds))

    @staticmethod
    def holds(bounds: tuple, v) -> bool:
        return bounds[0] <= v <= bounds[1]


def check_settings(s: RunSettings, datasets: dict) -> RunSettings:
    """``s`` if the Training lab can show it; ExportError naming the first value it cannot."""
    uploads = [UPLOAD_PREFIX + n for n in datasets or {}]
    # (field, valid, what is allowed: the choices, a _Range, or None for the task)
    checks = [
        ("task", s.task in TASKS or s.task in uploads, None),
        ("kind", s.kind in MODEL_KINDS, MODEL_KINDS), ("hidden", s.hidden in HIDDEN_CHOICES, HIDDEN_CHOICES),
        ("layers", _Range.holds(LAYERS_RANGE, s.layers), _Range.of(LAYERS_RANGE)),
        ("activation", s.activation in NONLINEARITIES, NONLINEARITIES),
        ("lr", any(abs(s.lr - c) <= 1e-9 * c for c in LR_CHOICES), LR_CHOICES),
        ("batch_size", s.batch_size in BATCH_CHOICES, BATCH_CHOICES),
        ("optimizer", s.optimizer in OPTIMIZERS, OPTIMIZERS),
        ("clip", _Range.holds(CLIP_RANGE, s.clip), _Range.of(CLIP_RANGE)),
        ("seed", _Range.holds(SEED_RANGE, s.seed), _Range.of(SEED_RANGE)),
        ("seq_len", _Range.holds(SEQ_LEN_RANGE, s.seq_len), _Range.of(SEQ_LEN_RANGE)),
        ("steps", _Range.holds(STEPS_RANGE, s.steps), _Range.of(STEPS_RANGE)),
        ("probe_every", _Range.holds(PROBE_RANGE, s.probe_every), _Range.of(PROBE_RANGE)),
    ]
    for name, ok, allowed in checks:
        if ok:
            continue
        vals = dict(name=repr(name), value=repr(getattr(s, name)))
        if allowed is None:
            key, vals["uploads"] = ("setting_task" if uploads else "setting_task_none"), ", ".join(uploads)
        elif isinstance(allowed, _Range):
            key, vals["lo"], vals["hi"] = "setting_range", allowed.lo, allowed.hi
        else:
            key, vals["allowed"] = "setting_choice", str(allowed)
        raise ExportError(text(f"data.export_error.{key}", "en", **vals), key, **vals)
    return s


def settings_bytes(s: RunSettings) -> bytes:
    return settings_json({f.name: getattr(s, f.name) for f in fields(RunSettings)})


def read_run_settings(data: bytes, datasets: dict, device: str) -> RunSettings:
    """Settings from a settings file, checked; the device stays this server's choice."""
    d = read_settings(data, _types(), import_limits())
    d["device"] = device
    return check_settings(RunSettings(**d), datasets)


def settings_state(s: RunSettings) -> dict:
    """Session key -> value that makes the Training lab show ``s``."""
    return {k: getattr(s, f) for f, k in LAB_KEYS.items()}


def history_bytes(job: TrainingJob) -> bytes:
    snap = job.snapshot()
    return history_csv(list(job.trainer.history), snap.val_steps, snap.val_loss, snap.val_metric)


def load_model_job(data: bytes, datasets: dict, current: RunSettings, limiter=None) -> tuple[TrainingJob, RunSettings]:
    """A paused TrainingJob around the model in ``data`` (an export zip), on a task matching its
    config: the recorded task (an upload must be loaded), with the recorded run settings, else the
    ``current`` lab settings for the optimiser. Validates everything (sizes against the lab's own
    widget limits, recorded settings' types, the task's inputs, outputs and output steps, the
    training step against the server's budget) before the job is built. Raises ExportError (or
    core.budget.BudgetError) with a message for the page."""
    lm = import_model(data, limits=import_limits())
    cfg = lm.model.config
    types = _types()
    rec = typed_fields(lm.settings or {}, {k: v for k, v in types.items() if k != "device"})
    task_rec = typed_fields(lm.task or {}, {"name": str, "seq_len": int})
    name = rec.get("task") or task_rec.get("name")
    if not name:
        raise ExportError(text("data.export_error.no_task"), "no_task")
    seq_len = rec.get("seq_len") or task_rec.get("seq_len") or current.seq_len
    base = {f.name: getattr(current, f.name) for f in fields(RunSettings)}
    base.update({k: rec[k] for k in ("lr", "batch_size", "optimizer", "clip", "steps", "probe_every") if k in rec})
    base.update(task=name, seq_len=seq_len, kind=cfg.kind, hidden=cfg.hidden_size, layers=cfg.num_layers,
                activation=cfg.nonlinearity, bidirectional=cfg.bidirectional,
                seed=rec.get("seed", cfg.seed or 0))
    s = check_settings(RunSettings(**base), datasets)
    try:
        task = build_task(s.task, s.seq_len, datasets)
    except ValueError as e:
        vals = dict(task=repr(s.task), detail=str(e))
        raise ExportError(text("data.export_error.rebuild", "en", **vals), "rebuild", **vals) from None
    if (task.input_size, task.output_size, task.head) != (cfg.input_size, cfg.output_size, cfg.head):
        vals = dict(mi=cfg.input_size, mo=cfg.output_size, head=cfg.head, task=repr(s.task), ti=task.input_size,
                    to=task.output_size, thead=task.head)
        raise ExportError(text("data.export_error.io_mismatch", "en", **vals), "io_mismatch", **vals)
    if cfg.head == "encoder_decoder" and (cfg.out_steps or s.seq_len) != (task.out_steps or task.seq_len):
        vals = dict(steps=f"{cfg.out_steps or s.seq_len:,}", task=repr(s.task), need=f"{task.out_steps or task.seq_len:,}")
        raise ExportError(text("data.export_error.out_steps", "en", **vals), "out_steps", **vals)
    budget.check_job(task, cfg.kind, cfg.hidden_size, s.batch_size, layers=cfg.num_layers,
                     bidirectional=cfg.bidirectional, head=cfg.head, optimizer=s.optimizer)
    trainer = Trainer(lm.model, task, lr=s.lr, batch_size=s.batch_size, optimizer=s.optimizer,
                      clip=s.clip or None, device=s.device, seed=s.seed)
    job = TrainingJob(trainer, s.steps, limiter=limiter, probe_every=s.probe_every)
    job.run_sync(0)  # no step: status "paused", ready to resume
    return job, s


def run_record(job: TrainingJob, current: RunSettings) -> RunSettings:
    """The settings of ``job``'s run: its task and model as built, the rest as the lab shows now."""
    task, cfg = job.trainer.task, job.trainer.model.config
    p = task.params or {}
    seq_len = p.get("window", p.get("seq_len")) if task.name.startswith(UPLOAD_PREFIX) else (
        task.seq_len if task.name in TASKS and task.name != "one_to_one" else None)
    tc = job.trainer.config
    return RunSettings(task.name, int(seq_len or current.seq_len), cfg.kind, cfg.hidden_size, cfg.num_layers,
                       cfg.nonlinearity, cfg.bidirectional, tc.lr, tc.batch_size, tc.optimizer, tc.clip or 0.0,
                       tc.seed, current.steps, current.probe_every, current.device)


def model_bytes(job: TrainingJob, current: RunSettings) -> bytes:
    """The zip download of the lab's model (its best checkpoint when one was kept): weights,
    config, task and run settings."""
    from core.export import export_model

    from .baseline_views import best_model
    s = run_record(job, current)
    model, _, _ = best_model(job.trainer)
    return export_model(model, job.trainer.task, {f.name: getattr(s, f.name) for f in fields(RunSettings)})


def held_out_cards(r: HeldOut, lang: str = "en") -> tuple[list[tuple[str, str, str | None]], str]:
    """(label, value, delta) metric cards and a caption for a held-out evaluation, in ``lang``.
    A delta starts with its number (Streamlit colours a metric's delta by its leading sign)."""
    def tx(key, **values):
        return text(f"data.eval.{key}", lang, **values)

    where = tx("on_test" if r.on_test else "on_val")
    fmt = (lambda v: f"{v:.1%}") if r.metric_name == "accuracy" else (lambda v: f"{v:.4g}")
    metric = text(f"data.metric.{r.metric_name}", lang)
    cards = [(tx("metric_label", metric=metric, where=where, n=f"{r.n:,}"), fmt(r.metric),
              tx("vs_baseline", delta=fmt(r.metric - r.baseline_metric))),
             (tx("baseline_card"), fmt(r.baseline_metric), None),
             (tx("loss_card"), f"{r.loss:.4g} / {r.baseline_loss:.4g}", None)]
    caption = tx("caption_accuracy" if r.metric_name == "accuracy" else "caption_mse", step=r.step)
    return cards, caption + (" " + tx("best_note") if r.best else "")


def import_model_upload(data: bytes, datasets: dict, current: RunSettings, board, limiter=None) -> tuple[dict, tuple]:
    """Load a model file into the Training lab's slot of ``board``. Returns (session updates,
    message): a message is (level, catalogue key, values) for ``message_text``; a bad file changes
    nothing and gives an "error" message (its values hold the ExportError)."""
    try:
        job, s = load_model_job(data, datasets, current, limiter)
        ev = job.trainer.evaluate()
    except (ExportError, BudgetError) as e:
        return {}, ("error", "data.msg.model_error", {"error": e})
    board.put("lab", job)  # only now: a refused file leaves the lab's run and settings as they were
    updates = {**settings_state(s), state.LAB_SIGNATURE: s.signature(), state.LAB_SCRUB: -1}
    return updates, ("success", "data.msg.model_loaded",
                     dict(kind=s.kind.upper(), hidden=s.hidden, task=s.task, loss=f"{ev['loss']:.4g}"))


def import_settings_upload(data: bytes, datasets: dict, device: str) -> tuple[dict, tuple]:
    """(session updates, message) for an uploaded settings file; see ``import_model_upload``."""
    try:
        s = read_run_settings(data, datasets, device)
    except ExportError as e:
        return {}, ("error", "data.msg.settings_error", {"error": e})
    return settings_state(s), ("success", "data.msg.settings_applied",
                               dict(task=s.task, kind=s.kind.upper(), hidden=s.hidden))
