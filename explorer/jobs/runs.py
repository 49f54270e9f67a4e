"""From page settings to engine objects: tasks (built-in or uploaded) and trainers. No Streamlit."""
from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass


from core import TASKS, Task, Trainer, budget, build_model, get_task

from ..app import settings as ST
from ..app import state
from ..app.i18n import text

UPLOAD_PREFIX = "upload:"

# The Training lab's widget domains, read from its settings table (explorer/app/settings.py): imported
# settings and models are checked against the same values as links and widgets.
HIDDEN_CHOICES = ST.options(state.LAB_HIDDEN)  # hidden units H
LR_CHOICES = ST.options(state.LAB_LR)  # learning rates
BATCH_CHOICES = ST.options(state.LAB_BATCH)  # batch sizes
SEQ_LEN_RANGE = ST.bounds(state.LAB_SEQ_LEN)  # sequence length T / window
LAYERS_RANGE = ST.bounds(state.LAB_LAYERS)  # stacked layers
CLIP_RANGE = ST.bounds(state.LAB_CLIP)  # global-norm clipping, 0 = off
SEED_RANGE = ST.bounds(state.LAB_SEED)  # seed
STEPS_RANGE = ST.bounds(state.LAB_STEPS)  # target steps
PROBE_RANGE = ST.bounds(state.LAB_PROBE)  # steps between probes


class RunError(ValueError):
    """A run that cannot be built, with its reason as a catalogue key (pages show it in their
    language with ``text(e.key, lang, **e.values)``; ``str(e)`` is the English text)."""

    def __init__(self, key: str, english: str, **values):
        super().__init__(english)
        self.key = key  # catalogue key of the reason
        self.values = values  # the values its text is formatted with


@dataclass(frozen=True)
class RunSettings:
    """Everything a Training-lab run is built from (its identity: change one, start a new run)."""

    task: str  # key of core.TASKS or "upload:<dataset name>"
    seq_len: int  # T of built-in tasks (window length of uploaded series)
    kind: str  # "rnn", "lstm" or "gru"
    hidden: int  # H
    layers: int  # stacked layers
    activation: str  # vanilla RNN activation
    bidirectional: bool  # add a backward chain
    lr: float  # learning rate
    batch_size: int  # sequences per step
    optimizer: str  # "adam" or "sgd"
    clip: float  # global-norm clipping, 0 = off
    seed: int  # model init and data stream
    steps: int  # target steps
    probe_every: int  # steps between probes
    device: str  # "auto", "cpu", "cuda", "mps"

    def signature(self) -> tuple:
        """Fields that define the run; lr, clipping, steps and probing may change mid-run."""
        d = asdict(self)
        for k in ("lr", "steps", "probe_every", "clip"):
            d.pop(k)
        return tuple(sorted(d.items()))


LAB_KEYS = {  # Training-lab setting (a RunSettings field) -> the session key that shows it
    "task": state.LAB_TASK, "seq_len": state.LAB_SEQ_LEN, "kind": state.LAB_KIND, "hidden": state.LAB_HIDDEN,
    "layers": state.LAB_LAYERS, "activation": state.LAB_ACT, "bidirectional": state.LAB_BIDIR, "lr": state.LAB_LR,
    "batch_size": state.LAB_BATCH, "optimizer": state.LAB_OPT, "clip": state.LAB_CLIP, "seed": state.LAB_SEED,
    "steps": state.LAB_STEPS, "probe_every": state.LAB_PROBE, "device": state.DEVICE}


def task_default_len(name: str, datasets: dict | None = None) -> int:
    """The default sequence length of a built-in task; an upload's window (or text sequence
    length) chosen on the Data page, else 50."""
    if name in TASKS:
        p = inspect.signature(TASKS[name]).parameters.get("seq_len")
        if p is not None and p.default is not inspect.Parameter.empty:
            return int(p.default)
    if name.startswith(UPLOAD_PREFIX):
        entry = (datasets or {}).get(name[len(UPLOAD_PREFIX):])
        options = entry.get("options", {}) if isinstance(entry, dict) else {}
        if options.get("window", options.get("seq_len")):
            return int(options.get("window", options.get("seq_len")))
    return 50


def task_has_length(name: str) -> bool:
    return name in TASKS and name != "one_to_one"


def upload_kind(name: str, datasets: dict | None = None) -> str | None:
    """"series", "labelled" or "text" for a loaded upload task name, else None."""
    if not name.startswith(UPLOAD_PREFIX):
        return None
    entry = (datasets or {}).get(name[len(UPLOAD_PREFIX):])
    ds = entry.get("dataset") if isinstance(entry, dict) else entry
    return getattr(ds, "kind", None)


def build_task(name: str, seq_len: int, datasets: dict | None = None) -> Task:
    """A built-in task, or the task of an uploaded dataset (``datasets``: name -> a core
    SequenceDataset, or {"dataset": ds, "options": dataset_task keyword arguments}). For uploads
    ``seq_len`` is the lab's window length (series) or sequence length (text): it overrides the
    Data page's, which is only the default (``task_default_len``).

    With a test file (``options["test"]``) the task's validation split is still carved from the
    training file (``core.train_data.holdout_tasks``): it picks the best step; the test file is
    ``task.test``, scored beside it and never used to choose."""
    if name.startswith(UPLOAD_PREFIX):
        from core.train_data import holdout_tasks
        ds = (datasets or {}).get(name[len(UPLOAD_PREFIX):])
        if ds is None:
            gone = name[len(UPLOAD_PREFIX):]
            raise RunError("runs.upload_gone", text("runs.upload_gone", "en", name=gone), name=gone)
        entry = ds if not isinstance(ds, dict) else ds["dataset"]
        options = {} if not isinstance(ds, dict) else dict(ds.get("options", {}))
        if entry.kind == "series":
            options["window"] = int(seq_len)
        elif entry.kind == "text":
            options["seq_len"] = int(seq_len)
        return holdout_tasks(entry, **options)[0]  # DatasetError is a ValueError: pages show it
    if task_has_length(name):
        return get_task(name, seq_len=int(seq_len))
    return get_task(name)


def run_error_text(err: Exception, lang: str = "en") -> str:
    """The message of an error that stopped a run or a job from being built, in ``lang``:
    ``RunError``, ``core.budget.BudgetError`` (over the server's memory budget), ``DatasetError``."""
    from core.budget import BudgetError
    from core.datasets import DatasetError

    from ..views.data_errors import budget_error_text, dataset_error_text
    if isinstance(err, RunError):
        return text(err.key, lang, **err.values)
    if isinstance(err, BudgetError):
        return budget_error_text(err, lang)
    if isinstance(err, DatasetError):
        return dataset_error_text(err, lang)
    return str(err)


def build_trainer(s: RunSettings, datasets: dict | None = None) -> Trainer:
    task = build_task(s.task, s.seq_len, datasets)
    budget.check_job(task, s.kind, s.hidden, s.batch_size, layers=s.layers, optimizer=s.optimizer,
                     bidirectional=s.bidirectional and task.head != "encoder_decoder")
    model = build_model(s.kind, task.input_size, s.hidden, task.output_size, num_layers=s.layers,
                        nonlinearity=s.activation if s.kind == "rnn" else "tanh",
                        bidirectional=s.bidirectional and task.head != "encoder_decoder",
                        head=task.head, out_steps=task.out_steps, seed=s.seed)
    return Trainer(model, task, lr=s.lr, batch_size=s.batch_size, optimizer=s.optimizer,
                   clip=s.clip or None, device=s.device, seed=s.seed)


def import_limits():
    """core.export's ImportLimits with this app's widget limits: a model may declare no more hidden
    units, layers or output steps than the Training lab can show."""
    from core.export import LIMITS
    from dataclasses import replace
    return replace(LIMITS, max_hidden=max(HIDDEN_CHOICES), max_layers=LAYERS_RANGE[1], max_steps=SEQ_LEN_RANGE[1])
