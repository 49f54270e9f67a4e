"""Locks shared by the training jobs (no Streamlit, no torch).

- ``HandoverLock``: a job's lock, which its training loop hands over to waiting readers.
- ``JobLimiter``: server-wide cap on running jobs, shared fairly between sessions, with queue positions.
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
    """At most ``limit`` jobs run at once, server-wide, shared fairly between sessions.

    Each job names its ``owner`` (a session's board; None: the job is its own owner). A free slot
    goes to the waiting job whose owner runs the fewest jobs (first come first served among
    equals), and while another session waits with nothing running, a session running two jobs or
    more gives one slot back (``should_yield``, asked by the running jobs between steps): one
    session's comparison of three jobs on a 2-slot server cannot make another student wait. Jobs
    of a tab that is not connected (``set_detached``: closed, or in the middle of a reload) train
    on only while no connected session waits.
    """

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._cond = threading.Condition()
        self._running: dict[int, object] = {}  # job id -> owner, in the order they started
        self._queue: list[tuple[int, object]] = []  # (job id, owner) waiting, in arrival order
        self._detached: set = set()  # owners with no connected tab (kept for a reload): served last

    @staticmethod
    def _who(job_id: int, owner):
        return ("job", job_id) if owner is None else owner

    def _count(self, owner) -> int:
        return sum(1 for o in self._running.values() if o == owner)

    def _rank(self, entry) -> tuple:
        """Serving order of a queue entry (index, (job id, owner)): connected owners first, then the
        owner running the fewest jobs, then the oldest."""
        i, (_, owner) = entry
        return owner in self._detached, self._count(owner), i

    def _pick(self) -> int | None:
        """The waiting job that gets the next free slot."""
        if not self._queue:
            return None
        return min(enumerate(self._queue), key=self._rank)[1][0]

    def set_detached(self, owner, detached: bool) -> None:
        """Mark ``owner`` as having no connected tab (its jobs give their slots to connected
        sessions that wait) or as connected again."""
        with self._cond:
            (self._detached.add if detached else self._detached.discard)(owner)
            self._cond.notify_all()

    def acquire(self, job_id: int, should_stop, owner=None) -> bool:
        """Block until ``job_id`` may run; False if ``should_stop()`` turned true while waiting."""
        owner = self._who(job_id, owner)
        with self._cond:
            if job_id in self._running:
                return True
            self._queue.append((job_id, owner))
            try:
                while not (len(self._running) < self.limit and self._pick() == job_id):
                    if should_stop():
                        return False
                    self._cond.wait(timeout=0.1)
                self._running[job_id] = owner
                return True
            finally:
                self._queue.remove((job_id, owner))
                self._cond.notify_all()

    def release(self, job_id: int) -> None:
        with self._cond:
            self._running.pop(job_id, None)
            self._cond.notify_all()

    def should_yield(self, job_id: int) -> bool:
        """Should running ``job_id`` give its slot back now? True for one job at a time: the
        latest started of the owner running the most, when that owner runs at least two more
        than a waiting job's owner and no slot is free."""
        with self._cond:
            if job_id not in self._running or len(self._running) < self.limit or not self._queue:
                return False
            if self._running[job_id] in self._detached:  # a closed (or reloading) tab's job
                return any(o not in self._detached for _, o in self._queue)
            waiting_least = min(self._count(o) for _, o in self._queue)
            counts = {o: self._count(o) for o in self._running.values()}
            greedy = max(counts, key=counts.get)
            if counts[greedy] < waiting_least + 2:
                return False
            latest = [j for j, o in self._running.items() if o == greedy][-1]
            return latest == job_id

    def position(self, job_id: int) -> int | None:
        """1-based place in the queue (in the order slots will be given), or None when not waiting."""
        with self._cond:
            order = sorted(enumerate(self._queue), key=self._rank)
            ids = [j for _, (j, _) in order]
            return ids.index(job_id) + 1 if job_id in ids else None

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)
