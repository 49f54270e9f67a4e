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

import numpy as np
import pandas as pd
import torch

from core import MODEL_KINDS, NONLINEARITIES, OPTIMIZERS, TASKS, Trainer
from core.dataset_task import MODES
from core.datasets import DatasetError, SequenceDataset, dataset_task, load_dataset
from core.export import ExportError, history_csv, import_model, read_settings, settings_json

from . import state
from .figures import data as FD
from .jobs import TrainingJob
from .runs import UPLOAD_PREFIX, RunSettings, build_task

# The Training lab's slider choices (explorer.widgets): uploaded settings must be among them.
HIDDEN_CHOICES = (2, 4, 8, 16, 32, 64, 128, 256, 512)
LR_CHOICES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_CHOICES = (1, 4, 8, 16, 32, 64, 128, 256)
DELIMITERS = {"auto": None, ",": ",", ";": ";", "tab": "\t", "whitespace": "whitespace"}
HEADERS = {"auto": None, "yes": True, "no": False}
MODE_LABELS = {"auto": "automatic", "forecast": "forecast at every step (many-to-many)",
               "forecast_last": "forecast after the window (many-to-one)", "classify": "classify (many-to-one)",
               "next_char": "next character (many-to-many)"}
PREVIEW_ROWS = 200  # rows of the preview table
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
    """(dataset or None, error or None, fresh): ``read()`` runs only when ``signature`` (the file
    and the options) differs from the one stored under ``slot`` of ``cache``."""
    prev = cache.get(slot)
    if prev is not None and prev[0] == signature:
        return prev[1], prev[2], False
    try:
        ds, err = read(), None
    except DatasetError as e:
        ds, err = None, str(e)
    cache[slot] = (signature, ds, err)
    return ds, err, True


def add_dataset(datasets: dict, ds: SequenceDataset) -> str:
    """Register ``ds`` (replacing a dataset of the same name, keeping its test file); returns its name."""
    old = datasets.get(ds.name) if isinstance(datasets.get(ds.name), dict) else {}
    datasets[ds.name] = {"dataset": ds, "options": {}, "test": old.get("test"), "summary": ds.summary()}
    return ds.name


def attach_test(entry: dict, test: SequenceDataset) -> None:
    """Declare ``test`` the held-out test set of ``entry``; DatasetError when it cannot be one."""
    ds = entry["dataset"]
    if test.kind != ds.kind:
        raise DatasetError(f"the test file {test.name!r} is {test.kind} data, the training file {ds.name!r} "
                           f"{ds.kind}; a test file must have the same layout")
    entry["test"] = test


# ---- preparation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PrepOptions:
    """How a dataset becomes a task (the page's preparation controls)."""

    mode: str = "auto"  # "auto" or a mode of core.dataset_task.MODES
    window: int = 50  # window length (series) / sequence length (text)
    horizon: int = 1  # steps ahead (series)
    targets: tuple = ()  # channels to forecast; () = all
    val_fraction: float = 0.2  # share held out (ignored with a test file)
    standardize: bool = True  # per-channel, fitted on the training split
    seed: int = 0  # split seed

    def task_kwargs(self, ds: SequenceDataset, test: SequenceDataset | None = None) -> dict:
        kw = dict(mode=None if self.mode == "auto" else self.mode, val_fraction=float(self.val_fraction),
                  standardize=bool(self.standardize), seed=int(self.seed), test=test)
        if ds.kind == "series":
            kw.update(window=int(self.window), horizon=int(self.horizon),
                      target_channels=list(self.targets) or None)
        elif ds.kind == "text":
            kw.update(seq_len=int(self.window))
        return kw


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


def preparation_rows(task, ds: SequenceDataset) -> list[tuple[str, str]]:
    """What the preparation did, with its counts, as (what, value) rows."""
    p = task.params
    test = p.get("test")
    rows = [("Task", f"{task.title} ({task.io}, loss {task.loss_kind})")]
    if ds.kind == "series":
        rows += [("Training steps", f"{p['split']:,} (windows: {p['n_train_windows']:,})"),
                 ("Validation", f"test file {test!r}" if test else f"last {p['val_fraction']:.0%} of the series"),
                 ("Validation windows", f"{p['n_val_windows']:,}"),
                 ("Window / horizon", f"{p['window']} steps in, {p['horizon']} step(s) ahead"),
                 ("Forecast channels", ", ".join(p["target_channels"]))]
        if ds.gaps:
            rows.append(("Gaps", f"{ds.gaps:,} " + ("interpolated" if any(n.startswith("interpolated") for n in ds.notes)
                                                    else "kept: inputs set to the mean, targets skipped")))
    elif ds.kind == "labelled":
        rows += [("Training sequences", f"{p['n_train']:,}"),
                 ("Validation sequences", f"{p['n_val']:,}" + (f" (test file {test!r})" if test else
                                                                f" (stratified, {p['val_fraction']:.0%} of each class)")),
                 ("Lengths", f"{p['min_length']}" if p["min_length"] == p["max_length"] else
                  f"{p['min_length']} to {p['max_length']} (zero-padded; the model stops at each one's end)")]
    else:
        rows += [("Characters", f"{len(ds.text):,} ({len(task.vocab)} distinct)"),
                 ("Sequence length", f"{task.seq_len}")]
    if "mean" in p:
        rows.append(("Standardisation", "per channel, fitted on the training split only" if p["standardize"]
                     else "off"))
    rows.append(("Trivial baseline", f"loss {task.baseline_loss:.4g}, {task.metric} {task.baseline_metric:.4g}"))
    return rows


def scaling_frame(task, ds: SequenceDataset) -> pd.DataFrame | None:
    """Per-channel mean and standard deviation fitted on the training split."""
    p = task.params
    if "mean" not in p:
        return None
    return pd.DataFrame({"channel": ds.channels, "training mean": p["mean"], "training std": p["std"]})


# ---- summary and preview -------------------------------------------------------------------------

def summary_rows(summary: dict) -> list[tuple[str, str]]:
    """(what, value) rows of ``SequenceDataset.summary()`` for the page."""
    s = summary
    rows = [("Format", f"{s['format']} ({s['kind']})")]
    if s["kind"] == "text":
        return rows + [("Characters", f"{s['n_characters']:,}"), ("Distinct characters", f"{s['n_distinct']}")]
    rows += [("Sequences", f"{s['n_sequences']:,}"),
             ("Length", f"{s['min_length']:,}" if s["min_length"] == s["max_length"] else
              f"{s['min_length']:,} to {s['max_length']:,} (median {s['median_length']:g})"),
             ("Channels", f"{len(s['channels'])}: {', '.join(s['channels'][:8])}" + (" ..." if len(s["channels"]) > 8 else "")),
             ("Gaps (missing values)", f"{s['gaps']:,}")]
    if s["classes"]:
        rows.insert(2, ("Classes", f"{len(s['classes'])}"))
    if "start" in s:
        rows.append(("Time axis", f"{_when(s['start'])} to {_when(s['end'])}"))
    return rows


def _when(text: str) -> str:
    """"2021-01-01T00:00:00.000000" -> "2021-01-01"; times keep hours to seconds."""
    text = text.replace(".000000", "")
    return text[:-9] if text.endswith("T00:00:00") else text.replace("T", " ")


def class_frame(ds: SequenceDataset, test: SequenceDataset | None = None) -> pd.DataFrame | None:
    if ds.labels is None:
        return None
    df = pd.DataFrame({"class": ds.classes, "sequences": np.bincount(ds.labels, minlength=len(ds.classes))})
    if test is not None and test.labels is not None:
        tc = dict(zip(test.classes, np.bincount(test.labels, minlength=len(test.classes))))
        df["test sequences"] = [int(tc.get(c, 0)) for c in ds.classes]
    return df


def channel_frame(summary: dict) -> pd.DataFrame | None:
    st_ = summary["channel_stats"]
    if not st_:
        return None
    return pd.DataFrame([{"channel": k, **v} for k, v in st_.items()])


def preview_frame(ds: SequenceDataset, rows: int = PREVIEW_ROWS) -> pd.DataFrame | None:
    """The first rows as a table: time steps of a series, one row per labelled sequence
    (label, length, the first values of channel 1); None for text."""
    if ds.kind == "series":
        df = pd.DataFrame(ds.sequences[0][:rows], columns=ds.channels)
        if ds.time_index is not None:
            df.insert(0, "time", ds.time_index[:rows])
        return df
    if ds.kind == "labelled":
        n = min(rows, len(ds.sequences))
        vals = np.full((n, TABLE_STEPS), np.nan, dtype=np.float32)
        for i in range(n):
            s = ds.sequences[i][:TABLE_STEPS, 0]
            vals[i, :len(s)] = s
        df = pd.DataFrame(vals, columns=[f"t={t}" for t in range(TABLE_STEPS)])
        df.insert(0, "length", ds.lengths[:n])
        df.insert(0, "label", [ds.classes[k] for k in ds.labels[:n]])
        df.insert(0, "sequence", np.arange(n))
        return df
    return None


def preview_figures(ds: SequenceDataset, task=None, prep: PrepOptions | None = None,
                    test: SequenceDataset | None = None) -> list[tuple[str, object]]:
    """(file name, figure) pairs previewing ``ds`` (and its task's window and split)."""
    prep = prep or PrepOptions()
    if ds.kind == "series":
        p = task.params if task is not None else {}
        split = p.get("split") if task is not None and not p.get("test") else None
        out = [("series", FD.series_figure(ds.sequences[0], ds.channels, time=ds.time_index,
                                           window=p.get("window", prep.window), horizon=p.get("horizon", prep.horizon),
                                           split=split, title=f"{ds.name}: the series and the first window"))]
        if test is not None:
            out.append(("test_series", FD.series_figure(test.sequences[0], test.channels, time=test.time_index,
                                                        title=f"Test file {test.name}")))
        return out
    if ds.kind == "labelled":
        counts = np.bincount(ds.labels, minlength=len(ds.classes))
        tcounts = None
        if test is not None and test.labels is not None:
            tc = dict(zip(test.classes, np.bincount(test.labels, minlength=len(test.classes))))
            tcounts = [int(tc.get(c, 0)) for c in ds.classes]
        out = [("sequences", FD.class_sequences_figure(ds.sequences, ds.labels, ds.classes,
                                                       title=f"{ds.name}: 3 sequences per class (channel {ds.channels[0]})")),
               ("classes", FD.class_counts_figure(ds.classes, counts, tcounts))]
        if ds.lengths.min() != ds.lengths.max():
            out.append(("lengths", FD.length_figure(ds.lengths)))
        return out
    return [("characters", FD.char_figure(ds.text))]


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


def held_out(model, task, step: int = 0, dataset: str = "") -> HeldOut:
    """Loss and metric of ``model`` on ``task.validation``, beside the trivial baseline."""
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
                   task.score(base, v.y), int(step))


# ---- run settings, models, histories ------------------------------------------------------------------

def lab_settings(get) -> RunSettings:
    """The Training lab's settings from session values (``get(key)``)."""
    vals = {f: get(k) for f, k in LAB_KEYS.items()}
    return RunSettings(device=get(state.DEVICE), **vals)


def _types() -> dict:
    names = {"int": int, "float": float, "bool": bool, "str": str}
    return {f.name: names[f.type if isinstance(f.type, str) else f.type.__name__] for f in fields(RunSettings)}


def check_settings(s: RunSettings, datasets: dict) -> RunSettings:
    """``s`` if the Training lab can show it; ExportError naming the first value it cannot."""
    uploads = [UPLOAD_PREFIX + n for n in datasets or {}]
    checks = [
        ("task", s.task in TASKS or s.task in uploads,
         f"a built-in task or a loaded upload ({', '.join(uploads) or 'none loaded: upload the data first'})"),
        ("kind", s.kind in MODEL_KINDS, str(MODEL_KINDS)), ("hidden", s.hidden in HIDDEN_CHOICES, str(HIDDEN_CHOICES)),
        ("layers", 1 <= s.layers <= 3, "1 to 3"), ("activation", s.activation in NONLINEARITIES, str(NONLINEARITIES)),
        ("lr", any(abs(s.lr - c) <= 1e-9 * c for c in LR_CHOICES), str(LR_CHOICES)),
        ("batch_size", s.batch_size in BATCH_CHOICES, str(BATCH_CHOICES)), ("optimizer", s.optimizer in OPTIMIZERS, str(OPTIMIZERS)),
        ("clip", 0 <= s.clip <= 100, "0 to 100"), ("seed", 0 <= s.seed < 2**31, "0 to 2^31-1"),
        ("seq_len", 2 <= s.seq_len <= 1000, "2 to 1,000"), ("steps", 10 <= s.steps <= 200_000, "10 to 200,000"),
        ("probe_every", 1 <= s.probe_every <= 1000, "1 to 1,000"),
    ]
    for name, ok, allowed in checks:
        if not ok:
            raise ExportError(f"setting {name!r} = {getattr(s, name)!r} is not one the Training lab offers: {allowed}")
    return s


def settings_bytes(s: RunSettings) -> bytes:
    return settings_json({f.name: getattr(s, f.name) for f in fields(RunSettings)})


def read_run_settings(data: bytes, datasets: dict, device: str) -> RunSettings:
    """Settings from a settings file, checked; the device stays this server's choice."""
    d = read_settings(data, _types())
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
    ``current`` lab settings for the optimiser. Raises ExportError with a message for the page."""
    lm = import_model(data)
    cfg = lm.model.config
    rec = dict(lm.settings or {})
    name = rec.get("task") or (lm.task or {}).get("name")
    if not name:
        raise ExportError("the model's config names no task; export it from the Training lab to keep its task")
    seq_len = rec.get("seq_len") or (lm.task or {}).get("seq_len") or current.seq_len
    base = {f.name: getattr(current, f.name) for f in fields(RunSettings)}
    types = _types()
    for k in ("lr", "batch_size", "optimizer", "clip", "steps", "probe_every"):
        if k in rec and isinstance(rec[k], (int, float, str)) and not isinstance(rec[k], bool):
            base[k] = types[k](rec[k])
    base.update(task=name, seq_len=int(seq_len), kind=cfg.kind, hidden=cfg.hidden_size, layers=cfg.num_layers,
                activation=cfg.nonlinearity, bidirectional=cfg.bidirectional,
                seed=int(rec.get("seed", cfg.seed or 0)))
    s = check_settings(RunSettings(**base), datasets)
    try:
        task = build_task(s.task, s.seq_len, datasets)
    except ValueError as e:
        raise ExportError(f"cannot rebuild the model's task {s.task!r}: {e}") from None
    if (task.input_size, task.output_size, task.head) != (cfg.input_size, cfg.output_size, cfg.head):
        raise ExportError(f"the model reads {cfg.input_size} input(s) and gives {cfg.output_size} output(s) "
                          f"({cfg.head} head), but the task {s.task!r} has {task.input_size} / "
                          f"{task.output_size} ({task.head}); load the same data as when it was trained")
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
    """The zip download of the lab's model: weights, config, task and run settings."""
    from core.export import export_model
    s = run_record(job, current)
    return export_model(job.trainer.model, job.trainer.task, {f.name: getattr(s, f.name) for f in fields(RunSettings)})


def held_out_cards(r: HeldOut) -> tuple[list[tuple[str, str, str | None]], str]:
    """(label, value, delta) metric cards and a caption for a held-out evaluation."""
    where = "the test file" if r.on_test else "the validation split"
    fmt = (lambda v: f"{v:.1%}") if r.metric_name == "accuracy" else (lambda v: f"{v:.4g}")
    cards = [(f"{r.metric_name} on {where} ({r.n:,})", fmt(r.metric), f"{fmt(r.metric - r.baseline_metric)} vs baseline"),
             ("Trivial baseline (constant prediction)", fmt(r.baseline_metric), None),
             ("Loss (model / baseline)", f"{r.loss:.4g} / {r.baseline_loss:.4g}", None)]
    return cards, (f"Model at training step {r.step:,}. The baseline predicts the training "
                   + ("class frequencies." if r.metric_name == "accuracy" else "mean."))


def import_model_upload(data: bytes, datasets: dict, current: RunSettings, board, limiter=None) -> tuple[dict, tuple]:
    """Load a model file into the Training lab's slot of ``board``. Returns (session updates,
    (level, message)); a bad file changes nothing and gives an "error" message."""
    try:
        job, s = load_model_job(data, datasets, current, limiter)
    except ExportError as e:
        return {}, ("error", f"Not a model this app can load: {e}")
    board.put("lab", job)
    ev = job.trainer.evaluate()
    updates = {**settings_state(s), state.LAB_SIGNATURE: s.signature(), state.LAB_SCRUB: -1}
    return updates, ("success", f"Loaded a {s.kind.upper()} (H={s.hidden}) trained on {s.task}: held-out loss "
                                f"{ev['loss']:.4g}. It waits, paused, in the Training lab.")


def import_settings_upload(data: bytes, datasets: dict, device: str) -> tuple[dict, tuple]:
    """(session updates, (level, message)) for an uploaded settings file."""
    try:
        s = read_run_settings(data, datasets, device)
    except ExportError as e:
        return {}, ("error", f"Not a settings file this app can use: {e}")
    return settings_state(s), ("success", f"The Training lab now shows these settings ({s.task}, "
                                          f"{s.kind.upper()} H={s.hidden}); press Train there.")
