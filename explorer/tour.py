"""The guided lecture tour: the lecture note's sections 1 to 7, one step per point, across the pages.

``TOUR`` is the registry: each ``TourStep`` names a page, its texts in the catalogue (``tour.steps.<key>``:
a title that starts with the lecture-note section, "3 · ...", and a short explanation) and a preset
(session keys of explorer/state.py -> values) that makes the point visible as soon as the page opens.
``sidebar()`` (drawn by app.py) shows the step with Back / Next; a press resets the step's page to
its defaults, applies the preset and switches to the page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import MutableMapping

import streamlit as st

from . import i18n, state
from .lang import current, t
from .urlstate import PAGE_PREFIXES, url_keys


@dataclass(frozen=True)
class TourStep:
    """One stop of the tour."""

    page: str  # page file, e.g. "pages/gradient_flow.py" (as registered with st.navigation)
    key: str  # catalogue table tour.steps.<key>: "title" (shown as "Tour 3 of 12 · <title>") and "text"
    preset: dict = field(default_factory=dict)  # session key -> value, applied over the page's defaults

    def title_in(self, lang: str = "en") -> str:
        """The title in ``lang``: the lecture-note section(s), " · ", the point ("3 · The same weights...")."""
        return i18n.text(f"tour.steps.{self.key}.title", lang)

    def text_in(self, lang: str = "en") -> str:
        """What to look at, in ``lang`` (markdown, two or three sentences)."""
        return i18n.text(f"tour.steps.{self.key}.text", lang)

    @property
    def title(self) -> str:
        """The English title (tests and logs)."""
        return self.title_in()

    @property
    def text(self) -> str:
        """The English text."""
        return self.text_in()


_SENTIMENT = {  # the lecture's sentiment unit (as the RNN cell page's button sets it), H = 1
    state.CELL_ENTRIES[("W_xh", 0, 0)]: 2.0, state.CELL_ENTRIES[("W_xh", 0, 1)]: -2.0,
    state.CELL_ENTRIES[("W_hh", 0, 0)]: 1.0, state.CELL_ENTRIES[("b_h", 0, 0)]: 0.0,
    state.CELL_ENTRIES[("W_hy", 0, 0)]: 1.0, state.CELL_ENTRIES[("b_y", 0, 0)]: 0.0,
}

TOUR: tuple[TourStep, ...] = (  # texts: explorer/locales/<lang>.toml, [tour.steps.<key>]
    TourStep("pages/rnn_cell.py", "dynamical_system",
             {state.CELL_KIND: "rnn", state.CELL_HIDDEN: 1, state.CELL_PRESET: "pulse", state.CELL_LENGTH: 20,
              state.CELL_STEP: 6}),
    TourStep("pages/rnn_cell.py", "reads_words",
             {state.CELL_KIND: "rnn", state.CELL_HIDDEN: 1, state.CELL_PRESET: "love/hate", state.CELL_STEP: 3,
              **_SENTIMENT}),
    TourStep("pages/unrolled_graph.py", "shared_weights",
             {state.GRAPH_STRUCTURE: "many-to-many", state.GRAPH_LENGTH: 8, state.GRAPH_MODE: "forward"}),
    TourStep("pages/io_structures.py", "wirings",
             {state.IO_STRUCTURE: "encoder_decoder", state.IO_STEPS: 150}),
    TourStep("pages/unrolled_graph.py", "bptt",
             {state.GRAPH_STRUCTURE: "many-to-one", state.GRAPH_LENGTH: 20, state.GRAPH_MODE: "backward",
              state.GRAPH_KIND: "rnn"}),
    TourStep("pages/training_lab.py", "training_live",
             {state.LAB_TASK: "sine", state.LAB_KIND: "lstm", state.LAB_HIDDEN: 32, state.LAB_SEED: 0}),
    TourStep("pages/gradient_flow.py", "vanishing",
             {state.GF_CELLS: ["rnn"], state.GF_ACT: "tanh", state.GF_RHO: 0.75, state.GF_SEQ_LEN: 200,
              state.GF_BOUND: True, state.GF_TAB: "Gradient flow"}),
    TourStep("pages/gradient_flow.py", "exploding",
             {state.GF_CELLS: ["rnn"], state.GF_ACT: "linear", state.GF_RHO: 1.1, state.GF_SEQ_LEN: 200,
              state.GF_TAB: "Gradient flow"}),
    TourStep("pages/gradient_flow.py", "cliff",
             {state.GF_TAB: "The cliff"}),
    TourStep("pages/dynamics.py", "flipflop",
             {state.DYN_SOURCE: "flipflop", state.DYN_KIND: "lstm", state.DYN_LR: 0.01, state.DYN_SEED: 0}),
    TourStep("pages/comparison.py", "adding",
             {state.CMP_PRESET: "adding_50", state.CMP_TASK: "adding", state.CMP_SEQ_LEN: 50,
              state.CMP_HIDDEN: 32, state.CMP_EQUAL: False, state.CMP_LR: 0.01, state.CMP_BATCH: 64,
              state.CMP_CLIP: 1.0, state.CMP_STEPS: 1200, state.CMP_SEED: 0}),
    TourStep("pages/bidirectional_attention.py", "bidir_attention",
             {state.BI_SHIFT: 2, state.BI_STEPS: 100, state.BI_SEED: 0}),
)


def page_keys(page: str) -> list[str]:
    """The shareable session keys of ``page`` (a page file such as "pages/training_lab.py")."""
    prefix = PAGE_PREFIXES.get(Path(page).stem)
    return [k for k in url_keys() if prefix is not None and k.startswith(prefix)]


def apply_step(step: TourStep, values: MutableMapping) -> None:
    """Reset the step's page to its defaults, then set the preset. Pure: ``values`` is the session."""
    for k in page_keys(step.page):
        d = state.DEFAULTS[k]
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
