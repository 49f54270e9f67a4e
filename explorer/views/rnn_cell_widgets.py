"""Controls of the RNN cell page shared by its three cells: a weight block (sliders or a typed
matrix), the play/stop button, and the weights of the lecture's sentiment unit."""
from __future__ import annotations

import time

import streamlit as st

from core import tiny_rnn as tr

from . import rnn_cell as V
from . import rnn_cell_gated as GV
from ..app import state
from ..app.lang import t
from ..app import settings as ST


def block_editor(title: str, name: str, shape: tuple, rows: list, text_key: str, *, typed: bool,
                 step: float, lang: str) -> None:
    """One weight block: a title, then one slider per entry or one text box for the whole matrix.

    Args:
        title: markdown above the block (LaTeX name and shape).
        name: plain name of the block in slider labels ("W_xh", "b_f").
        shape: (rows, cols) or (n,); rows: widget keys of the entries, as rows.
        text_key: the session key of the typed matrix.
        typed: a text box instead of sliders; step: the sliders' step (their range: explorer/app/settings.py).
        lang: language of a parse error.
    """
    ss = st.session_state
    st.markdown(title)
    if not typed:
        for i, row in enumerate(rows):
            for j, key in enumerate(row):
                idx = f"{i + 1}" if len(row) == 1 else f"{i + 1},{j + 1}"
                st.slider(f"{name}[{idx}]", *ST.bounds(key), step=step, key=key)
        return
    if not ss[text_key]:
        ss[text_key] = tr.format_matrix([[ss[k] for k in row] for row in rows])
    st.text_input(t("cell.matrix_input", name=name), key=text_key, label_visibility="collapsed")
    try:
        m = tr.parse_matrix(ss[text_key], shape)
        for key, v in zip(sum(rows, []), m.reshape(-1)):
            ss[key] = float(v)
    except ValueError as e:
        st.error(V.error_text(e, lang))


def to_typed() -> None:
    """Switching to typed matrices (or changing H or F): start the text boxes from the slider values."""
    ss = st.session_state
    if ss[state.CELL_WEIGHT_MODE] != "typed":
        return
    H, F = int(ss[state.CELL_HIDDEN]), V.effective_input_size(ss[state.CELL_PRESET], int(ss[state.CELL_INPUTS]))
    for key, txt in GV.typed_texts(ss, ss[state.CELL_KIND], H, F).items():
        ss[key] = txt


def load_sentiment() -> None:
    """The lecture's sentiment unit for the cell on show: love/hate input, unit 1 reads love up and
    hate down and keeps its value across the other words."""
    ss = st.session_state
    ss[state.CELL_PRESET] = "love/hate"
    kind = ss[state.CELL_KIND]
    if kind == "rnn":
        for key, v in {("W_xh", 0, 0): 2.0, ("W_xh", 0, 1): -2.0, ("W_hh", 0, 0): 1.0, ("b_h", 0, 0): 0.0,
                       ("W_hy", 0, 0): 1.0, ("b_y", 0, 0): 0.0}.items():
            ss[state.CELL_ENTRIES[key]] = v
        for j in (1, 2):  # unit 0 listens only to itself
            ss[state.CELL_ENTRIES[("W_hh", 0, j)]] = 0.0
    else:
        ss.update(GV.sentiment_values(ss, kind))
    ss[state.CELL_STEP] = 0
    to_typed()


def press_play() -> None:
    """The play/stop button's callback (``rnn_cell_gated.press_play`` on the session's state)."""
    ss = st.session_state
    T = GV.sequence_length(ss)
    ss[state.CELL_STEP], ss[state.CELL_PLAYING] = GV.press_play(int(ss[state.CELL_STEP]), T, ss[state.CELL_PLAYING])
    ss[state.CELL_PLAY_TICK] = time.monotonic()


def hold_tick() -> None:
    """On a whole-page run: the next step is a play interval away (only the timer steps, never a
    rerun of the page for another reason, such as pressing play)."""
    st.session_state[state.CELL_PLAY_TICK] = time.monotonic()


def play_tick(T: int) -> bool:
    """In the play fragment, before the time slider: one step on if playing and the last step is a
    play interval old (a slider drag in between does not count as a tick). Returns True when
    playing just stopped at the end (the caller then reruns the page to stop the timer)."""
    ss = st.session_state
    if not ss[state.CELL_PLAYING]:
        return False
    now = time.monotonic()
    if now - ss[state.CELL_PLAY_TICK] < 0.6 * GV.PLAY_SECONDS:
        return False
    ss[state.CELL_STEP], ss[state.CELL_PLAYING] = GV.advance(int(ss[state.CELL_STEP]), T, True)
    ss[state.CELL_PLAY_TICK] = now
    return not ss[state.CELL_PLAYING]
