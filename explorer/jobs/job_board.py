"""The jobs of one browser tab, by name (no Streamlit, no torch)."""
from __future__ import annotations

import threading


class JobBoard:
    """The jobs of one browser session, by name; other pages read them (e.g. the lab's model)."""

    def __init__(self, owner: object = None):
        self._jobs: dict = {}  # name -> TrainingJob
        self._lock = threading.Lock()
        self.owner = owner if owner is not None else object()  # the limiter's fair share is per board
        self.closed = threading.Event()  # set by shutdown(): the session is gone (class rooms end with it)

    def get(self, name: str):
        """The job under ``name`` (a ``TrainingJob``), or None."""
        with self._lock:
            return self._jobs.get(name)

    def put(self, name: str, job) -> None:
        """Replace the job under ``name``; the old one's thread is stopped first."""
        job.owner = self.owner
        with self._lock:
            old = self._jobs.get(name)
            self._jobs[name] = job
        if old is not None and old is not job:
            old.stop()

    def remove(self, name: str) -> None:
        with self._lock:
            old = self._jobs.pop(name, None)
        if old is not None:
            old.stop()

    def names(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def shutdown(self) -> None:
        """Stop every job (the session is gone): no thread outlives its session."""
        self.closed.set()
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for j in jobs:
            j.stop()
