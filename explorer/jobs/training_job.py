"""Background training jobs. No Streamlit calls here: a job is a thread that drives a
``core.Trainer`` and publishes an immutable ``Snapshot`` that pages read on a timer.

- ``JobLimiter`` (in ``concurrency.py``): server-wide cap on running jobs, first come first served.
- ``TrainingJob``: one run; start / pause / resume / step once / stop; probes (held-out loss and
  a trace of a few fixed sequences) at a cadence, a stable PCA basis, bounded histories. A task
  with a test file (``task.test``) is also scored on it at each probe; only the validation metric
  chooses the best step (probes: ``probes.py``). On Linux a CPU run trains in a forked worker process (``forked.py``)
  while the job's thread mirrors what it sends back: training then shares no GIL with the
  server's script runs; elsewhere (and on CUDA) it trains in the job's thread.
- ``JobBoard`` (in ``job_board.py``): the jobs of one browser session; ``shutdown()`` stops them
  all (called when the session ends).
"""
from __future__ import annotations

import threading
import time
import uuid

import numpy as np

from core import Batch, Trainer

from ..app.i18n import text
from . import forked, probes
from .concurrency import HandoverLock, JobLimiter
from .snapshots import HistoryArrays, Probe, Progress, Snapshot

PROBE_EVERY = 100  # steps between probes (bench/engine.py measures the cost of this cadence) ...
PROBE_MIN_SECONDS = 0.3  # ... but not more often than this (a fast run would probe many times a second)
PROBE_SECONDS = 2.0  # ... and at least this often, so slow runs (long T, big H) still update
PROBE_SEQUENCES = 6  # sequences traced at each probe


class _InThread:
    """Thread mode's stepper (``forked.Stepper`` is process mode's): steps in the job's thread."""

    def __init__(self, job: "TrainingJob"):
        self.job = job

    def advance(self) -> str | None:  # one step, between readers: "done", "diverged" or None
        with self.job._lock.for_loop():
            return self.job._one_step()

    def park(self) -> None:  # read back the pending steps (a divergence among them pauses the run)
        with self.job._lock:
            self.job._diverged(self.job.trainer.flush())

    def close(self) -> None:  # nothing runs outside this thread
        pass


class TrainingJob:
    """Drives ``trainer`` in a background thread until ``target_steps``.

    Args:
        trainer: a ``core.Trainer`` (model, task and optimiser already built).
        target_steps: where a run stops by itself.
        limiter: the server-wide ``JobLimiter`` (None: no limit).
        probe_every / probe_seconds / probe_min_seconds: probe cadence (see module constants).
        pca_dims: 2 or 3 components kept in the basis.
        mode: "process" (a forked worker trains), "thread" (the job's thread trains) or "auto"
            (``forked.default_mode``: process on Linux for CPU runs unless ``RNNX_JOB_MODE`` says
            otherwise). Test doubles that share objects with the test must use "thread".
    """

    def __init__(self, trainer: Trainer, target_steps: int = 1000, *, limiter: JobLimiter | None = None,
                 probe_every: int = PROBE_EVERY, probe_seconds: float = PROBE_SECONDS,
                 probe_min_seconds: float = PROBE_MIN_SECONDS, pca_dims: int = 3,
                 name: str = "run", mode: str = "auto"):
        self.id = uuid.uuid4().int  # unique without shared counters
        self.name = name
        self.trainer = trainer
        self.target_steps = int(target_steps)
        self.limiter = limiter
        self.owner = None  # who the limiter shares slots between (set by JobBoard.put: the session)
        self.probe_every = max(1, int(probe_every))
        self.probe_seconds = float(probe_seconds)
        self.probe_min_seconds = float(probe_min_seconds)
        self.pca_dims = pca_dims
        self.mode = forked.resolve_mode(mode, trainer.device)  # "process" or "thread"
        self._child = None  # the running worker process (process mode, while it trains)
        self._history = HistoryArrays()  # the records as arrays, converted as they come
        self._model_step = 0  # step of the weights in trainer.model while a worker trains (see model_step)
        self._outbox = None  # in a worker: collects what is sent back to the server
        self._lock = HandoverLock()  # guards trainer and the published state
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = "idle"
        self._message = ""  # English; _message_key/_values give it in any language
        self._message_key = ""
        self._message_values: dict = {}
        self._run_seconds = 0.0
        self._rate_window: list[tuple[float, int]] = []
        self._val: list[tuple[int, float, float, float, float]] = []  # step, val loss/metric, test loss/metric
        self._grad_rows: list[tuple[int, np.ndarray]] = []
        self._states: list[tuple[int, np.ndarray]] = []
        self._probe: Probe | None = None
        self._basis = None
        self._last_probe_step = 0  # step of the last probe (0: none yet, so probes fall on multiples of probe_every)
        self._last_probe_time = 0.0
        task = trainer.task
        probe_batch = trainer.validation_batch(256)
        n = min(PROBE_SEQUENCES, probe_batch.x.shape[0])
        lengths = None if probe_batch.lengths is None else probe_batch.lengths[:n]
        self._probe_batch = Batch(probe_batch.x[:n], probe_batch.y[:n], lengths)
        self.task = task

    # ---- control (called from the page's thread) -----------------------------------------
    def start(self) -> None:
        """Start (or resume) training in the background."""
        with self._lock:
            self._pause.clear()
            if self._thread is not None and self._thread.is_alive():
                self._wake.set()
                return
            if self.trainer.step_count >= self.target_steps:
                self.target_steps = self.trainer.step_count + self.target_steps
            self._stop.clear()
            self._status = "queued"
            self._thread = threading.Thread(target=self._run, name=f"rnnx-job-{self.id}", daemon=True)
            self._thread.start()

    resume = start

    def pause(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._pause.set()
                self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread (the model is kept). Safe to call twice."""
        self._stop.set()
        self._wake.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
        with self._lock:
            if self._status in ("queued", "running", "paused"):
                self._status = "stopped"

    def step_once(self) -> dict:
        """One step now, in the caller's thread (pauses a running job first), then a probe."""
        self.pause()
        self._wait_parked()
        with self._lock:
            rec = self.trainer.step()  # reads every pending step back
            self._after_step(force_probe=True)
            if self._status in ("idle", "done", "stopped"):
                self._status = "paused"
            return rec

    def run_sync(self, steps: int) -> None:
        """Train ``steps`` steps in the caller's thread (tests, scripts)."""
        with self._lock:
            self._status = "running"
        t0 = time.perf_counter()
        for i in range(steps):
            with self._lock:
                recs = self.trainer.advance()
                recs += self._after_step(force_probe=i == steps - 1)
                if any(r["diverged"] for r in recs):
                    break
        with self._lock:
            self._run_seconds += time.perf_counter() - t0
            if self._status == "running":
                self._status = "done" if self.trainer.step_count >= self.target_steps else "paused"

    def record_step(self, rec: dict | None, probe: bool = False) -> None:
        """Account for a step the caller ran on ``self.trainer`` itself (the command line's loop):
        probes at the job's cadence; ``probe``: probe now (``rec`` None: no new step)."""
        with self._lock:
            if rec is not None:
                self._after_step(force_probe=probe)
            elif probe and self._last_probe_step != self.trainer.step_count:
                self._probe_now()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _wait_parked(self, timeout: float = 30.0) -> None:
        """Wait until the thread is idle and no worker trains (its state is back in ``trainer``)."""
        end = time.time() + timeout
        while self.alive and (self._status == "running" or self._child is not None) and time.time() < end:
            time.sleep(0.005)

    # ---- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        """The job's thread: a limiter slot while training, park on pause, yield to a waiting session."""
        stepper = forked.Stepper(self) if self.mode == "process" else _InThread(self)
        holding = False
        try:
            while not self._stop.is_set():
                if self._pause.is_set():
                    stepper.park()
                    if holding:
                        self.limiter and self.limiter.release(self.id)
                        holding = False
                    with self._lock:
                        if self._status in ("running", "queued"):
                            self._status = "paused"
                    self._wake.wait(0.5)
                    self._wake.clear()
                    continue
                if not holding:
                    with self._lock:
                        self._status = "queued"
                    if self.limiter is not None and not self.limiter.acquire(
                            self.id, lambda: self._stop.is_set() or self._pause.is_set(), self.owner):
                        continue
                    holding = True
                    with self._lock:
                        self._status = "running"
                if stepper.advance() in ("done", "error"):
                    return
                if self.limiter is not None and self.limiter.should_yield(self.id):
                    stepper.park()
                    self.limiter.release(self.id)  # another session waits: queue again (fair share)
                    holding = False
            stepper.park()
        except Exception as e:  # a job must never take the server down; the page shows this
            with self._lock:
                self._status = "error"
                # Python's own words (no catalogue key): pages wrap them in a translated sentence
                self._message = f"{type(e).__name__}: {e}"
                self._message_key, self._message_values = "", {}
        finally:
            stepper.close()
            if holding and self.limiter is not None:
                self.limiter.release(self.id)
            with self._lock:
                if self._status in ("running", "queued", "paused") and self._stop.is_set():
                    self._status = "stopped"

    def _one_step(self) -> str | None:
        """One step of the training loop (the lock held): "done" at the target or when patience is
        spent, "diverged" after a divergence (paused), else None."""
        t0 = time.perf_counter()  # after the handover: run time is training time
        recs = self.trainer.advance()  # losses read back every few steps: no sync a step
        self._run_seconds += time.perf_counter() - t0
        end = self.trainer.step_count >= self.target_steps
        recs += self._after_step(force_probe=end)
        if self._outbox is not None:
            self._outbox.records(recs)
        if self._diverged(recs):
            return "diverged"
        if end or self.trainer.should_stop:  # patience: the trainer's, None by default
            self._status = "done"
            return "done"
        return None

    def _after_step(self, force_probe: bool = False) -> list[dict]:
        """Account for the step just taken; probe when due, reading pending steps back first.
        Returns the records that readback brought (none when no probe was due)."""
        now, step = time.perf_counter(), self.trainer.step_count
        self._rate_window.append((now, step))
        if len(self._rate_window) > 50:
            del self._rate_window[0]
        since = now - self._last_probe_time
        if (force_probe or since >= self.probe_seconds
                or (step - self._last_probe_step >= self.probe_every and since >= self.probe_min_seconds)):
            recs = self.trainer.flush()
            self._probe_now()
            return recs
        return []

    def _diverged(self, recs: list[dict]) -> bool:
        """When ``recs`` hold a divergence (the trainer has rolled back): pause with a message."""
        bad = next((r for r in recs if r["diverged"]), None)
        if bad is None:
            return False
        self._status = "diverged"
        # English here; pages show message_key in the reader's language
        self._message = text("jobs.msg.diverged", "en", step=int(bad["step"]))
        self._message_key, self._message_values = "jobs.msg.diverged", {"step": int(bad["step"])}
        self._pause.set()
        return True

    def _probe_now(self) -> None:
        """Held-out loss and a trace of the probe sequences; refit and align the PCA basis."""
        p = probes.measure(self)
        probes.keep(self, p)
        if self._outbox is not None:
            self._outbox.probe(p, self.trainer)

    # ---- reading ---------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        with self._lock:
            steps, loss, gn, metric = self._history.of(self.trainer.history)
            val = np.array(self._val, dtype=float).reshape(-1, 5)
            best = self.trainer.best_step
            at_best = val[val[:, 0] == best, 4] if best is not None else val[:0, 4]
            best_test = float(at_best[-1]) if len(at_best) and np.isfinite(at_best[-1]) else None
            rows = self._grad_rows
            grad_rows = np.stack([r for _, r in rows]) if rows else np.zeros((0, 0), np.float32)
            rate = 0.0
            if len(self._rate_window) >= 2:
                (t0, s0), (t1, s1) = self._rate_window[0], self._rate_window[-1]
                rate = (s1 - s0) / max(t1 - t0, 1e-9)
            pos = self.limiter.position(self.id) if (self.limiter and self._status == "queued") else None
            return Snapshot(
                status=self._status, step=self.trainer.step_count, target_steps=self.target_steps,
                queue_position=pos, steps_per_s=rate, elapsed_s=self._run_seconds, message=self._message,
                steps=steps, loss=loss, grad_norm=gn, metric=metric,
                val_steps=val[:, 0], val_loss=val[:, 1], val_metric=val[:, 2], probe=self._probe,
                grad_rows_steps=np.array([s for s, _ in rows], dtype=float), grad_rows=grad_rows,
                basis=self._basis, state_history=tuple(self._states), message_key=self._message_key,
                message_values=dict(self._message_values), best_step=self.trainer.best_step,
                best_metric=self.trainer.best_metric, test_loss=val[:, 3], test_metric=val[:, 4],
                best_test_metric=best_test)

    def progress(self) -> Progress:
        """Status, step and rate from plain attribute reads, without the lock: many readers (class
        mode's followers) must not make the training loop hand its lock over to each of them."""
        w, h = self._rate_window, self.trainer.history
        try:
            (t0, s0), (t1, s1) = w[0], w[-1]
            rate = (s1 - s0) / max(t1 - t0, 1e-9)
        except (IndexError, ValueError):  # fewer than two steps, or the window changed under us
            rate = 0.0
        try:
            loss = float(h[-1]["loss"])
        except IndexError:
            loss = float("nan")
        return Progress(self.id, self._status, self.trainer.step_count, self.target_steps, rate,
                        self._last_probe_step, loss)

    @property
    def model_step(self) -> int:
        """The training step of the weights in ``trainer.model``: the trainer's step, except while
        a worker process trains, which sends its weights at each probe."""
        return self._model_step if self._child is not None else self.trainer.step_count

    def locked(self):
        """The job's lock: ``with job.locked():`` reads the model between two training steps."""
        return self._lock

    def set_lr(self, lr: float) -> None:
        self.configure(lr=lr)

    def configure(self, *, lr: float | None = None, clip: float | None = None, probe_every: int | None = None,
                  target_steps: int | None = None) -> None:
        """Change what may change mid-run (None: leave as is; ``clip`` 0: off). A training worker
        gets the change before its next step."""
        change = {k: v for k, v in dict(lr=lr, clip=clip, probe_every=probe_every,
                                        target_steps=target_steps).items() if v is not None}
        with self._lock:
            self._configure(change)
            if self._status == "diverged" and lr is not None:
                self._message, self._message_key, self._message_values = "", "", {}
            child = self._child
        if child is not None:
            child.send(("configure", change))

    def _configure(self, change: dict) -> None:
        if "lr" in change:
            self.trainer.set_lr(change["lr"])
        if "clip" in change:
            self.trainer.set_clip(change["clip"])
        if "probe_every" in change:
            self.probe_every = max(1, int(change["probe_every"]))
        if "target_steps" in change:
            self.target_steps = int(change["target_steps"])
