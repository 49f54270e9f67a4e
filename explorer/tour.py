"""The guided lecture tour: the lecture note's sections 1 to 7, one step per point, across the pages.

``TOUR`` is the registry: each ``TourStep`` names a page, a short explanation and a preset (session
keys of explorer/state.py -> values) that makes the point visible as soon as the page opens.
``sidebar()`` (drawn by app.py) shows the step with Back / Next; a press resets the step's page to
its defaults, applies the preset and switches to the page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import MutableMapping

import streamlit as st

from . import state
from .urlstate import PAGE_PREFIXES, url_keys


@dataclass(frozen=True)
class TourStep:
    """One stop of the tour."""

    page: str  # page file, e.g. "pages/gradient_flow.py" (as registered with st.navigation)
    title: str  # shown as "Tour 3 of 11 · <title>"
    text: str  # what to look at (markdown, two or three sentences)
    preset: dict = field(default_factory=dict)  # session key -> value, applied over the page's defaults


_SENTIMENT = {  # the lecture's sentiment unit (as the RNN cell page's button sets it), H = 1
    state.CELL_ENTRIES[("W_xh", 0, 0)]: 2.0, state.CELL_ENTRIES[("W_xh", 0, 1)]: -2.0,
    state.CELL_ENTRIES[("W_hh", 0, 0)]: 1.0, state.CELL_ENTRIES[("b_h", 0, 0)]: 0.0,
    state.CELL_ENTRIES[("W_hy", 0, 0)]: 1.0, state.CELL_ENTRIES[("b_y", 0, 0)]: 0.0,
}

TOUR: tuple[TourStep, ...] = (
    TourStep("pages/rnn_cell.py", "1 · An RNN is a dynamical system",
             "One hidden unit, h_t = tanh(1.1·h_(t−1) + x_t·w + b): the cobweb draws the map h → F(h, x_t). "
             "Where the curve crosses the diagonal is a fixed point; a slope above 1 there makes it unstable. "
             "Move **Time step t** and watch the pulse push the state.",
             {state.CELL_HIDDEN: 1, state.CELL_PRESET: "pulse", state.CELL_LENGTH: 20, state.CELL_STEP: 6}),
    TourStep("pages/rnn_cell.py", "2 · The cell reads words",
             "Row 1 of W_xh is how the unit reads a word: +2 on *love*, −2 on *hate*. W_hh = 1 carries the "
             "running sentiment forward. Step through the sentence: *love* pushes the state up, *hate* down.",
             {state.CELL_HIDDEN: 1, state.CELL_PRESET: "love/hate", state.CELL_STEP: 3, **_SENTIMENT}),
    TourStep("pages/unrolled_graph.py", "3 · The same weights at every step",
             "Unrolled over 8 steps the RNN is a deep feed-forward graph, but each colour is ONE matrix: "
             "W_xh, W_hh and W_hy are shared by every step, so any sequence length works.",
             {state.GRAPH_STRUCTURE: "many-to-many", state.GRAPH_LENGTH: 8, state.GRAPH_MODE: "forward"}),
    TourStep("pages/io_structures.py", "4 · Five wirings of one cell",
             "One-to-one, one-to-many, many-to-one, many-to-many and encoder-decoder. Shown: the "
             "encoder-decoder, which reads a whole sequence before it answers. Press **Train this example** "
             "(a few seconds), then pick another structure.",
             {state.IO_STRUCTURE: "encoder_decoder", state.IO_STEPS: 150}),
    TourStep("pages/unrolled_graph.py", "5 · Backpropagation through time",
             "Backward mode: edge width is the gradient each edge carries back from the loss at the end. "
             "Below, ∂L/∂W_hh is the SUM of every step's share, checked against autograd.",
             {state.GRAPH_STRUCTURE: "many-to-one", state.GRAPH_LENGTH: 20, state.GRAPH_MODE: "backward",
              state.GRAPH_KIND: "rnn"}),
    TourStep("pages/training_lab.py", "5 · Training, live",
             "An LSTM learns to continue a sine wave. Press **Train**: the loss falls, the predictions "
             "lock on, and the hidden states settle into a loop in state space.",
             {state.LAB_TASK: "sine", state.LAB_KIND: "lstm", state.LAB_HIDDEN: 32, state.LAB_SEED: 0}),
    TourStep("pages/gradient_flow.py", "6 · Vanishing gradients at ρ = 0.75",
             "A tanh RNN with spectral radius ρ(W_hh) = 0.75: ‖∂L/∂h_t‖ falls by orders of magnitude going "
             "back from the end, under Pascanu's bound. Early inputs cannot be learned.",
             {state.GF_CELLS: ["rnn"], state.GF_ACT: "tanh", state.GF_RHO: 0.75, state.GF_SEQ_LEN: 200,
              state.GF_BOUND: True, state.GF_TAB: "Gradient flow"}),
    TourStep("pages/gradient_flow.py", "6 · Exploding gradients at ρ = 1.1",
             "A linear RNN with ρ = 1.1: nothing saturates, so the gradient grows like 1.1^(T−t) going back. "
             "Add the LSTM and GRU under **Cells** to compare.",
             {state.GF_CELLS: ["rnn"], state.GF_ACT: "linear", state.GF_RHO: 1.1, state.GF_SEQ_LEN: 200,
              state.GF_TAB: "Gradient flow"}),
    TourStep("pages/gradient_flow.py", "6 · Cliffs and clipping",
             "Pascanu's single unit: a wall in the loss surface. Without clipping one step jumps far away; "
             "clipping keeps the direction and bounds the step.",
             {state.GF_TAB: "The cliff"}),
    TourStep("pages/dynamics.py", "1, 6 · Flip-flop attractors",
             "Three bits of memory. Press **Train**: a trained network stores each of the 8 memories as a "
             "stable fixed point of h → F(h, 0), found and drawn in state space.",
             {state.DYN_SOURCE: "flipflop", state.DYN_KIND: "lstm", state.DYN_LR: 0.01, state.DYN_SEED: 0}),
    TourStep("pages/comparison.py", "7 · LSTM and GRU solve the adding problem",
             "The three cells on the same batches, same seed, same budget. Press **Train all three**: the "
             "LSTM and GRU get far below the baseline MSE of 0.167, the vanilla RNN stays on it.",
             {state.CMP_PRESET: "adding_50", state.CMP_TASK: "adding", state.CMP_SEQ_LEN: 50,
              state.CMP_HIDDEN: 32, state.CMP_EQUAL: False, state.CMP_LR: 0.01, state.CMP_BATCH: 64,
              state.CMP_CLIP: 1.0, state.CMP_STEPS: 1200, state.CMP_SEED: 0}),
    TourStep("pages/bidirectional_attention.py", "7 · Bidirectional RNNs and attention",
             "Label each step by the sign of the input 2 steps LATER: a one-way RNN can only guess, the "
             "backward chain has seen it. Press **Train both**; below, attention learns where to look.",
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
    with st.container(border=True):
        if not 0 <= i < len(TOUR):
            st.markdown("**Lecture tour**")
            st.caption(f"{len(TOUR)} steps through the lecture note's sections 1 to 7, each with settings "
                       "that show the point at once.")
            if st.button("Start the tour", key=state.TOUR_BTN_START, icon=":material/school:",
                         use_container_width=True):
                _go(0)
            return
        step = TOUR[i]
        st.markdown(f"**Tour {i + 1} of {len(TOUR)} · {step.title}**")
        st.markdown(step.text)
        c = st.columns(2)
        back = c[0].button("Back", key=state.TOUR_BTN_BACK, icon=":material/arrow_back:", disabled=i == 0,
                           use_container_width=True)
        nxt = c[1].button("Next", key=state.TOUR_BTN_NEXT, icon=":material/arrow_forward:", type="primary",
                          disabled=i == len(TOUR) - 1, use_container_width=True)
        end = st.button("End the tour", key=state.TOUR_BTN_END, icon=":material/close:", type="tertiary")
        if back:
            _go(i - 1)
        if nxt:
            _go(i + 1)
        if end:
            ss[state.TOUR_STEP] = -1
            st.rerun()
