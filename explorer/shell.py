"""Routing guard: ``st.navigation`` in app.py is the only page registry.

Streamlit treats a ``pages/`` folder beside the entry script as its older automatic multipage
mode until the first ``st.navigation`` call: in that mode a URL such as ``/training_lab`` runs the
page script WITHOUT app.py (no navigation, no sidebar, no session defaults). The project layout
keeps ``pages/``, so (1) our URL paths differ from the file names (explorer/nav.py), so that mode
never matches a page and falls back to app.py; (2) we switch the mode off; (3) should a page still
run outside app.py, it asks for a rerun through app.py.
"""
from __future__ import annotations

import streamlit as st

from . import state


def disable_pages_folder_mode() -> None:
    """Turn Streamlit's older pages/-folder mode off for this process (app.py calls this)."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the old mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False


def use_navigation_only() -> None:
    """Call first in every page: reruns through app.py when this run skipped it."""
    disable_pages_folder_mode()
    if not st.session_state.get(state.IN_SHELL):
        st.rerun()
