"""The guided lecture tour in the sidebar; its stops are ``explorer.app.tour_steps.TOUR``.

``sidebar()`` (drawn by app.py) shows the step with Back / Next; a press resets the step's page to
its defaults, applies the preset and switches to the page.
"""
from __future__ import annotations

from pathlib import Path
from typing import MutableMapping

import streamlit as st

from . import state
from .lang import current, t
from .tour_steps import TOUR, TourStep
from .settings import DEFAULTS
from .urlstate import page_keys as _url_page_keys


def page_keys(page: str) -> list[str]:
    """The shareable session keys of ``page`` (a page file such as "pages/training_lab.py")."""
    return _url_page_keys(Path(page).stem)


def apply_step(step: TourStep, values: MutableMapping) -> None:
    """Reset the step's page to its defaults, then set the preset. Pure: ``values`` is the session."""
    for k in page_keys(step.page):
        d = DEFAULTS[k]
        values[k] = list(d) if isinstance(d, list) else d
    for k, v in step.preset.items():
        values[k] = list(v) if isinstance(v, list) else v


def _go(i: int) -> None:
    ss = st.session_state
    ss[state.TOUR_STEP] = i
    step = TOUR[i]
    apply_step(step, ss)
    st.switch_page(step.page)


def sidebar() -> None:
    """The tour's box in the sidebar: start, or the current step with Back / Next / End.
    Call inside ``with st.sidebar`` before the page runs (a press switches page at once)."""
    ss = st.session_state
    i = int(ss[state.TOUR_STEP])
    lang = current()
    with st.container(border=True):
        if not 0 <= i < len(TOUR):
            st.markdown(t("tour.heading"))
            st.caption(t("tour.intro", n=len(TOUR)))
            if st.button(t("tour.start"), key=state.TOUR_BTN_START, icon=":material/school:",
                         use_container_width=True):
                _go(0)
            return
        step = TOUR[i]
        st.markdown(t("tour.step_line", i=i + 1, n=len(TOUR), title=step.title_in(lang)))
        st.markdown(step.text_in(lang))
        c = st.columns(2)
        back = c[0].button(t("tour.back"), key=state.TOUR_BTN_BACK, icon=":material/arrow_back:", disabled=i == 0,
                           use_container_width=True)
        nxt = c[1].button(t("tour.next"), key=state.TOUR_BTN_NEXT, icon=":material/arrow_forward:", type="primary",
                          disabled=i == len(TOUR) - 1, use_container_width=True)
        end = st.button(t("tour.end"), key=state.TOUR_BTN_END, icon=":material/close:", type="tertiary")
        if back:
            _go(i - 1)
        if nxt:
            _go(i + 1)
        if end:
            ss[state.TOUR_STEP] = -1
            st.rerun()
