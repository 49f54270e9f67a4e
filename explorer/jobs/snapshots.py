"""What a training job publishes for pages to draw: immutable ``Snapshot`` (with its latest
``Probe``) and the lock-free ``Progress`` line. No Streamlit; numpy arrays only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Probe:
    """What one probe saw. Arrays are numpy; n = PROBE_SEQUENCES."""

    step: int  # training step of the probe
    val_loss: float  # held-out loss
    val_metric: float  # held-out metric
    hidden: np.ndarray  # (n, T, H) last layer, forward direction
    grad_h_norm: np.ndarray  # (T,) ||dL/dh_t|| on the probe batch
    output: np.ndarray  # model output on the probe batch
    target: np.ndarray  # the probe batch's targets
    x: np.ndarray  # (n, T, F) the probe inputs
    gates: dict  # name -> (n, T, H)
    cell: np.ndarray | None  # (n, T, H) LSTM cell states
    attention: np.ndarray | None  # (n, T) attention weights


@dataclass(frozen=True)
class Snapshot:
    """An immutable copy of a job's state for a page to draw."""

    status: str  # "idle", "queued", "running", "paused", "done", "diverged", "error", "stopped"
    step: int
    target_steps: int
    queue_position: int | None
    steps_per_s: float
    elapsed_s: float
    message: str
    steps: np.ndarray  # (N,) training steps of the records
    loss: np.ndarray  # (N,)
    grad_norm: np.ndarray  # (N,) global gradient norm before clipping
    metric: np.ndarray  # (N,) training metric (NaN on diverged steps)
    val_steps: np.ndarray  # (M,) probe steps
    val_loss: np.ndarray  # (M,)
    val_metric: np.ndarray  # (M,)
    probe: Probe | None  # the latest probe
    grad_rows_steps: np.ndarray  # (S,) steps of the gradient-norm rows
    grad_rows: np.ndarray  # (S, T) ||dL/dh_t|| per probe
    basis: object | None  # core.analysis.PCABasis, refitted and aligned at each probe
    state_history: tuple = ()  # ((step, hidden (n, T, H)), ...) for the scrub slider
    message_key: str = ""  # catalogue key of ``message`` ("" when there is none): pages show it in their language
    message_values: dict = field(default_factory=dict)  # the values the key's text is formatted with
    best_step: int | None = None  # probe step with the best held-out metric (the kept checkpoint)
    best_metric: float | None = None  # that held-out (validation) metric
    test_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (M,) loss on task.test per probe (NaN: none)
    test_metric: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (M,) metric on task.test per probe
    best_test_metric: float | None = None  # the test metric at best_step (None: no test file or no probe there)

    @property
    def has_test(self) -> bool:
        """True when the run is scored on a test file (``test_metric`` holds numbers)."""
        return bool(np.isfinite(self.test_metric).any())

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")


@dataclass(frozen=True)
class Progress:
    """A job's status line, read without its lock (``TrainingJob.progress``)."""

    job_id: int  # the job's id (a new run under the same name has another)
    status: str  # as in Snapshot
    step: int  # training steps taken
    target_steps: int  # where the run stops by itself
    steps_per_s: float  # recent rate (0 before two steps)
    probe_step: int  # step of the latest probe (0: none yet)
    loss: float  # the last training loss (NaN before the first step)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")


class HistoryArrays:
    """A trainer's records as arrays for snapshots, converting only the records added since the
    last call (a long run's 100,000 records cost milliseconds of the GIL on every refresh). Thinning
    or a reload gives the trainer a new list: then all anew."""

    def __init__(self):
        self._list = None  # the history list converted last
        self._n = 0  # how many of its records
        self._arrays: tuple = ()

    def of(self, history: list) -> tuple:
        """(steps, loss, grad_norm, metric) of ``history``, each (N,) float, read-only (snapshots
        share them)."""
        start = self._n if history is self._list and self._n <= len(history) else 0
        tail = history[start:]
        new = (np.fromiter((r["step"] for r in tail), float, len(tail)),
               np.fromiter((r["loss"] for r in tail), float, len(tail)),
               np.fromiter((r["grad_norm"] for r in tail), float, len(tail)),
               np.fromiter((r.get("metric", np.nan) for r in tail), float, len(tail)))
        if start:
            new = tuple(np.concatenate([a, b]) for a, b in zip(self._arrays, new))
        for a in new:
            a.flags.writeable = False
        self._list, self._n, self._arrays = history, start + len(tail), new
        return new
