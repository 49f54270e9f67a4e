"""Class mode: rooms in which students follow a lecturer's live run. No Streamlit here.

A lecturer's page opens a ``Room`` for its runs: a random code (40 bits, ``CODE_LEN`` characters of
Crockford's base 32), the lecturer's job board and the names of the page's jobs on it (so a
restarted run or a new preset is followed: the room reads whatever job holds the name now).

Followers must cost the server almost nothing, whatever their number. So a follower never builds a
figure: one publisher thread per room builds the page's charts once per probe (curves at most
about once a second) for each language some follower asked for in the last ``WANT_TTL_S``
seconds, and stores them serialised, as a ``Frame`` per language. A follower's refresh takes the
frame of its language (the same bytes for every follower) and the jobs' lock-free ``progress()``.

A room ends when the lecturer ends it or when the lecturer's tab is gone (its board shut down by
``session_boards``); its thread ends with it. ``RoomRegistry`` (one per server, created through
``st.cache_resource`` in ``explorer.jobs.runtime``) finds rooms by code and remembers recently ended
codes, so a student with an old link is told the room ended rather than that it never existed.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

LOG = logging.getLogger("rnn_explorer")
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U (misread aloud)
CODE_LEN = 8  # characters: 40 random bits (the issue asks for at least 30)
PUBLISH_S = 0.5  # seconds between the publisher's looks at the runs (it builds only what changed)
WANT_TTL_S = 10.0  # a language is built while some follower asked for it this recently
FOLLOWER_TTL_S = 5.0  # a follower counts as present while seen this recently
ENDED_KEPT = 1024  # ended codes remembered (to say "this room has ended")
ENDED, LEFT = "ended", "left"  # why a room ended: the lecturer ended it / the lecturer's tab is gone


def new_code() -> str:
    """A fresh random room code (``secrets``: not guessable from earlier codes)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))


def normalize_code(raw) -> str | None:
    """The code a person typed or a link carried, as stored ("abcd-1234" -> "ABCD1234"; O, I, L
    read as 0, 1, 1); None when it cannot be a code."""
    if not isinstance(raw, str):
        return None
    s = raw.strip().upper().replace("-", "").replace(" ", "")
    s = s.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(s) != CODE_LEN or any(c not in CODE_ALPHABET for c in s):
        return None
    return s


def show_code(code: str) -> str:
    """"ABCD1234" -> "ABCD-1234" (easier to read out and to type)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


@dataclass(frozen=True)
class Frame:
    """What followers of one language are sent: serialised charts, built once for all of them."""

    rows: tuple = ()  # ((chart key, ...), ...): the charts' layout, one tuple per row
    specs: dict = field(default_factory=dict)  # chart key -> live-chart JSON (explorer.figures.live)
    groups: tuple = ()  # ((name, UTF-8 JSON bytes of {"rows", "specs"}), ...): what followers draw, one
    # element per group (explorer.app.live_chart.live_chart_group); a group that did not change is the same bytes
    texts: dict = field(default_factory=dict)  # name -> short text shown with the charts (e.g. sampled text)
    keys: dict = field(default_factory=dict)  # what the parts were built from (the feed's own bookkeeping)
    version: int = 0  # increases with every build


# A feed builds a page's frame: (room, language, previous frame or None) -> Frame. It may return the
# previous frame itself when nothing changed.
Feed = Callable[["Room", str, "Frame | None"], Frame]


class Room:
    """One lecturer's shared page.

    Args:
        code: the room's code (``new_code``).
        page: url path of the lecturer's page ("training_lab", "comparison", "dynamics").
        owner: the lecturer's tab token (one room per tab and page).
        board: the lecturer's ``JobBoard``; its ``closed`` event ends the room.
        feed: builds the page's frame (``explorer.views.follow_feeds``).
        publish_s: seconds between the publisher's looks; 0: no thread (tests call ``publish``).
    """

    def __init__(self, code: str, page: str, owner: str, board, feed: Feed, *, publish_s: float = PUBLISH_S,
                 clock=time.monotonic):
        self.code, self.page, self.owner, self.board, self.feed = code, page, owner, board, feed
        self.job_names: tuple = ()  # names of the shared jobs on the board (the page sets them)
        self.settings: dict = {}  # the lecturer page's own settings, as query parameters (for the link)
        self.view: dict = {}  # the lecturer's view options that followers share (e.g. 3-D)
        self.extras: dict = {}  # results the lecturer's page computed and shares (dynamics: fixed points)
        self.end_reason = ""  # ENDED or LEFT once ended
        self.builds = 0  # frames built (tests and the benchmark read it)
        self.errors = 0  # feed failures (logged; followers keep the last frame)
        self._clock = clock
        self._frames: dict[str, Frame] = {}
        self._snaps: dict = {}  # job id -> its snapshot in this publish (shared by the languages' builds)
        self._wanted: dict[str, float] = {}  # language -> last time a follower asked
        self._followers: dict[str, float] = {}  # follower session id -> last seen
        self._ended = threading.Event()
        self._wake = threading.Event()
        self._built = threading.Condition()
        self._thread = None
        if publish_s > 0:
            self._thread = threading.Thread(target=self._run, args=(float(publish_s),), daemon=True,
                                            name=f"rnnx-room-{code}")
            self._thread.start()

    # ---- the lecturer's side ----------------------------------------------------------------------
    def update(self, job_names: tuple, settings: dict | None = None, view: dict | None = None) -> None:
        """What the lecturer's page shares now (called on each of its runs)."""
        self.job_names = tuple(job_names)
        if settings is not None:
            self.settings = dict(settings)
        if view is not None and view != self.view:
            self.view = dict(view)
            self._wake.set()

    def push(self, name: str, value) -> None:
        """Share a result the lecturer's page computed (followers never recompute it)."""
        self.extras[name] = value
        self._wake.set()

    def jobs(self) -> dict:
        """name -> the job under that name on the lecturer's board now (None when there is none)."""
        return {n: self.board.get(n) for n in self.job_names}

    def progress(self) -> dict:
        """name -> ``Progress`` of each shared job (None when there is none), read without locks."""
        return {n: (j.progress() if j is not None else None) for n, j in self.jobs().items()}

    def snapshot(self, job):
        """``job.snapshot()``, taken once per publish for all languages (each snapshot makes the
        training loop hand its lock over)."""
        snap = self._snaps.get(job.id)
        if snap is None:
            snap = self._snaps[job.id] = job.snapshot()
        return snap

    def now(self) -> float:
        """The room's clock (seconds; ``time.monotonic`` unless a test gave another)."""
        return self._clock()

    def followers(self) -> int:
        now = self._clock()
        return sum(1 for t in list(self._followers.values()) if now - t < FOLLOWER_TTL_S)

    # ---- the followers' side ----------------------------------------------------------------------
    def follow(self, session_id: str, lang: str) -> Frame | None:
        """A follower's refresh: note it, and return the latest frame of ``lang`` (None before the
        first is built; the publisher is woken to build it)."""
        now = self._clock()
        self._followers[session_id] = now
        if len(self._followers) > 4096:  # bounded: forget those long gone
            self._followers = {s: t for s, t in self._followers.items() if now - t < FOLLOWER_TTL_S}
        first = lang not in self._wanted
        self._wanted[lang] = now
        frame = self._frames.get(lang)
        if frame is None and first:
            self._wake.set()
        return frame

    def wait_frame(self, lang: str, timeout: float) -> Frame | None:
        """The frame of ``lang``, waiting up to ``timeout`` s for the first one (a follower's first
        page load: charts at once rather than a second later)."""
        end = self._clock() + timeout
        with self._built:
            while lang not in self._frames and not self.ended and self._clock() < end:
                self._built.wait(min(0.1, max(0.0, end - self._clock())))
        return self._frames.get(lang)

    # ---- life -------------------------------------------------------------------------------------
    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def end(self, reason: str = ENDED) -> None:
        if not self._ended.is_set():
            self.end_reason = reason
            self._ended.set()
        self._wake.set()
        self._frames = {}

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the publisher thread to end (after ``end``)."""
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def publish(self) -> int:
        """Build the frames of the languages followers want now; returns how many were built."""
        if self.board.closed.is_set():
            self.end(LEFT)
        if self.ended:
            return 0
        now = self._clock()
        for lang in [l for l, t in list(self._wanted.items()) if now - t >= WANT_TTL_S]:
            self._wanted.pop(lang, None)  # nobody reads it any more: stop building it
            self._frames.pop(lang, None)
        n = 0
        self._snaps = {}
        for lang in list(self._wanted):
            prev = self._frames.get(lang)
            try:
                frame = self.feed(self, lang, prev)
            except Exception:  # noqa: BLE001 - a failed build must not end the room; followers keep the last frame
                self.errors += 1
                LOG.exception("class room %s: building the %s frame failed", self.code, lang)
                continue
            if frame is not prev and not self.ended:
                self._frames[lang] = frame
                self.builds += 1
                n += 1
                with self._built:
                    self._built.notify_all()
        self._snaps = {}  # the histories they hold are not kept between publishes
        return n

    def _run(self, every: float) -> None:
        while not self._ended.is_set():
            self._wake.wait(every)
            self._wake.clear()
            self.publish()


class RoomRegistry:
    """Every room of the server, by code.

    Args:
        feeds: page url path -> ``Feed`` (pages without one cannot be shared).
        publish_s: passed to each ``Room`` (0: no publisher threads; tests call ``Room.publish``).
    """

    def __init__(self, feeds: dict, *, publish_s: float = PUBLISH_S, clock=time.monotonic):
        self.feeds = dict(feeds)
        self.publish_s = publish_s
        self._clock = clock
        self._lock = threading.Lock()
        self._rooms: dict[str, Room] = {}
        self._ended: OrderedDict[str, str] = OrderedDict()  # code -> why it ended (most recent last)

    def open(self, page: str, owner: str, board) -> Room:
        """The lecturer's open room for ``page``, or a new one."""
        if page not in self.feeds:
            raise ValueError(f"page {page!r} cannot be shared (no feed)")
        self.sweep()
        with self._lock:
            for r in self._rooms.values():
                if r.owner == owner and r.page == page and r.board is board:
                    return r
            code = new_code()
            while code in self._rooms or code in self._ended:
                code = new_code()
            room = self._rooms[code] = Room(code, page, owner, board, self.feeds[page], publish_s=self.publish_s,
                                            clock=self._clock)
            return room

    def get(self, raw_code) -> Room | None:
        """The open room of a code as typed or linked; None when unknown, ended or malformed."""
        code = normalize_code(raw_code)
        if code is None:
            return None
        with self._lock:
            room = self._rooms.get(code)
        if room is not None and (room.ended or room.board.closed.is_set()):
            self._retire(room, LEFT)
            return None
        return room

    def why_closed(self, raw_code) -> str | None:
        """ENDED or LEFT for a recently ended room's code, else None (never existed, or long gone)."""
        code = normalize_code(raw_code)
        with self._lock:
            return self._ended.get(code) if code else None

    def of(self, owner: str, page: str) -> Room | None:
        """The open room of the lecturer's tab ``owner`` on ``page``."""
        self.sweep()
        with self._lock:
            return next((r for r in self._rooms.values() if r.owner == owner and r.page == page), None)

    def end(self, code: str, reason: str = ENDED) -> None:
        with self._lock:
            room = self._rooms.get(code)
        if room is not None:
            self._retire(room, reason)

    def _retire(self, room: Room, reason: str) -> None:
        room.end(reason)
        with self._lock:
            if self._rooms.get(room.code) is room:
                del self._rooms[room.code]
                self._ended[room.code] = room.end_reason
                while len(self._ended) > ENDED_KEPT:
                    self._ended.popitem(last=False)

    def sweep(self) -> None:
        """Retire the rooms whose lecturer's tab is gone (their boards were shut down)."""
        with self._lock:
            gone = [r for r in self._rooms.values() if r.ended or r.board.closed.is_set()]
        for r in gone:
            self._retire(r, LEFT)

    def rooms(self) -> list[Room]:
        with self._lock:
            return list(self._rooms.values())

    def close(self) -> None:
        """End every room (server shutdown, tests)."""
        for r in self.rooms():
            self._retire(r, ENDED)
            r.join()
