"""Train on an uploaded-format file, as the app does: ``python -m core.train --data FILE ...``.

The data path of ``core.train``: ``load_dataset`` -> ``dataset_task`` -> ``build_model`` (the
task's head) -> ``Trainer``, with the best checkpoint kept on held-out data and restored at the end.

With a test file, the best checkpoint is chosen on a validation split carved from the TRAINING
file (``holdout_tasks``) and the test data are scored once, at the end, by that checkpoint: the
test never steers training. The baselines (``core.baselines``) are scored on the test data (or,
without one, on the validation split) — the same data as ``test_metric``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .baselines import dataset_baselines
from .datasets.task import classify_split
from .datasets import SequenceDataset, dataset_task
from .models import build_model, count_parameters
from .suggest import data_shape, suggest_settings
from .tasks import Batch, Task
from .trainer import Trainer

# the Training lab's defaults (explorer/app/state.py), used when settings are not "suggested"
LAB_DEFAULTS = dict(cell="lstm", hidden_size=32, num_layers=1, bidirectional=False, lr=1e-2, batch_size=32,
                    clip=1.0, steps=1000, max_steps=None, standardize=True, val_fraction=0.2)
EVAL_EVERY = 25  # steps between held-out evaluations (each may keep a new best checkpoint)


def _train_part(ds: SequenceDataset, task: Task, val_fraction: float, seed: int) -> SequenceDataset:
    """The part of ``ds`` that ``task`` trains on (its validation split removed)."""
    if ds.kind == "labelled":
        tr, _, _ = classify_split(ds, None, val_fraction, seed)
        keep = np.sort(tr)
        return SequenceDataset("labelled", [ds.sequences[i] for i in keep], np.asarray(ds.labels)[keep],
                               list(ds.classes), list(ds.channels), name=ds.name, format=ds.format)
    split = task.params["split"]
    return SequenceDataset("series", [ds.sequences[0][:split]], channels=list(ds.channels), name=ds.name,
                           format=ds.format)


def holdout_tasks(ds: SequenceDataset, test: SequenceDataset | None = None,
                  **task_options) -> tuple[Task, Batch | None]:
    """The task to train on, and the test data prepared exactly as its validation data.

    The validation split is carved from ``ds`` by ``dataset_task``'s own seeded split (``seed``:
    stratified by class for labelled data; the last ``val_fraction`` of a series), so its rows are
    never trained on; the test data only ever score a model.

    Returns:
        (task, test_batch): ``task`` is ``dataset_task(ds, **task_options)`` (its validation split
        carved from ``ds``, for the best checkpoint); ``test_batch`` is ``test`` prepared with the
        same standardisation, pooling and class numbering (None without ``test``). With ``test``
        the task carries it too: ``task.test`` is ``test_batch``, ``task.params["test"]`` its
        name, ``params["n_test"]`` its sequences (windows of a series), ``params["n_test_used"]``
        those in the batch (the byte budget may cap it).
    """
    task_options = {k: v for k, v in task_options.items() if k != "test"}
    task = dataset_task(ds, **task_options)
    if test is None or ds.kind == "text":  # a text's held-out part is its own tail (core.tasks.char_lm)
        return task, None
    part = _train_part(ds, task, task_options.get("val_fraction", 0.2), task_options.get("seed", 0))
    scored = dataset_task(part, test=test, **task_options)
    p = scored.params
    task.test = scored.validation
    task.params.update(test=test.name, n_test=int(p["n_val"] if "n_val" in p else p["n_val_windows"]),
                       n_test_used=0 if scored.validation is None else int(scored.validation.x.shape[0]))
    return task, scored.validation


@dataclass(frozen=True)
class DataRun:
    """What a run on a file gave (``as_json()`` is the CLI's last line)."""

    metric: str  # "accuracy" or "mse"
    test_metric: float  # the best checkpoint on the test data (or the validation split without one)
    held_out: str  # "test" or "validation"
    best_step: int | None  # step of the best validation metric
    best_val_metric: float | None  # that metric
    final_test_metric: float  # the last weights on the same data (for comparison)
    steps: int  # steps trained
    baselines: dict  # name -> value on the same held-out data
    settings: dict  # what was used (and why, for suggested settings)
    seconds: float  # wall time of the training loop
    cpu_seconds: float  # process CPU time of the training loop
    dataset: dict  # name, shape

    def as_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _score(tr: Trainer, batch: Batch | None) -> float:
    return tr.evaluate(batch)["metric"] if batch is not None else tr.evaluate()["metric"]


def run_on_data(ds: SequenceDataset, test: SequenceDataset | None = None, *, suggested: bool = True,
                budget_s: float | None = None, overrides: dict | None = None, seed: int = 0,
                device: str = "cpu", log=None) -> DataRun:
    """Train on ``ds`` (suggested settings or the lab's defaults, ``overrides`` on top) for
    ``budget_s`` seconds of process CPU time (None: the settings' steps; ``overrides["steps"]``
    ends it sooner), keeping the best
    checkpoint on the validation split; score it on ``test`` (else on the validation split).

    Raises:
        DatasetError: the data do not make a task with these options.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    shape = data_shape(ds)
    plan = suggest_settings(shape, budget_s or 60.0) if suggested else None
    s = dict(LAB_DEFAULTS)
    if plan is not None:
        s.update(cell=plan.cell, hidden_size=plan.hidden_size, num_layers=plan.num_layers,
                 bidirectional=plan.bidirectional, lr=plan.lr, batch_size=plan.batch_size, clip=plan.clip,
                 steps=plan.steps, max_steps=plan.max_steps, standardize=plan.standardize,
                 val_fraction=plan.val_fraction)
    s.update(overrides)
    opts = dict(val_fraction=s["val_fraction"], seed=seed, standardize=s["standardize"])
    if ds.kind == "labelled" and s["max_steps"]:
        opts["max_steps"] = int(s["max_steps"])
    task, test_batch = holdout_tasks(ds, test, **opts)
    model = build_model(s["cell"], task.input_size, int(s["hidden_size"]), task.output_size,
                        num_layers=int(s["num_layers"]), bidirectional=bool(s["bidirectional"]) and
                        task.head != "encoder_decoder", head=task.head, out_steps=task.out_steps, seed=seed)
    tr = Trainer(model, task, lr=float(s["lr"]), batch_size=int(s["batch_size"]), clip=s["clip"] or None,
                 device=device, seed=seed)
    base = dataset_baselines(ds, test, **opts)
    if log:
        log(f"{task.description} Model {s['cell']} H={s['hidden_size']}"
            f"{' bidirectional' if s['bidirectional'] else ''}, {count_parameters(model)} parameters; "
            f"baselines on the {base.held_out} data: "
            + ", ".join(f"{k} {v:.4f}" for k, v in base.values.items()))
    target = int(overrides["steps"]) if "steps" in overrides else (None if budget_s else int(s["steps"]))
    w0, c0 = time.perf_counter(), time.process_time()
    tr.evaluate(track_best=True)  # step 0 is a candidate too
    while True:
        tr.advance()  # losses stay on the device between readbacks: no host sync a step
        if tr.step_count % EVAL_EVERY == 0:
            tr.flush()  # a divergence in the pending steps is rolled back before anything is scored
            rec, ev = tr.history[-1], tr.evaluate(track_best=True)
            if log and tr.step_count % (EVAL_EVERY * 20) == 0:
                log(f"step {tr.step_count:6d}  loss {rec['loss']:.4f}  validation {task.metric} {ev['metric']:.4f}"
                    f"  best {tr.best_metric:.4f} at {tr.best_step}")
        if (target is not None and tr.step_count >= target) or (
                budget_s and time.process_time() - c0 >= budget_s) or tr.should_stop:
            break
    tr.flush()
    tr.evaluate(track_best=True)
    seconds, cpu = time.perf_counter() - w0, time.process_time() - c0
    final = _score(tr, test_batch)
    tr.restore_best()
    result = _score(tr, test_batch)
    if plan is not None:
        if budget_s and cpu > 0:  # the steps that fit, at the rate this run measured
            plan = suggest_settings(shape, budget_s, steps_per_s=tr.step_count / cpu)
        settings = plan.as_dict()
        settings.update({k: s[k] for k in s if k in settings and k in overrides})
        settings["overridden"] = sorted(overrides)
    else:
        settings = dict(s)
    settings["seed"] = seed
    return DataRun(task.metric, float(result), base.held_out, tr.best_step,
                   None if tr.best_metric is None else float(tr.best_metric), float(final), tr.step_count,
                   dict(base.values), settings, round(seconds, 3), round(cpu, 3),
                   {"name": ds.name, **shape.__dict__, "test": None if test is None else test.name,
                    "n_held_out": base.n_held_out})


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.4f}"


def main_data(a) -> int:
    """``python -m core.train --data ...`` (``a``: core.train's parsed arguments). Returns the exit status."""
    import json
    import sys

    from .datasets import DatasetError, load_dataset
    try:
        ds = load_dataset(a.data)
        test = load_dataset(a.test) if a.test else None
        overrides = {"cell": a.model, "hidden_size": a.hidden, "num_layers": a.layers,
                     "bidirectional": a.bidirectional, "lr": a.lr, "batch_size": a.batch_size, "clip": a.clip,
                     "steps": a.steps}
        run = run_on_data(ds, test, suggested=a.settings == "suggested", budget_s=a.budget_s,
                          overrides=overrides, seed=a.seed, device=a.device, log=print)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"best checkpoint: step {run.best_step} (validation {run.metric} {_fmt(run.best_val_metric)}); "
          f"{run.held_out} {run.metric} {run.test_metric:.4f} (last weights {run.final_test_metric:.4f}); "
          + ", ".join(f"{k} {v:.4f}" for k, v in run.baselines.items())
          + f"; {run.steps} steps in {run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU)")
    if a.json:
        print(json.dumps(run.as_json()))
    return 0
