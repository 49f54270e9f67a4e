"""Server-wide and per-session resources, created through Streamlit's resource cache.

- ``limiter()``: one ``JobLimiter`` for the whole server (default limit: the CPU cores).
- ``session_jobs()``: this browser session's ``JobBoard``; when the session ends Streamlit drops
  it and ``on_release`` stops its threads.
"""
from __future__ import annotations

import os

import streamlit as st
import torch

from .jobs import JobBoard, JobLimiter

MAX_JOBS_ENV = "RNNX_MAX_JOBS"  # override the concurrency limit (e.g. for a lecture server)


@st.cache_resource(show_spinner=False)
def limiter() -> JobLimiter:
    # Small models train fastest on one intra-op thread; the cores are shared between jobs.
    torch.set_num_threads(1)
    limit = int(os.environ.get(MAX_JOBS_ENV, 0)) or (os.cpu_count() or 1)
    return JobLimiter(limit)


def _release(board: JobBoard) -> None:
    board.shutdown()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def session_jobs() -> JobBoard:
    return JobBoard()
