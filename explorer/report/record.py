"""What a report is made of: a ``RunRecord``, built from the page's jobs or from a command-line run.

No Streamlit calls and no figures here. A record holds each run's ``Snapshot`` (bounded arrays:
curves, probe history, PCA basis, gradient rows), the task, what each model is, the settings, the
query string that reopens them in the app, the software and device, and page-specific results
(a preset's pass/fail, dynamics figures). ``explorer.report.build.build_report`` turns it into HTML.
"""
from __future__ import annotations

import datetime as _dt
import math
import platform
import shlex
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import torch

from core.models import count_parameters
from core.trainer import describe_device

from ..jobs.training_job import TrainingJob
from ..jobs.runs import LAB_KEYS

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("training_lab", "comparison", "dynamics")  # pages with a report (url paths)
@dataclass(frozen=True)
class RunRecord:
    """Everything one report shows. Arrays are numpy; nothing refers back to live objects except
    ``task`` (a core Task: names, baselines, metric)."""

    page: str  # url path of the page the run belongs to (one of PAGES)
    task: object  # core.Task of the runs
    runs: dict  # name -> Snapshot ("lab", or a cell kind on the comparison page)
    models: dict  # name -> {"kind", "hidden", "layers", "parameters", "nonlinearity", "bidirectional"}
    settings: dict  # setting name -> value, in the order shown
    query: dict = field(default_factory=dict)  # URL query parameters that reopen the settings
    base_url: str | None = None  # the app's address of the page (None: the reader pastes theirs)
    env: dict = field(default_factory=dict)  # "torch", "python", "numpy", "app", "device", "created"
    command: str | None = None  # a command line that trains the same run without the browser
    data: dict | None = None  # summary of an uploaded dataset (core SequenceDataset.summary())
    preset: dict | None = None  # {"title": str, "checks": [(description, value, passed)]} (comparison)
    extras: tuple = ()  # (heading, plotly Figure) drawn after the run's charts (e.g. dynamics)
    baselines: object | None = None  # core.baselines.Baselines on the run's held-out data (uploads), else None


def app_version() -> str:
    """The app's git commit ("abc1234", "+changes" when the tree differs), else "unknown"."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (sha + (" +changes" if dirty else "")) if sha else "unknown"


def environment(device: torch.device) -> dict:
    """Software versions and the device the run trained on."""
    return {"app": app_version(), "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "device": describe_device(device),
            "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def model_info(job: TrainingJob) -> dict:
    c = job.trainer.model.config
    return {"kind": c.kind, "hidden": c.hidden_size, "layers": c.num_layers, "parameters":
            count_parameters(job.trainer.model), "nonlinearity": c.nonlinearity, "bidirectional": c.bidirectional}


def link(record: RunRecord) -> str:
    """The address that reopens the record's settings: absolute when the app's URL is known, else
    a relative "?..." for the reader to put after their server's address and page."""
    q = urlencode(record.query)
    if record.base_url:
        return record.base_url.split("?")[0] + (f"?{q}" if q else "")
    return f"{record.page}?{q}" if q else record.page


def from_jobs(page: str, jobs: dict, settings: dict, *, query: dict | None = None, base_url: str | None = None,
              data: dict | None = None, preset: dict | None = None, extras: tuple = (),
              command: str | None = None, baselines=None) -> RunRecord:
    """A record of ``jobs`` (name -> TrainingJob) as they are now (their snapshots)."""
    first = next(iter(jobs.values()))
    return RunRecord(page=page, task=first.trainer.task, runs={k: j.snapshot() for k, j in jobs.items()},
                     models={k: model_info(j) for k, j in jobs.items()}, settings=dict(settings),
                     query=dict(query or {}), base_url=base_url, env=environment(first.trainer.device),
                     command=command, data=data, preset=preset, extras=tuple(extras), baselines=baselines)


def lab_command(settings: dict) -> str | None:
    """``python -m core.train ...`` for Training-lab settings of a built-in task (None for uploads)."""
    s = settings
    if str(s["task"]).startswith("upload:"):
        return None
    parts = ["python", "-m", "core.train", "--task", s["task"]]
    if s.get("seq_len") and s["task"] != "one_to_one":
        parts += ["--param", f"seq_len={int(s['seq_len'])}"]
    parts += ["--model", s["kind"], "--hidden", str(s["hidden"]), "--layers", str(s["layers"])]
    if s["kind"] == "rnn":
        parts += ["--nonlinearity", s["activation"]]
    if s.get("bidirectional"):
        parts.append("--bidirectional")
    parts += ["--lr", f"{s['lr']:g}", "--batch-size", str(s["batch_size"]), "--optimizer", s["optimizer"]]
    if s.get("clip"):
        parts += ["--clip", f"{s['clip']:g}"]
    parts += ["--seed", str(s["seed"]), "--steps", str(s["steps"]), "--device", s["device"]]
    return shlex.join(parts)


class CliRecorder:
    """Probes a Trainer that the command line drives itself, at a fixed step cadence (no clock:
    the same command gives the same report), and writes the report at the end.

    Args:
        trainer: the ``core.Trainer`` the caller steps.
        target_steps: the run's length.
        probe_every: steps between probes (the app's default: 100).
    """

    def __init__(self, trainer, target_steps: int, probe_every: int = 100):
        self.job = TrainingJob(trainer, target_steps, probe_every=probe_every, probe_seconds=math.inf,
                               probe_min_seconds=0.0)
        self.t0 = time.perf_counter()  # the command's training clock starts with the recorder
        trainer.on_step(lambda _tr, rec: self.job.record_step(rec))  # probes at the cadence as it trains

    def record(self, args: dict, argv: list[str] | None = None) -> RunRecord:
        """The record of the run so far (a last probe at the final step first).

        Args:
            args: the parsed command-line options (``vars(namespace)``).
            argv: the command's arguments, quoted back as the command that reproduces the run.
        """
        self.job.record_step(None, probe=True)
        job, tr = self.job, self.job.trainer
        # the loop ran outside the job's thread: its status and clock are the command's
        snap = replace(job.snapshot(), status="diverged" if tr.diverged else (
            "done" if tr.step_count >= job.target_steps else "stopped"), elapsed_s=time.perf_counter() - self.t0)
        task = self.job.trainer.task
        c = self.job.trainer.model.config
        seq_len = getattr(task, "seq_len", None)
        settings = {"task": task.name, "seq_len": seq_len, "kind": c.kind, "hidden": c.hidden_size,
                    "layers": c.num_layers, "activation": c.nonlinearity, "bidirectional": c.bidirectional,
                    "lr": args.get("lr"), "batch_size": args.get("batch_size"), "optimizer": args.get("optimizer"),
                    "clip": float(args.get("clip") or 0.0), "seed": args.get("seed"), "steps": args.get("steps"),
                    "probe_every": self.job.probe_every, "device": args.get("device")}
        from ..app.urlstate import params_for  # the app's own encoding, so the link reads back the same
        command = shlex.join(["python", "-m", "core.train", *(argv or [])])
        rec = from_jobs("training_lab", {"lab": self.job}, settings, command=command,
                        query=params_for("training_lab", {LAB_KEYS[k]: v for k, v in settings.items() if v is not None}))
        return replace(rec, runs={"lab": snap})

