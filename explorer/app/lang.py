"""The session's language for pages: ``t(key, **values)`` is ``i18n.text`` in that language."""
from __future__ import annotations

import streamlit as st

from . import i18n, state


def current() -> str:
    """The session's language code ("en" or "ko")."""
    return i18n.normalize(st.session_state.get(state.LANG))


def t(key: str, /, **values) -> str:
    """The text of ``key`` in the session's language (see ``explorer.app.i18n.text``)."""
    return i18n.text(key, current(), **values)


def fmt(prefix: str):
    """A ``format_func`` for option widgets: option -> the text of ``prefix.<option>``."""
    lang = current()
    return lambda opt: i18n.text(f"{prefix}.{opt}", lang)
