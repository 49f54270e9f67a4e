"""The pages' edge: an unexpected error becomes a short message in the reader's language with an
error id; the full trace goes to the server log under the same id. Streamlit's own control flow
(``st.stop``, ``st.rerun``, ``st.switch_page``, a fragment that handled its error) passes through.
"""
from __future__ import annotations

import logging
import sys
import uuid
from typing import Callable

import streamlit as st
from streamlit.errors import FragmentHandledException

from .lang import t

LOGGER = "rnn_explorer"  # the server log's logger name (its handler writes to stderr)


def logger() -> logging.Logger:
    """The app's logger, with a stderr handler unless one is configured already."""
    log = logging.getLogger(LOGGER)
    if not log.handlers:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(h)
        log.setLevel(logging.INFO)
    return log


def is_control_flow(e: BaseException) -> bool:
    """Streamlit's own exceptions that steer a script run (never shown, never logged as errors)."""
    return (not isinstance(e, Exception) or isinstance(e, FragmentHandledException)
            or type(e).__module__.startswith("streamlit.runtime.scriptrunner"))


def report(e: BaseException, where: str) -> str:
    """Log ``e`` with its trace under a new error id; returns the id."""
    eid = uuid.uuid4().hex[:8]
    logger().error("error %s on %s: %s: %s", eid, where, type(e).__name__, e, exc_info=e)
    return eid


def guarded(run: Callable[[], object], where: str) -> None:
    """Run ``run`` (a page); an unexpected error shows a short message and its id instead of a trace."""
    try:
        run()
    except Exception as e:  # noqa: BLE001 - the edge of every page
        if is_control_flow(e):
            raise
        st.error(t("app.unexpected_error", id=report(e, where)), icon=":material/error:")
