"""A training job's worker process (no Streamlit).

Why: a job's thread trains under the same GIL as the server's script runs, so every figure built
for a page (or for sixty followers of a class room) slowed training down, and training slowed the
pages. In process mode the job's thread forks a worker for each stretch of training (start or
resume until pause, target, divergence, error or a fair-share yield). The fork copies the job as
it stands (model, optimiser, data stream, uploaded data: nothing is pickled on the way out and
big arrays stay shared), the worker trains it, and it sends back what pages draw:

- every ``SEND_S`` seconds, the new step records and the rate window;
- at each probe, the probe's results, the model's weights and (when it improved) the best
  checkpoint, so readers of ``job.trainer.model`` see the weights of the probe they are shown;
- when it parks, the whole trainer state (optimiser moments, data stream, best checkpoint), after
  which the server's copy is exact again and the worker exits.

The job's thread (``TrainingJob._run`` with a ``Stepper``) holds the limiter's slot, applies these
messages to the job under its lock, and forwards pause and ``configure`` to the worker. Everything else (``step_once``,
``run_sync``, snapshots) works on the server's copy as in thread mode, after the worker parks.

Messages are pickled by this code and read only from our own child over a private pipe; user
files are never unpickled (DESIGN.md's upload rules are about those).
"""
from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import pickle
import signal
import stat
import sys
import threading
import time

from . import probes

MODE_ENV = "RNNX_JOB_MODE"  # "thread" or "process": overrides where CPU runs train (default: process on Linux)
SEND_S = 0.05  # seconds between the worker's record messages (the live chart asks for 4+ a second)
PARK_S = 60.0  # seconds a worker may take to park (one slow step and a probe) before it is killed
# Seconds a worker trains before it parks and a fresh one forks (the run goes on, as after Pause and
# Train). A worker's own memory grows as the server writes to pages they still share (the worker
# keeps the old copies: about 0.3 MB/s with a busy server); a fresh fork shares them all again.
REFORK_S = 120.0


def _can_fork(device) -> bool:
    """A CPU run on Linux: fork is safe there for a CPU-only torch (CUDA cannot live in a forked child)."""
    return getattr(device, "type", str(device)) == "cpu" and sys.platform.startswith("linux")


def default_mode(device) -> str:
    """Where a run on ``device`` trains when its job says "auto": "process" where it can fork,
    unless ``RNNX_JOB_MODE`` says "thread"; elsewhere "thread"."""
    if not _can_fork(device):
        return "thread"
    env = os.environ.get(MODE_ENV, "").strip().lower()
    return env if env in ("thread", "process") else "process"


def resolve_mode(mode: str, device) -> str:
    """"auto" -> ``default_mode(device)``; "process" falls back to "thread" where it cannot fork."""
    if mode not in ("auto", "thread", "process"):
        raise ValueError(f"unknown job mode {mode!r}; choose 'auto', 'thread' or 'process'")
    if mode == "auto":
        return default_mode(device)
    return "process" if mode == "process" and _can_fork(device) else "thread"


class Worker:
    """The server's handle on one worker process: its pipe and process."""

    def __init__(self, process, conn):
        self.process = process
        self.conn = conn
        self.born = time.monotonic()

    def send(self, msg) -> None:
        try:
            self.conn.send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError):  # the worker has just exited: it parks without this
            pass

    def recv(self, timeout: float):
        """The next message (a dict), None when none came within ``timeout``; raises EOFError when
        the worker is gone without parking."""
        if not self.conn.poll(timeout):
            return None
        return pickle.loads(self.conn.recv_bytes())

    def end(self) -> None:
        """Reap the process (kill it when it did not exit by itself)."""
        self.process.join(2.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2.0)
        self.conn.close()


# ---- the worker (in the forked child) ------------------------------------------------------------
class Outbox:
    """What the worker has not sent yet."""

    def __init__(self):
        self.recs: list[dict] = []
        self.probes: list[dict] = []

    def records(self, recs: list[dict]) -> None:
        self.recs += recs

    def probe(self, p: dict, trainer) -> None:
        p = dict(p, model=_cpu_state(trainer.model.state_dict()),
                 best=(trainer.best_step, trainer.best_metric, trainer._since_best, trainer._best_loss))
        if trainer.best_step == trainer.step_count:  # improved at this probe: the server keeps the copy too
            p["best_state"] = trainer._best_state
        self.probes.append(p)

    def take(self, job, park: dict | None = None) -> bytes:
        msg = {"recs": self.recs, "probes": self.probes, "step": job.trainer.step_count,
               "rate": list(job._rate_window), "run_s": job._run_seconds, "park": park}
        self.recs, self.probes = [], []
        return pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)


def _cpu_state(sd: dict) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in sd.items()}


def _die_with_parent(parent_pid: int) -> None:
    """Have Linux SIGKILL this worker when the thread that forked it (its job's thread) ends, the
    server's death included. The parent check in the training loop is not enough: a worker blocked
    writing to a pipe that a dying server no longer read stayed behind for good (found after
    bench runs: orphans asleep in ``send_bytes``)."""
    import ctypes
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the server died before prctl took effect
        os._exit(0)


def _drop_server_sockets(keep: int) -> None:
    """Let go of the sockets this worker copied from its server at the fork (its listening socket,
    its browsers' connections, its event loop's wake-up pair, other workers' pipes), all but the
    worker's own pipe ``keep``. A TCP connection stays open while any process holds it: one the
    server closed stayed open for the browser, which sent its next requests on it, and nobody read
    them (found: a tab's lazily loaded scripts and plotly.js pending for good, on all six of
    Chromium's connections to the server). Each is replaced by /dev/null, not closed: a Python
    object of the server's that closes its number later must not close something of the worker's.
    Standard input and output stay: a service's may be sockets to its journal, not to a browser."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
                if fd > 2 and fd != keep and stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
    except FileNotFoundError:  # no /proc: nothing to go by
        pass
    finally:
        os.close(null)


def _child(job, conn, parent_pid: int, server_end=None) -> None:
    """The worker's main: train ``job`` (this process's copy) until told to pause, or until it is
    done, diverges or fails; then send the trainer's state back and exit."""
    from .concurrency import HandoverLock
    if server_end is not None:  # the fork copied the server's end too: a dead server must mean EOF here
        server_end.close()
    _drop_server_sockets(conn.fileno())
    _die_with_parent(parent_pid)
    # the server's signal handlers (Streamlit's shutdown) mean nothing here: TERM and INT end the worker
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # A session of its own: on Linux with autogroup scheduling (the default of desktop kernels) the
    # worker is then a scheduling group of its own, not one that its server's event loop and script
    # runs share. With a browser on the same laptop, training kept 0.64x its speed alone, 0.72x
    # apart; with 60 followers' clients on the machine the server's health check waited 106-232 ms
    # at p95, 26 ms apart (bench/ui.py, bench/load_ws.py). It still ends with its server
    # (_die_with_parent, the parent check in the loop below) and on TERM from it.
    with contextlib.suppress(OSError):
        os.setsid()
    gc.freeze()  # the inherited heap is never collected here: its pages stay shared with the server
    # the server's locks and events may have been held by another thread at the fork: new ones
    job._lock = HandoverLock()
    job._pause, job._stop, job._wake = threading.Event(), threading.Event(), threading.Event()
    job.limiter, job._thread, job._child = None, None, None
    tr = job.trainer
    tr.callbacks = []  # subscribers live in the server: it calls them as records arrive
    job._outbox = out = Outbox()
    job._status = "running"
    why, last = None, time.perf_counter()
    try:
        while why is None:
            while conn.poll():
                cmd, arg = pickle.loads(conn.recv_bytes())
                if cmd == "pause":
                    why = "paused"
                elif cmd == "configure":
                    job._configure(arg)
            if why is not None:
                break
            if os.getppid() != parent_pid:  # the server is gone: nothing to report to
                os._exit(0)
            why = job._one_step()
            now = time.perf_counter()
            if out.probes or now - last >= SEND_S:
                conn.send_bytes(out.take(job))
                last = now
        if why == "paused":
            recs = tr.flush()
            out.records(recs)
            if job._diverged(recs):
                why = "diverged"
        state = tr.state_dict()
        state["history"] = None  # the server has every record already
        park = {"status": why, "state": state, "message": (job._message, job._message_key, job._message_values)}
    except Exception as e:  # sent as the job's error; the server keeps the last weights it had
        park = {"status": "error", "state": None, "message": (f"{type(e).__name__}: {e}", "", {})}
    conn.send_bytes(out.take(job, park))
    conn.close()


# ---- the server's side (the job's thread) ---------------------------------------------------------
def launch(job) -> Worker:
    """Fork a worker that trains ``job`` from where it stands."""
    ctx = mp.get_context("fork")
    mine, theirs = ctx.Pipe()
    with job._lock:  # a consistent copy: no reader or step in the middle of changing it
        p = ctx.Process(target=_child, args=(job, theirs, os.getpid(), mine), daemon=True, name=f"rnnx-worker-{job.id}")
        p.start()
        job._child = w = Worker(p, mine)
        job._model_step = job.trainer.step_count
    theirs.close()
    return w


def apply(job, msg: dict) -> str | None:
    """Apply a worker's message to the server's copy of ``job``; returns the park status
    ("paused", "done", "diverged", "error") when the worker has parked, else None."""
    tr = job.trainer
    with job._lock:
        for rec in msg["recs"]:
            tr._record(rec)
            for fn in tr.callbacks:
                fn(tr, rec)
        tr.step_count = msg["step"]
        job._rate_window, job._run_seconds = msg["rate"], msg["run_s"]
        for p in msg["probes"]:
            probes.keep(job, p)
            tr.model.load_state_dict(p["model"])
            job._model_step = p["val"][0]
            tr.best_step, tr.best_metric, tr._since_best, tr._best_loss = p["best"]
            if "best_state" in p:
                tr._best_state = p["best_state"]
        park = msg["park"]
        if park is None:
            return None
        if park["state"] is not None:
            state, cfg = park["state"], tr.config
            state["history"] = tr.history
            tr.load_state_dict(state)
            # a configure() that crossed the park on the pipe: the server's settings are the newest
            tr.set_lr(cfg.lr)
            tr.set_clip(cfg.clip)
        why = park["status"]
        if why in ("diverged", "error"):
            job._message, job._message_key, job._message_values = park["message"]
            job._status = why
            job._pause.set()
        elif why == "done":
            job._status = "done"
        return why


def park(job, worker: Worker | None) -> str | None:
    """Ask the worker to stop after its current step and wait for its state (or kill it after
    ``PARK_S``). Returns its park status (None: no worker)."""
    if worker is None:
        return None
    worker.send(("pause", None))
    end = time.monotonic() + PARK_S
    why = None
    try:
        while why is None and time.monotonic() < end:
            msg = worker.recv(0.2)
            if msg is not None:
                why = apply(job, msg)
    except (EOFError, OSError):
        why = _lost(job, worker)
    finally:
        _reap(job, worker)
    return why


def _reap(job, worker: Worker) -> None:
    """The worker has parked (or is lost): reap its process; the job has no worker now."""
    worker.end()
    with job._lock:
        job._child = None


def _lost(job, worker: Worker) -> str:
    """The worker ended without parking (killed, out of memory): an error; the server's copy keeps
    the records and the weights of the last probe."""
    from ..app.i18n import text
    worker.process.join(2.0)
    code = worker.process.exitcode
    with job._lock:
        job._status = "error"
        job._message = text("jobs.msg.worker_lost", "en", code=code)
        job._message_key, job._message_values = "jobs.msg.worker_lost", {"code": code}
        job._pause.set()
    return "error"


class Stepper:
    """Process mode's stepper for ``TrainingJob._run``: forks a worker when the loop trains and has
    none, applies what it sends, and parks it when the loop pauses or yields its slot."""

    def __init__(self, job):
        self.job = job
        self.worker: Worker | None = None

    def advance(self) -> str | None:
        """Apply what the worker sent within 0.1 s (forking one first if there is none): None
        while it trains, else how it parked by itself ("done", "diverged", "error")."""
        if self.worker is None:
            self.worker = launch(self.job)
        why = None
        try:
            msg = self.worker.recv(0.1)
            while msg is not None and why is None:
                why = apply(self.job, msg)
                msg = self.worker.recv(0) if why is None else None
            # ended without a word: a worker forked meanwhile for another job may hold a copy of
            # this pipe's far end, so no EOF would ever come
            if why is None and not self.worker.process.is_alive() and not self.worker.conn.poll(0):
                raise EOFError
        except (EOFError, OSError):
            why = _lost(self.job, self.worker)
        if why is not None:  # it has exited: reap it
            _reap(self.job, self.worker)
            self.worker = None
        elif time.monotonic() - self.worker.born > REFORK_S:
            why = park(self.job, self.worker)  # the next advance forks a fresh one
            self.worker = None
            why = None if why == "paused" else why  # it parked at its target, or diverged, meanwhile
        return why

    def park(self) -> None:
        """Stop the worker after its step and take its state back (nothing when none trains)."""
        park(self.job, self.worker)
        self.worker = None

    close = park  # the loop has ended (even by an error): no worker outlives it
