"""Locks shared by the training jobs (no Streamlit, no torch).

- ``HandoverLock``: a job's lock, which its training loop hands over to waiting readers.
- ``JobLimiter``: server-wide cap on running jobs, first come first served, with queue positions.
"""
from __future__ import annotations

import threading
import time


class HandoverLock:
    """A reentrant lock that the training loop hands over to the threads waiting for it.

    Python's locks are not fair: a loop that releases a lock between steps and takes it again at
    once keeps it, and a page's ``snapshot()`` waited 0.5 to 2.3 s while a job trained (every live
    refresh then came late). Other threads use it as a plain ``with lock:``; the loop takes it
    with ``with lock.for_loop():``, which first lets those waiting go (for at most ``max_wait_s``,
    so readers can never stall training).
    """

    def __init__(self, max_wait_s: float = 0.05):
        self._lock = threading.RLock()
        self._count_lock = threading.Lock()
        self._waiting = 0  # threads inside __enter__, waiting for (or just given) the lock
        self.max_wait_s = max_wait_s

    def __enter__(self):
        with self._count_lock:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()

    def for_loop(self):
        """The lock for the training loop's next step, once waiting threads have had it."""
        end = time.perf_counter() + self.max_wait_s
        while self._waiting and time.perf_counter() < end:
            time.sleep(0.0005)  # releases the GIL too, so the waiting thread runs now
        return self._lock


class JobLimiter:
    """At most ``limit`` jobs run at once, server-wide; the rest wait in FIFO order."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._cond = threading.Condition()
        self._running: set[int] = set()
        self._queue: list[int] = []

    def acquire(self, job_id: int, should_stop) -> bool:
        """Block until ``job_id`` may run; False if ``should_stop()`` turned true while waiting."""
        with self._cond:
            if job_id in self._running:
                return True
            self._queue.append(job_id)
            try:
                while not (self._queue[0] == job_id and len(self._running) < self.limit):
                    if should_stop():
                        return False
                    self._cond.wait(timeout=0.1)
                self._running.add(job_id)
                return True
            finally:
                self._queue.remove(job_id)
                self._cond.notify_all()

    def release(self, job_id: int) -> None:
        with self._cond:
            self._running.discard(job_id)
            self._cond.notify_all()

    def position(self, job_id: int) -> int | None:
        """1-based place in the queue, or None when not waiting."""
        with self._cond:
            return self._queue.index(job_id) + 1 if job_id in self._queue else None

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)
