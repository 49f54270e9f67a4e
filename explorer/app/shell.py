"""Routing guard: ``st.navigation`` in app.py is the only page registry.

Streamlit treats a ``pages/`` folder beside the entry script as its older automatic multipage
mode until the first ``st.navigation`` call: in that mode a URL such as ``/training_lab`` runs the
page script WITHOUT app.py (no navigation, no sidebar, no session defaults). The project layout
keeps ``pages/``, so app.py switches that mode off, and a page that finds itself running outside
app.py runs app.py in its place (same run, so a button press is not lost) and stops. (Streamlit's
AppTest turns the mode back on before every run, so this path is taken there too.)
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parents[2] / "app.py"


def disable_pages_folder_mode() -> None:
    """Turn Streamlit's older pages/-folder mode off for this process (app.py calls this)."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the old mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False


def _inside_app() -> bool:
    """Is app.py on the call stack (i.e. did its ``nav.run()`` start this page)?"""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.endswith("app.py") and Path(name).resolve() == APP:
            return True
        frame = frame.f_back
    return False


def use_navigation_only() -> None:
    """Call first in every page: when this run skipped app.py, run app.py instead and stop."""
    disable_pages_folder_mode()
    if not _inside_app():
        runpy.run_path(str(APP), run_name="__page__")  # app.py then runs this page inside it
        st.stop()
