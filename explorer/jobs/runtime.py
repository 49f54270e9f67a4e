"""Server-wide and per-session resources, created through Streamlit's resource cache.

- ``limiter()``: one ``JobLimiter`` for the whole server (default limit: the CPU cores).
- ``rooms()``: class mode's ``RoomRegistry`` (one for the whole server).
- ``session_jobs()``: this browser tab's ``JobBoard``. It is NOT a session-scoped resource:
  Streamlit releases those on every disconnect and a reload is a new session, so a run ended on
  each network blip and each reload. Boards live in a server-wide ``BoardRegistry`` keyed by a
  per-tab token that the tab keeps in its ``sessionStorage`` (``sync_tab``), and are shut down
  once no session using them has been connected for Streamlit's reconnection TTL
  (``server.disconnectedSessionTTL``; ``RNNX_RECONNECT_S`` overrides it).
"""
from __future__ import annotations

import gc
import os
import re
import sys
import uuid

import streamlit as st
import torch

from ..app import state
from .job_board import JobBoard
from .concurrency import JobLimiter
from .rooms import RoomRegistry
from .session_boards import BoardRegistry

MAX_JOBS_ENV = "RNNX_MAX_JOBS"  # override the concurrency limit (e.g. for a lecture server)
GC_THRESHOLDS = (700, 10, 100)  # the server's cycle collector: full collections 10x rarer (Python's: 700, 10, 10)
SWITCH_S = 0.001  # the server's GIL switch interval (Python's: 0.005 s); see tune_server()
RECONNECT_ENV = "RNNX_RECONNECT_S"  # seconds a tab's runs outlive its last connection (default: Streamlit's TTL)
TOKEN_RE = re.compile(r"[0-9a-f]{32}")

# Runs in the page on every script run: the tab's token lives in sessionStorage (per tab, kept
# across reloads, not in links). A tab that already has one sends it back; a new tab stores the
# server's.
_TOKEN_JS = r"""
export default function ({ data, setTriggerValue }) {
  const KEY = "rnnx.tab_token";
  let stored = null;
  try { stored = window.sessionStorage.getItem(KEY); } catch (e) { return; }
  if (!stored) {
    window.sessionStorage.setItem(KEY, data.token);
  } else if (stored !== data.token) {
    setTriggerValue("token", stored);
  }
}
"""


@st.cache_resource(show_spinner=False)
def tune_server() -> bool:
    """Once per server (app.py, before the first page), for a server that many tabs share (class
    mode: ``bench/load_ws.py --followers 60``). Training runs in worker processes, so what is left
    under the server's GIL is its event loop and the script runs; the event loop must get the GIL
    quickly:

    - the GIL's switch interval is 1 ms (Python's: 5 ms): Streamlit starts a thread for every
      script run and its event loop waits until that thread has started; the health check's median
      went from 14-19 ms to 6-10 ms;
    - what is alive now (the modules: streamlit, plotly, torch, the app) is collected once and then
      frozen out of the cycle collector's sight, whose full collections held the GIL for 240-300 ms
      every few seconds, scanning all of it; full collections are also made rarer
      (``GC_THRESHOLDS``). Objects made later are collected as usual; frozen ones are never freed
      by a cycle collection, so this runs once, not periodically."""
    sys.setswitchinterval(SWITCH_S)
    if gc.get_freeze_count() == 0:  # once per process (tests clear the resource cache between pages)
        gc.collect()
        gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return True


@st.cache_resource(show_spinner=False)
def limiter() -> JobLimiter:
    # Small models train fastest on one intra-op thread; the cores are shared between jobs.
    torch.set_num_threads(1)
    limit = int(os.environ.get(MAX_JOBS_ENV, 0)) or (os.cpu_count() or 1)
    return JobLimiter(limit)


def _is_active(session_id: str) -> bool:
    """Is this Streamlit session connected now? (Without a server runtime, e.g. AppTest: yes.)"""
    from streamlit.runtime import Runtime
    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


def _close(registry: BoardRegistry) -> None:
    registry.close()


@st.cache_resource(show_spinner=False, on_release=_close)  # cleared (tests): stop the reaper and the jobs
def boards() -> BoardRegistry:
    ttl = float(os.environ.get(RECONNECT_ENV) or st.get_option("server.disconnectedSessionTTL"))
    return BoardRegistry(ttl, _is_active, sweep_s=min(5.0, max(0.5, ttl / 4)), on_detached=limiter().set_detached)


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "local"


def tab_token() -> str:
    """This tab's board token (a new random one until the tab sends the one it keeps)."""
    ss = st.session_state
    if not TOKEN_RE.fullmatch(str(ss.get(state.TAB_TOKEN) or "")):
        ss[state.TAB_TOKEN] = uuid.uuid4().hex
    return ss[state.TAB_TOKEN]


@st.cache_resource(show_spinner=False)
def _token_component():
    return st.components.v2.component("rnnx_tab_token", js=_TOKEN_JS, isolate_styles=False)


def sync_tab() -> None:
    """Mount the token keeper (app.py, before the page); adopt the tab's token when it sends one,
    so a reloaded page finds its runs."""
    mine = tab_token()
    with st.sidebar:
        out = _token_component()(key="rnnx_tab_token", data={"token": mine}, on_token_change=lambda: None,
                                 height=0)
    sent = getattr(out, "token", None) if out is not None else None
    if isinstance(sent, str) and TOKEN_RE.fullmatch(sent) and sent != mine:
        boards().forget_if_empty(mine)
        st.session_state[state.TAB_TOKEN] = sent


def session_jobs() -> JobBoard:
    return boards().board(tab_token(), _session_id())


def session_id() -> str:
    """This Streamlit session's id ("local" outside a server run)."""
    return _session_id()


def _end_rooms(registry: RoomRegistry) -> None:
    registry.close()


@st.cache_resource(show_spinner=False, on_release=_end_rooms)  # cleared (tests): end the rooms and their threads
def rooms() -> RoomRegistry:
    """Class mode's rooms, one registry for the whole server (explorer/jobs/rooms.py)."""
    from ..views.follow_feeds import FEEDS
    return RoomRegistry(FEEDS)
