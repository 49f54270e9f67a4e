"""The session's state: defaults on the first run, kept across page switches, read with a fallback."""
from __future__ import annotations

import streamlit as st

from .settings import DEFAULTS, PERSISTENT


def init() -> None:
    """Fill in defaults and keep widget values alive across page switches. Call once per run.

    Streamlit drops the state of widgets that are not drawn; re-assigning keeps them."""
    ss = st.session_state
    for k, v in DEFAULTS.items():
        if k not in ss:
            ss[k] = dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
    for k in PERSISTENT:
        ss[k] = ss[k]


def get(key: str):
    """The session's value of ``key``, or its default."""
    return st.session_state.get(key, DEFAULTS.get(key))
