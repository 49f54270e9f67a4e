"""Routing guard: ``st.navigation`` in app.py is the only page registry.

Streamlit treats a ``pages/`` folder beside the entry script as its older automatic multipage
mode: then a URL such as ``/training_lab`` runs that page script WITHOUT app.py (no navigation,
no sidebar, no session defaults), and st.navigation is nested inside it. The project layout keeps
``pages/``, so we switch that mode off (a process-wide flag Streamlit sets once) and, when a run
already skipped app.py, run again through it.
"""
from __future__ import annotations

import streamlit as st

from . import state


def use_navigation_only() -> None:
    """Call first in app.py and at the top of every page."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the old mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
    if state.PRESENTER not in st.session_state:  # app.py has not run in this session yet
        st.rerun()
