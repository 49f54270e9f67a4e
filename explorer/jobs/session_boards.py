"""Job boards that live exactly as long as the browser session using them (no Streamlit here).

Streamlit releases a session-scoped ``st.cache_resource`` on EVERY disconnect
(``WebsocketSessionManager.disconnect_session`` calls ``clear_session_caches``), although it keeps
the session itself for ``server.disconnectedSessionTTL`` seconds (120 by default) so that a
network blip reconnects to it. And a reload of the page is a NEW session: the browser's script
keeps the last session id only in memory. So a run kept in a session-scoped resource ended on
every blip and every reload.

Here a board is keyed by a per-tab token (kept in the tab's ``sessionStorage``, see
``explorer/tab_token.py``) and remembers the Streamlit sessions that used it. ``sweep()`` (run
every few seconds by a reaper thread) shuts a board down once none of its sessions has been
connected for ``ttl_s``: a reload or a blip within the TTL finds the run where it was, still
training; a closed tab frees its threads after the TTL, as Streamlit frees the session. Meanwhile
its jobs give their slots to connected sessions that wait (``on_detached`` tells the limiter).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .job_board import JobBoard

MAX_SESSIONS = 8  # session ids remembered per board (each reload adds one)


@dataclass
class _Entry:
    board: JobBoard
    sessions: list = field(default_factory=list)  # Streamlit session ids, most recent last
    seen: float = 0.0  # last time one of them was connected (clock seconds)
    detached: bool = False  # none of them connected at the last sweep


class BoardRegistry:
    """Job boards by tab token, shared by the whole server.

    Args:
        ttl_s: how long a board outlives its last connected session (Streamlit's
            ``server.disconnectedSessionTTL``).
        is_active: ``session_id -> bool``, whether a session is connected now.
        clock: monotonic seconds (tests pass a fake one).
        sweep_s: seconds between sweeps of the reaper thread; 0: no thread (call ``sweep``).
    """

    def __init__(self, ttl_s: float, is_active: Callable[[str], bool], *, clock=time.monotonic,
                 sweep_s: float = 5.0, on_detached: Callable[[str, bool], None] | None = None):
        self.ttl_s = float(ttl_s)
        self._on_detached = on_detached  # (token, detached): no session of it connected / connected again
        self._is_active = is_active
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._closed = threading.Event()
        if sweep_s > 0:
            threading.Thread(target=self._reap, args=(float(sweep_s),), name="rnnx-board-reaper",
                             daemon=True).start()

    def board(self, token: str, session_id: str) -> JobBoard:
        """The board of ``token`` (created on first use), now also used by ``session_id``."""
        with self._lock:
            e = self._entries.get(token)
            if e is None:
                e = self._entries[token] = _Entry(JobBoard(owner=token))
            if session_id not in e.sessions:
                e.sessions = (e.sessions + [session_id])[-MAX_SESSIONS:]
            e.seen = self._clock()
            back, e.detached = e.detached, False
        if back:  # a reloaded page (or a blip's reconnection) is here again
            self._tell(token, False)
        return e.board

    def forget_if_empty(self, token: str) -> None:
        """Drop ``token``'s board if it holds no job (a tab that turned out to have another token)."""
        with self._lock:
            e = self._entries.get(token)
            if e is not None and not e.board.names():
                del self._entries[token]

    def sweep(self) -> list[str]:
        """Shut down the boards whose sessions have all been gone for ``ttl_s``; returns their tokens."""
        now = self._clock()
        gone, changed = [], []
        with self._lock:
            for token, e in list(self._entries.items()):
                attached = any(self._active(s) for s in e.sessions)
                if attached:
                    e.seen = now
                elif now - e.seen > self.ttl_s:
                    gone.append((token, self._entries.pop(token).board))
                if e.detached == attached:
                    e.detached = not attached
                    changed.append((token, e.detached))
        ended = {t for t, _ in gone}
        for token, detached in changed:
            if token not in ended:
                self._tell(token, detached)
        for token, b in gone:  # outside the lock: stopping joins the job threads
            b.shutdown()
            self._tell(token, False)  # forgotten
        return [t for t, _ in gone]

    def _tell(self, token: str, detached: bool) -> None:
        if self._on_detached is not None:
            self._on_detached(token, detached)

    def _active(self, session_id: str) -> bool:
        try:
            return bool(self._is_active(session_id))
        except Exception:  # noqa: BLE001 - a failing check must not kill the reaper: keep the board
            return True

    def tokens(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def close(self) -> None:
        """Stop the reaper and every board (server shutdown, tests)."""
        self._closed.set()
        with self._lock:
            boards = [e.board for e in self._entries.values()]
            self._entries.clear()
        for b in boards:
            b.shutdown()

    def _reap(self, every: float) -> None:
        while not self._closed.wait(every):
            self.sweep()
