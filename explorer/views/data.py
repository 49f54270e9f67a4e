"""Logic of the Data page, without Streamlit calls: read an upload with the chosen options,
summarise and preview it, prepare its task (split, standardisation, windows). A model on the
held-out data: explorer/views/data_held_out.py; runs in and out of the app: explorer/jobs/run_files.py.

A loaded dataset lives in ``st.session_state[state.DATASETS][name]`` as an *entry*, a dict:
``{"dataset": SequenceDataset, "options": dataset_task keyword arguments (incl. "test"),
"test": SequenceDataset or None, "summary": ds.summary()}``. ``explorer.jobs.runs.build_task`` reads
"dataset" and "options", so every lab can train on it as the task "upload:<name>".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.datasets.task import MODES
from core.datasets import DatasetError, SequenceDataset, load_dataset
from core.train_data import holdout_tasks

from ..app import state
from ..figures import data as FD
from ..app.i18n import text
from ..app.settings import DELIMITERS, HEADERS

PREVIEW_ROWS = 200  # rows of the preview table
PREVIEW_CHANNELS = 16  # channels drawn in a series preview (1,000 traces made a 13 MB figure)
TABLE_STEPS = 10  # values of channel 1 shown per labelled sequence in the table
# RunSettings field -> the Training lab's session key


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
    val_fraction: float = 0.2  # share of the training file held out for validation (a test file too)
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
    With a test file the validation split is still carved from the training file and the test
    file is ``task.test`` (``core.train_data.holdout_tasks``), as the labs build it.
    Raises DatasetError for choices that do not fit the data."""
    kw = prep.task_kwargs(entry["dataset"], entry.get("test"))
    key = (prep, id(entry.get("test")))
    if entry.get("_task_key") != key:
        entry["_task"] = holdout_tasks(entry["dataset"], **kw)[0]
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
                 (tx("validation"), tx("val_last", pct=f"{p['val_fraction']:.0%}")),
                 (tx("val_windows"), f"{p['n_val_windows']:,}"),
                 (tx("window_horizon"), tx("window_horizon_value", window=p["window"], horizon=p["horizon"])),
                 (tx("forecast_channels"), ", ".join(p["target_channels"]))]
        if ds.gaps:
            done = any(n.startswith("interpolated") for n in ds.notes)
            rows.append((tx("gaps"), tx("gaps_interpolated" if done else "gaps_kept", n=f"{ds.gaps:,}")))
    elif ds.kind == "labelled":
        n_val = f"{p['n_val']:,}"
        rows += [(tx("training_sequences"), f"{p['n_train']:,}"),
                 (tx("val_sequences"), tx("val_seq_stratified", n=n_val, pct=f"{p['val_fraction']:.0%}")),
                 (tx("lengths"), f"{p['min_length']}" if p["min_length"] == p["max_length"] else
                  tx("lengths_range", lo=p["min_length"], hi=p["max_length"]))]
        if p.get("truncated"):  # length outliers cut so one sequence cannot make every batch that long
            rows.append((tx("truncated"), tx("truncated_value", n=f"{p['truncated']:,}", cap=p["truncated_to"])))
        if p.get("pool", 1) > 1:
            rows.append((tx("pooling"), tx("pooling_value", k=p["pool"], steps=p["max_length"])))
    if test and task.test is not None:  # scored only: never chooses the best step
        rows.append((tx("test"), tx("test_windows" if ds.kind == "series" else "test_sequences",
                                    n=f"{p['n_test']:,}", name=repr(test))))
    if ds.kind == "text":
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
        split = p.get("split") if task is not None and p.get("split", 0) < len(ds.sequences[0]) else None
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
