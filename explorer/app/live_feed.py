"""Live feeds: a session's live charts refreshed over a stream of their own, without reruns.

A timed fragment that redraws live charts costs the browser a Streamlit rerun each time (its
React tree, styles and layout: about 0.06 of a core per rerun a second on a 2-core laptop, which
is the core a training run on the same laptop wants). So each session has a ``Feed``: the pages
publish to it how their live figures are built (``live_figures``: chart key -> figure, no ``st``
calls), and a server-sent-events route (``routes()``, mounted by app.py's ``st.App``) builds
them at the page's cadence in the server and streams each chart what changed
(``explorer.app.live_updates``: the same revisions and patches a fragment's rerun would send).
While a stream is open, the page's fragments rerun only slowly (``cadence``: status line, run
changes); where there is none (AppTest, a proxy that drops the stream), they draw as before.

The browser half is in ``explorer.app.live_chart`` (one EventSource per session, shared by the
page's charts). A feed lives as long as its session (a session-scoped resource); the route finds
it by a random token that only its session's page knows.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import anyio
import streamlit as st
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from .live_updates import forget, fragment_rerun, next_message

STREAM_PATH = "/rnnx/live/{token}"  # the route; the page asks for it relative to itself (a base path works)
SLOW_S = 1.0  # a fragment's cadence while a stream carries its charts (status line, run changes)
MAX_WAIT_S = 1.0  # the stream looks for new sources at least this often
KEEPALIVE_S = 15.0  # an idle stream sends a comment this often (a closed tab is noticed, proxies keep it)
RETRY_MS = 2000  # the browser reconnects after this (SSE ``retry:``)
STREAMED = object()  # in place of a figure: the stream brings this chart's figures

_LOG = logging.getLogger(__name__)


@dataclass
class _Source:
    """One published group of live charts: rebuilt every ``every_s`` seconds by ``build``."""
    every_s: float  # seconds between refreshes
    build: Callable[[], dict]  # chart key -> plotly figure; no st calls (runs in the feed's thread)
    due: float = 0.0  # time.monotonic() of the next refresh


class Feed:
    """One session's live charts: what each last sent (shared by script runs and the stream), the
    sources the page published, and how many streams are open. Thread-safe: script runs, the
    stream's worker thread and the event loop all use it."""

    def __init__(self, token: str):
        self.token = token  # the stream route's key (secret to the session's page)
        self.lock = threading.Lock()  # guards sent and _sources
        self.sent: dict = {}  # chart key -> what it last sent (explorer.app.live_updates)
        self._sources: dict[str, _Source] = {}
        self._streams = 0  # open stream connections
        self.generation = 0  # the newest stream's number: an older one (a lingering reconnect) ends
        self.closed = False  # the session ended: its streams end

    @property
    def url(self) -> str:
        """The stream's address relative to the page."""
        return STREAM_PATH.lstrip("/").format(token=self.token)

    @property
    def streaming(self) -> bool:
        """Is a stream open (its charts need no reruns)?"""
        return self._streams > 0 and not self.closed

    def begin_run(self) -> None:
        """A full script run: the page publishes again what it shows (another page: nothing)."""
        with self.lock:
            self._sources.clear()

    def publish(self, name: str, build: Callable[[], dict], every_s: float | None) -> None:
        """Stream the charts ``build`` makes every ``every_s`` seconds (None: stop)."""
        with self.lock:
            if every_s is None:
                self._sources.pop(name, None)
                return
            old = self._sources.get(name)
            self._sources[name] = _Source(every_s, build, old.due if old is not None else 0.0)

    def forget(self, key: str) -> None:
        """The browser asked for chart ``key``'s whole figure: the next message brings it."""
        with self.lock:
            forget(self.sent, key)

    def connect(self) -> int:
        """A stream opened: its first message for each chart is the whole figure (the page may be
        new). Returns its generation: a stream whose generation is no longer the feed's ends (the
        charts' messages must all go down one stream, or patches would miss their bases)."""
        with self.lock:
            self._streams += 1
            self.generation += 1
            for key in list(self.sent):
                forget(self.sent, key)
            for src in self._sources.values():
                src.due = 0.0
            return self.generation

    def disconnect(self) -> None:
        with self.lock:
            self._streams -= 1

    def tick(self, now: float | None = None) -> list[str]:
        """Build the sources that are due and return their charts' messages as SSE events
        (``data:`` lines: chart key, "spec" or "patch", the JSON text)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            due = [(n, s) for n, s in self._sources.items() if s.due <= now]
            for _, s in due:
                s.due = now + s.every_s
        events = []
        for name, src in due:
            try:
                figs = src.build()
            except Exception:  # a figure that cannot be built must not end the stream
                _LOG.exception("live feed %s: building %s failed", self.token[:6], name)
                self.publish(name, src.build, None)
                continue
            with self.lock:
                for key, fig in figs.items():
                    msg = next_message(self.sent, key, fig, partial=True) if fig is not None else None
                    if msg is not None:
                        kind, text = next(iter(msg.items()))
                        events.append(f"data: {key}\ndata: {kind}\ndata: {text}\n\n")
        return events

    def wait_s(self, now: float | None = None) -> float:
        """Seconds until the next source is due (at most ``MAX_WAIT_S``)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            dues = [s.due for s in self._sources.values()]
        return max(0.0, min([MAX_WAIT_S] + [d - now for d in dues]))


class FeedHub:
    """The server's feeds by token (the stream route looks them up)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._feeds: dict[str, Feed] = {}

    def add(self, feed: Feed) -> None:
        with self._lock:
            self._feeds[feed.token] = feed

    def get(self, token: str) -> Feed | None:
        with self._lock:
            return self._feeds.get(token)

    def remove(self, feed: Feed) -> None:
        feed.closed = True
        with self._lock:
            if self._feeds.get(feed.token) is feed:
                del self._feeds[feed.token]

    def __len__(self) -> int:
        with self._lock:
            return len(self._feeds)


@st.cache_resource(show_spinner=False)
def hub() -> FeedHub:
    """The server's one ``FeedHub`` (the script runs and the stream route both use it)."""
    return FeedHub()


def _release(feed: Feed) -> None:
    hub().remove(feed)


@st.cache_resource(show_spinner=False, scope="session", on_release=_release)
def session_feed() -> Feed:
    """This session's feed (a new one, under a new token, after the session's resources are released)."""
    feed = Feed(secrets.token_hex(16))
    hub().add(feed)
    return feed


def live_figures(name: str, build: Callable[[], dict], every_s: float | None,
                 now: Callable[[], dict] | None = None) -> dict:
    """The figures a timed fragment draws as live charts (call it in the fragment).

    Publishes ``build`` to the session's feed, to be streamed every ``every_s`` seconds (None: not
    refreshed), and returns what to draw in this run: ``build()`` on a full run, while no stream is
    open or when nothing is streamed; on a fragment's rerun while the stream carries these charts,
    ``STREAMED`` for every key (nothing is built: the stream brings the figures).

    Args:
        name: the group's name in the feed (unique on the page).
        build: () -> {chart key: plotly figure}; no ``st`` calls (it also runs in the feed's thread).
        every_s: seconds between refreshes while the page is open.
        now: builds the figures drawn in this run, if not ``build`` (the presenter's restyling).
    """
    feed = session_feed()
    feed.publish(name, build, every_s)
    if every_s is not None and feed.streaming and fragment_rerun():
        return defaultdict(lambda: STREAMED)
    return (now or build)()


def streaming() -> bool:
    """Does a stream carry this session's live charts now (a page's fragments compare it with the
    value their timers were set for, and rerun the page when it changed)?"""
    return session_feed().streaming


def cadence(every_s: float | None, streaming: bool, slow_s: float = SLOW_S) -> float | None:
    """A live fragment's ``run_every``: ``every_s``, or ``slow_s`` while a stream carries its charts
    (what else the fragment shows sets how slow it may be)."""
    if every_s is None or not streaming:
        return every_s
    return max(every_s, slow_s)


async def _events(feed: Feed):
    generation = feed.connect()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        idle_since = time.monotonic()
        while not feed.closed and feed.generation == generation:
            events = await anyio.to_thread.run_sync(feed.tick)
            if events:
                idle_since = time.monotonic()
                yield "".join(events)
            elif time.monotonic() - idle_since > KEEPALIVE_S:
                idle_since = time.monotonic()
                yield ": idle\n\n"
            await asyncio.sleep(feed.wait_s())
    finally:
        feed.disconnect()


async def _stream(request: Request):
    feed = hub().get(request.path_params["token"])
    if feed is None:  # an ended session (its page reconnects and gets a new feed)
        return PlainTextResponse("no such live feed", status_code=404)
    return StreamingResponse(_events(feed), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def routes() -> list[Route]:
    """The stream route, for app.py's ``st.App`` (under ``server.baseUrlPath``, as Streamlit's own
    routes are: the page asks for it relative to itself)."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return [Route(f"/{base}{STREAM_PATH}" if base else STREAM_PATH, _stream)]
