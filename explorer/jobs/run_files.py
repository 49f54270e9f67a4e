"""Runs in and out of the app: the Training lab's settings as a file, its model (safetensors + JSON)
and its history (CSV), checked against the Training lab's settings table before anything is built.
No Streamlit calls."""
from __future__ import annotations

from dataclasses import fields

from core import TASKS, Trainer, budget
from core.budget import BudgetError
from core.export import ExportError, history_csv, import_model, read_settings, settings_json, typed_fields

from ..app import settings as ST
from ..app import state
from ..app.i18n import text
from .training_job import TrainingJob
from .runs import LAB_KEYS as RUN_KEYS
from .runs import UPLOAD_PREFIX, RunSettings, build_task, import_limits

LAB_KEYS = {f: k for f, k in RUN_KEYS.items() if f != "device"}  # an imported run trains on the reader's device


def lab_settings(get) -> RunSettings:
    """The Training lab's settings from session values (``get(key)``)."""
    vals = {f: get(k) for f, k in LAB_KEYS.items()}
    return RunSettings(device=get(state.DEVICE), **vals)


def _types() -> dict:
    names = {"int": int, "float": float, "bool": bool, "str": str}
    return {f.name: names[f.type if isinstance(f.type, str) else f.type.__name__] for f in fields(RunSettings)}


def _shown(v) -> str:
    """A range end as shown: "1,000", "2^31-1"."""
    return "2^31-1" if v == 2**31 - 1 else f"{v:,g}" if isinstance(v, float) else f"{v:,}"


def check_settings(s: RunSettings, datasets: dict) -> RunSettings:
    """``s`` if the Training lab can show it; ExportError naming the first value it cannot. The
    allowed values are the Training lab's settings table (explorer/app/settings.py)."""
    uploads = [UPLOAD_PREFIX + n for n in datasets or {}]
    for name, key in LAB_KEYS.items():
        value = getattr(s, name)
        if name == "task" and value in uploads or ST.accepts(key, value):
            continue
        vals = dict(name=repr(name), value=repr(value))
        dom = ST.domain(key)
        if name == "task":
            key_, vals["uploads"] = ("setting_task" if uploads else "setting_task_none"), ", ".join(uploads)
        elif isinstance(dom, ST.Between):
            key_, vals["lo"], vals["hi"] = "setting_range", _shown(dom.lo), _shown(dom.hi)
        else:
            key_, vals["allowed"] = "setting_choice", str(dom)
        raise ExportError(text(f"data.export_error.{key_}", "en", **vals), key_, **vals)
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

    from ..views.data_baselines import best_model
    s = run_record(job, current)
    model, _, _ = best_model(job.trainer)
    return export_model(model, job.trainer.task, {f.name: getattr(s, f.name) for f in fields(RunSettings)})


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
