"""Logic of the RNN cell page for the LSTM and the GRU (lecture note section 7), without Streamlit.

The page keeps each gate's weights as one number per widget key (explorer.app.state.CELL_GATED_ENTRIES);
here they become a ``core.gated_cell.GatedSpec``, a step-by-step record, each gate's equation
with numbers, the cell diagram, the direct-path product and the play control's state transitions.
Every number comes from ``core``.
"""
from __future__ import annotations

import numpy as np

from core import gated_cell as gc
from core import tiny_rnn as tr
from explorer.figures import gated_cell as gf
from explorer.app.i18n import text

from . import rnn_cell as V
from ..app import state
from .rnn_cell import bmatrix

GATED_STEP = 0.1  # slider step
PLAY_SECONDS = 1.0  # one time step per second while playing


# ---- weights ---------------------------------------------------------------------------------------

def latex_name(kind: str, gate: str, part: str) -> str:
    """LaTeX of a block: W_{xi}, W_{hi}, b_i; the GRU's new gate has b_{xn} and b_{hn}."""
    if part == "W_x":
        return f"W_{{x{gate}}}"
    if part == "W_h":
        return f"W_{{h{gate}}}"
    if part == "b_h":
        return f"b_{{h{gate}}}"
    return f"b_{{x{gate}}}" if (kind, gate) == ("gru", "n") else f"b_{gate}"


def plain_name(kind: str, gate: str, part: str) -> str:
    """The block's name in plain text (slider labels): W_xi, W_hi, b_i, b_xn, b_hn."""
    return latex_name(kind, gate, part).replace("{", "").replace("}", "")


def entry_keys(kind: str, gate: str, part: str, H: int, F: int) -> list[list[str]]:
    """Widget keys of a block's entries in use, as rows (a vector is one column)."""
    shp = gc.part_shape(part, H, F)
    cols = shp[1] if len(shp) == 2 else 1
    return [[state.CELL_GATED_ENTRIES[(kind, gate, part, i, j)] for j in range(cols)] for i in range(shp[0])]


def blocks_from(values: dict, kind: str, H: int, F: int) -> dict:
    """{gate: {part: array}} from a mapping widget key -> number (e.g. st.session_state)."""
    out = {}
    for g in gc.GATES[kind]:
        out[g] = {}
        for p in gc.parts(kind, g):
            m = np.array([[float(values[k]) for k in row] for row in entry_keys(kind, g, p, H, F)])
            out[g][p] = m.reshape(gc.part_shape(p, H, F))
    return out


def spec_from(values: dict, kind: str, H: int, F: int) -> gc.GatedSpec:
    return gc.GatedSpec.from_gates(kind, blocks_from(values, kind, H, F))


def sentiment_values(values: dict, kind: str) -> dict:
    """Widget key -> number that make unit 1 the lecture's sentiment unit (``core.gated_cell.SENTIMENT_UNIT``),
    at the largest size so the other units keep their weights whatever H is."""
    blocks = blocks_from(values, kind, gc.MAX_H, gc.MAX_F)
    new = gc.blocks_with_unit(kind, blocks, gc.SENTIMENT_UNIT[kind])
    out = {}
    for g in gc.GATES[kind]:
        for p in gc.parts(kind, g):
            for key, v in zip(sum(entry_keys(kind, g, p, gc.MAX_H, gc.MAX_F), []), new[g][p].reshape(-1)):
                out[key] = float(v)
    return out


def typed_texts(values: dict, kind: str, H: int, F: int) -> dict:
    """Text-box key -> the matrix as text, for every block of ``kind`` ("rnn" too) at H units, F inputs."""
    if kind == "rnn":
        return {state.CELL_TEXT[n]: tr.format_matrix(m) for n, m in V.matrices_from(values, H, F).items()}
    return {state.CELL_GATED_TEXT[(kind, g, p)]: tr.format_matrix(m)
            for g, ps in blocks_from(values, kind, H, F).items() for p, m in ps.items()}


def sequence_length(values: dict) -> int:
    """T of the page's input sequence for these settings (1 when a typed sequence does not parse)."""
    F = V.effective_input_size(values[state.CELL_PRESET], int(values[state.CELL_INPUTS]))
    try:
        return len(V.make_input(values[state.CELL_PRESET], int(values[state.CELL_LENGTH]), F,
                                int(values[state.CELL_NOISE_SEED]), values[state.CELL_TYPED_INPUT]).x)
    except ValueError:
        return 1


# ---- equations ------------------------------------------------------------------------------------

def _gate_eq(spec, rec, t: int, g: str, fn: str) -> str:
    """One sigma/tanh gate: symbols, then matrices and vectors substituted, then the value."""
    k = spec.kind
    Wx, Wh, b = (latex_name(k, g, p) for p in ("W_x", "W_h", "b"))
    if (k, g) == ("gru", "n"):
        bh = latex_name(k, g, "b_h")
        sym = rf"{fn}\big({Wx}\,x_{{{t}}} + {b} + r_{{{t}}} \odot ({Wh}\,h_{{{t - 1}}} + {bh})\big)"
        num = (rf"{fn}\Big({bmatrix(spec.block(g, 'W_x'))}{bmatrix(rec.x[t])} + {bmatrix(spec.block(g, 'b'))}"
               rf" \\ &\qquad + {bmatrix(rec.gates['r'][t])} \odot \big({bmatrix(spec.block(g, 'W_h'))}{bmatrix(rec.h_prev[t])}"
               rf" + {bmatrix(spec.block(g, 'b_h'))}\big)\Big)")
    else:
        sym = rf"{fn}\big({Wx}\,x_{{{t}}} + {Wh}\,h_{{{t - 1}}} + {b}\big)"
        num = (rf"{fn}\Big({bmatrix(spec.block(g, 'W_x'))}{bmatrix(rec.x[t])} + "
               rf"{bmatrix(spec.block(g, 'W_h'))}{bmatrix(rec.h_prev[t])} + {bmatrix(spec.block(g, 'b'))}\Big)")
    return (r"\begin{aligned}" rf"{g}_{{{t}}} &= {sym} \\ &= {num} \\"
            rf" &= {fn}\Big({bmatrix(rec.pre[g][t])}\Big) = {bmatrix(rec.gates[g][t])}" r"\end{aligned}")


def equations(spec: gc.GatedSpec, rec: gc.GatedRecord, t: int) -> dict:
    """Symbol -> LaTeX of its equation at step ``t`` with the numbers the cell used: LSTM i, f, g, o,
    c, h; GRU r, z, n, h (torch's conventions, see ``core.gated_cell``)."""
    sig = r"\sigma"
    out = {}
    if spec.kind == "lstm":
        for g in ("i", "f", "g", "o"):
            out[g] = _gate_eq(spec, rec, t, g, r"\tanh" if g == "g" else sig)
        G = rec.gates
        out["c"] = (rf"c_{{{t}}} = f_{{{t}}} \odot c_{{{t - 1}}} + i_{{{t}}} \odot g_{{{t}}}"
                    rf" = {bmatrix(G['f'][t])} \odot {bmatrix(rec.c_prev[t])} + {bmatrix(G['i'][t])} \odot"
                    rf" {bmatrix(G['g'][t])} = {bmatrix(rec.c[t])}")
        out["h"] = (rf"h_{{{t}}} = o_{{{t}}} \odot \tanh(c_{{{t}}}) = {bmatrix(G['o'][t])} \odot"
                    rf" \tanh{bmatrix(rec.c[t])} = {bmatrix(rec.h[t])}")
        return out
    for g in ("r", "z"):
        out[g] = _gate_eq(spec, rec, t, g, sig)
    out["n"] = _gate_eq(spec, rec, t, "n", r"\tanh")
    z = rec.gates["z"][t]
    out["h"] = (rf"h_{{{t}}} = (1 - z_{{{t}}}) \odot n_{{{t}}} + z_{{{t}}} \odot h_{{{t - 1}}}"
                rf" = {bmatrix(1 - z)} \odot {bmatrix(rec.gates['n'][t])} + {bmatrix(z)} \odot"
                rf" {bmatrix(rec.h_prev[t])} = {bmatrix(rec.h[t])}")
    return out


# ---- figures ----------------------------------------------------------------------------------------

def diagram(rec: gc.GatedRecord, t: int, *, lang: str = "en"):
    """The cell diagram at step ``t`` (``explorer.figures.gated_cell``)."""
    G = {g: v[t] for g, v in rec.gates.items()}
    if rec.kind == "lstm":
        return gf.lstm_diagram(rec.x[t], rec.h_prev[t], rec.c_prev[t], G, rec.c[t], rec.h[t], t=t, lang=lang)
    return gf.gru_diagram(rec.x[t], rec.h_prev[t], G, rec.wh["n"][t], rec.h[t], t=t, lang=lang)


def direct_path(rec: gc.GatedRecord) -> np.ndarray:
    """(T, H) the direct-path product up to each step (``core.gated_cell.direct_path_product``)."""
    return gc.direct_path_product(rec.direct)


def product_figure(rec: gc.GatedRecord, t: int, *, lang: str = "en"):
    return gf.product_figure(direct_path(rec), t, kind=rec.kind, lang=lang)


def series(rec: gc.GatedRecord, t: int, words=None, *, lang: str = "en"):
    return gf.states_figure(rec.x, rec.h, rec.c, t, words, lang=lang)


def product_caption(rec: gc.GatedRecord, t: int, lang: str = "en") -> str:
    """One sentence: the product at step ``t`` per unit and what it means for the gradient."""
    p = direct_path(rec)[t]
    return text(f"cell.gated.product_caption.{rec.kind}", lang, t=t, value=gf.vec_text(p))


# ---- the play control ---------------------------------------------------------------------------------

def press_play(step: int, T: int, playing: bool) -> tuple[int, bool]:
    """The play/stop button: (step, playing) after a press. Play from the last step starts over."""
    if playing:
        return step, False
    if T <= 1:
        return 0, False
    return (0 if step >= T - 1 else step), True


def advance(step: int, T: int, playing: bool) -> tuple[int, bool]:
    """One tick of the play timer: (step, playing) after it. Stops on the last step."""
    if not playing:
        return step, False
    nxt = min(step + 1, T - 1)
    return nxt, nxt < T - 1
