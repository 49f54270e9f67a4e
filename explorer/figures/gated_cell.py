"""Figures of the RNN cell page for the LSTM and the GRU: the cell diagram at one step (wires
labelled with their values, gates as boxes filled to their opening), the direct-path product over
time, and the states over time. Pure: numpy in, plotly Figure out.

The diagrams are plotly shapes and annotations on a fixed 12 x 7 canvas. Every gate box and every
wire label carries a ``name`` ("gate.f.0", "wire.c_t") so tests can find them.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.app.i18n import text

from .cell import layout
from .common import PALETTE, compact, sub

GATE_COLORS = {"i": PALETTE[0], "f": PALETTE[3], "g": PALETTE[2], "o": PALETTE[4],
               "r": PALETTE[3], "z": PALETTE[0], "n": PALETTE[2]}
NEG_COLOR, POS_COLOR = "#D55E00", "#0072B2"  # a tanh gate's sign
WIRE = "#333333"
LABEL_SIZE = 16  # px: wire labels (presenter mode scales them by 1.4)
VALUE_SIZE = 14  # px: the numbers inside a gate box
BOX_H, BOX_Y = 1.6, 3.0  # gate boxes: height, centre height (width: box_width(H))
NODE_PX = 36  # diameter of a x / + node in pixels (a marker: round whatever the figure's shape)
X_RANGE, Y_RANGE = (0.0, 14.0), (-0.2, 7.0)
X_IN = 4.0  # where x_t joins the bottom line


def box_width(H: int) -> float:
    """A gate box's width for H units: room for H numbers side by side."""
    return 1.1 + 0.3 * H


def vec_text(v, digits: int = 2) -> str:
    """A value or a short vector compactly: "0.95" (H = 1) or "[0.95, −0.50, 0.12]"."""
    a = np.atleast_1d(np.asarray(v, float))
    parts = [f"{x:.{digits}f}".replace("-", "−") for x in a]
    parts = ["0.00" if s in ("−0.00",) else s for s in parts]
    return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"


def _id(*parts) -> str:
    """An annotation's name for tests: "gate.f.0"."""
    return ".".join(str(p) for p in parts)


class _Canvas:
    """Shapes, annotations and node markers of one diagram of a cell with H units."""

    def __init__(self, H: int):
        self.H, self.bw = H, box_width(H)
        self.shapes: list = []
        self.ann: list = []
        self.nodes: list = []  # (x, y)

    def wire(self, *pts, arrow: bool = True, from_node: bool = False, to_node: bool = False):
        """A polyline through ``pts``; the last segment ends in an arrowhead (stopping at the edge
        of a node when ``to_node``; the last segment starts at one when ``from_node``)."""
        for (x0, y0), (x1, y1) in zip(pts[:-2], pts[1:-1]):
            self.shapes.append(dict(type="line", x0=x0, y0=y0, x1=x1, y1=y1, layer="below",
                                    line=dict(color=WIRE, width=2.5)))
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        self.ann.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                             showarrow=True, arrowhead=2 if arrow else 0, arrowsize=1.2, arrowwidth=2.5,
                             arrowcolor=WIRE, standoff=NODE_PX / 2 if to_node else 0,
                             startstandoff=NODE_PX / 2 if from_node else 0))

    def label(self, name: str, x: float, y: float, txt: str, anchor: str = "left"):
        self.ann.append(dict(name=name, x=x, y=y, xref="x", yref="y", text=txt, showarrow=False,
                             xanchor=anchor, yanchor="middle", font=dict(size=LABEL_SIZE, color="#000000"),
                             bgcolor="rgba(255,255,255,0.85)"))

    def node(self, name: str, x: float, y: float, op: str):
        self.nodes.append((x, y))
        self.ann.append(dict(name=name, x=x, y=y, xref="x", yref="y", text=f"<b>{op}</b>", showarrow=False,
                             font=dict(size=20, color="#000000")))

    def box(self, name: str, x: float, y: float, w: float, h: float, title: str):
        self.shapes.append(dict(type="rect", x0=x - w / 2, x1=x + w / 2, y0=y - h / 2, y1=y + h / 2,
                                line=dict(color=WIRE, width=2.5), fillcolor="#ffffff", layer="below"))
        self.ann.append(dict(name=name, x=x, y=y, xref="x", yref="y", text=title, showarrow=False,
                             font=dict(size=LABEL_SIZE, color="#000000")))

    def gate(self, g: str, x: float, values, fn: str):
        """A gate box at (x, BOX_Y): one column per unit filled to the gate's opening (sigma: from
        the bottom, 0..1; tanh: from the middle, up if positive), with its number."""
        v = np.atleast_1d(np.asarray(values, float))
        H, col, bw = len(v), GATE_COLORS[g], self.bw
        x0, y0, y1 = x - bw / 2, BOX_Y - BOX_H / 2, BOX_Y + BOX_H / 2
        self.shapes.append(dict(type="rect", x0=x0, x1=x0 + bw, y0=y0, y1=y1, fillcolor="#ffffff",
                                line=dict(color=col, width=3), layer="below"))
        w = bw / H
        for u, val in enumerate(v):
            a, b = x0 + u * w + 0.05, x0 + (u + 1) * w - 0.05
            if fn == "tanh":
                top, bot = (BOX_Y + val * BOX_H / 2, BOX_Y) if val >= 0 else (BOX_Y, BOX_Y + val * BOX_H / 2)
                fill = POS_COLOR if val >= 0 else NEG_COLOR
            else:
                bot, top, fill = y0, y0 + float(np.clip(val, 0, 1)) * BOX_H, col
            self.shapes.append(dict(type="rect", x0=a, x1=b, y0=bot, y1=top, fillcolor=fill, opacity=0.45,
                                    line=dict(width=0), layer="below"))
            self.ann.append(dict(name=_id("gate", g, u), x=(a + b) / 2, y=BOX_Y, xref="x", yref="y",
                                 text=f"<b>{vec_text(val)}</b>", showarrow=False,
                                 font=dict(size=VALUE_SIZE, color="#000000")))
        sym = "σ" if fn == "sigmoid" else "tanh"
        self.ann.append(dict(name=_id("gate", g), x=x0, y=y1 + 0.05, xref="x", yref="y", xanchor="left",
                             yanchor="bottom", text=f"<b>{g}</b> {sym}", showarrow=False,
                             font=dict(size=LABEL_SIZE, color=col)))

    def figure(self, title: str, height: int) -> go.Figure:
        ax = dict(range=list(X_RANGE), visible=False, fixedrange=True)
        ay = dict(range=list(Y_RANGE), visible=False, fixedrange=True)
        xs, ys = zip(*self.nodes) if self.nodes else ((), ())
        nodes = dict(type="scatter", x=list(xs), y=list(ys), mode="markers", hoverinfo="skip", showlegend=False,
                     marker=dict(size=NODE_PX, color="#ffffff", line=dict(color=WIRE, width=2.5)))
        lay = layout(title=title, height=height, top=50, uirevision="gated-diagram", xaxis=ax, yaxis=ay,
                     shapes=self.shapes, annotations=self.ann, showlegend=False, margin=dict(l=10, r=10, t=50, b=10))
        return go.Figure(data=[nodes], layout=lay)


def _inputs(cv: _Canvas, x_t, h_prev, t: int, right: float):
    """h_{t-1} along the bottom (y = 1) and x_t joining it from below (labels under the line,
    where no gate's wire runs)."""
    cv.wire((0.3, 1.0), (right, 1.0), arrow=False)
    cv.wire((X_IN, -0.1), (X_IN, 1.0))
    cv.label("wire.h_prev", 0.45, 0.62, f"h{sub(t - 1)} = {vec_text(h_prev)}")
    cv.label("wire.x", X_IN + 0.15, 0.15, f"x{sub(t)} = {vec_text(x_t)}")


def lstm_diagram(x_t, h_prev, c_prev, gates: dict, c_t, h_t, *, t: int, height: int = 560,
                 lang: str = "en") -> go.Figure:
    """The LSTM cell at step ``t``: the cell-state conveyor (top) with the forget multiply and the
    input add, the four gates as boxes filled to their value, every wire labelled with its value.

    Args:
        x_t: (F,) input; h_prev, c_prev: (H,) h_{t-1}, c_{t-1}; gates: "i", "f", "g", "o" -> (H,);
        c_t, h_t: (H,) the new states; t: the step (in the labels); lang: language of the title.
    Returns:
        a Figure of shapes and annotations (names "gate.<g>.<unit>" hold each gate's number,
        "wire.<name>" each wire's label) and one marker trace for the x / + nodes.
    """
    G = {g: np.atleast_1d(np.asarray(v, float)) for g, v in gates.items()}
    cv = _Canvas(len(G["f"]))
    xs = {"f": 2.9, "i": 5.2, "g": 7.6, "o": 10.0}
    Y, yig, xo, yt = 6.0, 4.8, 11.8, 4.6
    # the conveyor: c_{t-1} -> (x f) -> (+ i g) -> c_t
    cv.wire((0.3, Y), (xs["f"], Y), (xs["g"], Y), (13.8, Y), from_node=True)
    cv.node("node.forget", xs["f"], Y, "×")
    cv.node("node.add", xs["g"], Y, "+")
    cv.label("wire.c_prev", 0.3, Y + 0.45, f"c{sub(t - 1)} = {vec_text(c_prev)}")
    cv.label("wire.fc", xs["f"] + 0.35, Y + 0.45, f"f ⊙ c{sub(t - 1)} = {vec_text(G['f'] * np.asarray(c_prev))}")
    cv.label("wire.c_t", xs["g"] + 0.35, Y + 0.45, f"c{sub(t)} = {vec_text(c_t)}")
    _inputs(cv, x_t, h_prev, t, xs["o"])
    for g, x in xs.items():
        cv.wire((x, 1.0), (x, BOX_Y - BOX_H / 2))
        cv.gate(g, x, G[g], "tanh" if g == "g" else "sigmoid")
    top = BOX_Y + BOX_H / 2
    cv.wire((xs["f"], top), (xs["f"], Y), to_node=True)
    cv.wire((xs["i"], top), (xs["i"], yig), (xs["g"], yig), to_node=True)
    cv.wire((xs["g"], top), (xs["g"], yig), to_node=True)
    cv.node("node.input", xs["g"], yig, "×")
    cv.wire((xs["g"], yig), (xs["g"], Y), from_node=True, to_node=True)
    cv.label("wire.ig", xs["g"] + 0.35, 5.4, f"i ⊙ g = {vec_text(G['i'] * G['g'])}")
    # output: h_t = o * tanh(c_t)
    cv.wire((xo, Y), (xo, yt + 0.3))
    cv.box("node.tanh", xo, yt, 0.9, 0.6, "tanh")
    cv.wire((xo, yt - 0.3), (xo, BOX_Y), to_node=True)
    cv.wire((xs["o"] + cv.bw / 2, BOX_Y), (xo, BOX_Y), to_node=True)
    cv.node("node.output", xo, BOX_Y, "×")
    cv.wire((xo, BOX_Y), (13.8, BOX_Y), from_node=True)
    tanh_c = vec_text(np.tanh(np.asarray(c_t, float)))
    cv.label("wire.tanh_c_name", xo - 0.55, yt + 0.12, f"tanh c{sub(t)} =", anchor="right")  # two lines:
    cv.label("wire.tanh_c", xo - 0.55, yt - 0.3, tanh_c, anchor="right")  # no room for one
    cv.label("wire.h_t", 13.9, 1.85, f"h{sub(t)} = {vec_text(h_t)}", anchor="right")
    return cv.figure(text("fig.gated.lstm_title", lang, t=t), height)


def gru_diagram(x_t, h_prev, gates: dict, hn, h_t, *, t: int, height: int = 560, lang: str = "en") -> go.Figure:
    """The GRU cell at step ``t`` (torch's convention h_t = (1 - z) n + z h_{t-1}): h_{t-1} along the
    top through the update multiply, the reset gate scaling W_hn h + b_hn inside n, and the mix.

    Args:
        x_t: (F,) input; h_prev: (H,) h_{t-1}; gates: "r", "z", "n" -> (H,); hn: (H,) W_hn h_{t-1} + b_hn;
        h_t: (H,) the new state; t: the step; lang: language of the title.
    Returns:
        a Figure named as in ``lstm_diagram``.
    """
    G = {g: np.atleast_1d(np.asarray(v, float)) for g, v in gates.items()}
    hp = np.atleast_1d(np.asarray(h_prev, float))
    cv = _Canvas(len(hp))
    xs = {"z": 3.2, "r": 6.2, "n": 9.2}
    Y, ym, xm, x1 = 6.0, 4.8, 11.8, 4.6
    # the direct path: h_{t-1} -> (x z) -> (+) -> h_t
    cv.wire((0.3, Y), (xs["z"], Y), (xm, Y), (13.8, Y), from_node=True)
    cv.node("node.keep", xs["z"], Y, "×")
    cv.node("node.add", xm, Y, "+")
    cv.label("wire.h_prev_top", 0.3, Y + 0.45, f"h{sub(t - 1)} = {vec_text(hp)}")
    cv.label("wire.zh", xs["z"] + 0.35, Y + 0.45, f"z ⊙ h{sub(t - 1)} = {vec_text(G['z'] * hp)}")
    cv.label("wire.h_t", 13.9, Y + 0.45, f"h{sub(t)} = {vec_text(h_t)}", anchor="right")
    cv.wire((0.3, Y), (0.3, 1.0), arrow=False)  # h_{t-1} also feeds the gates
    _inputs(cv, x_t, hp, t, xs["n"])
    for g, x in xs.items():
        cv.wire((x, 1.0), (x, BOX_Y - BOX_H / 2))
        cv.gate(g, x, G[g], "tanh" if g == "n" else "sigmoid")
    cv.wire((xs["z"], BOX_Y + BOX_H / 2), (xs["z"], Y), to_node=True)
    # 1 - z to the mix
    cv.wire((xs["z"], ym), (x1 - 0.3, ym), arrow=False)
    cv.box("node.one_minus", x1, ym, 0.6, 0.55, "1−")
    cv.wire((x1 + 0.3, ym), (xm, ym), to_node=True)
    cv.label("wire.one_minus_z", x1 + 0.45, ym - 0.38, f"1 − z = {vec_text(1 - G['z'])}")
    # reset: r scales W_hn h + b_hn inside n
    cv.wire((xs["r"] + cv.bw / 2, BOX_Y), (xs["n"] - cv.bw / 2, BOX_Y))
    cv.label("wire.r_hn", X_IN + 0.6, 0.62, f"r ⊙ (Wₕₙh + bₕₙ) = {vec_text(G['r'] * np.asarray(hn, float))}")
    # n up into the mix, then to the add
    cv.wire((xs["n"] + cv.bw / 2, BOX_Y), (xm, BOX_Y), (xm, ym), to_node=True)
    cv.node("node.mix", xm, ym, "×")
    cv.wire((xm, ym), (xm, Y), from_node=True, to_node=True)
    cv.label("wire.mix", xm - 0.35, 5.4, f"(1 − z) ⊙ n = {vec_text((1 - G['z']) * G['n'])}", anchor="right")
    return cv.figure(text("fig.gated.gru_title", lang, t=t), height)


def product_figure(p_th: np.ndarray, t: int, *, kind: str, height: int = 380, lang: str = "en") -> go.Figure:
    """The direct-path product P_t per unit over time: solid up to step ``t``, faint after it.

    Args:
        p_th: (T, H) products (``core.gated_cell.direct_path_product``); t: the current step;
        kind: "lstm" (prod f) or "gru" (prod z); lang: language of the titles.
    Returns:
        a Figure with, per unit, a trace "P[u]" up to t (its y are the products) and a faint rest.
    """
    p = np.asarray(p_th, float)
    T, H = p.shape
    steps = np.arange(T)
    data = []
    for u in range(H):
        col = PALETTE[u % 6]
        name = "P" if H == 1 else f"P[{u + 1}]"
        data.append(dict(type="scatter", x=steps, y=compact(p[:, u]), mode="lines", showlegend=False,
                         line=dict(color=col, width=2, dash="dot"), hoverinfo="skip", opacity=0.5))
        data.append(dict(type="scatter", x=steps[:t + 1], y=compact(p[:t + 1, u]), mode="lines+markers", name=name,
                         line=dict(color=col, width=3.5), marker=dict(size=8),
                         hovertemplate=f"t=%{{x}}<br>{name}=%{{y:.3f}}<extra></extra>"))
    sym = "f" if kind == "lstm" else "z"
    lay = layout(title=text(f"fig.gated.product_title.{kind}", lang), height=height, top=80,
                 uirevision=f"gated-product-{kind}",
                 xaxis=dict(title=dict(text=text("fig.cell.time_axis", lang)), range=[-0.5, max(T - 0.5, 1)]),
                 yaxis=dict(title=dict(text=f"Π {sym}ₖ"), range=[-0.05, 1.08]),
                 shapes=[dict(type="line", x0=t, x1=t, y0=0, y1=1, xref="x", yref="paper",
                              line=dict(color="#555555", width=2, dash="dot"))])
    return go.Figure(data=data, layout=lay)


def states_figure(x_tf, h_th, c_th, t: int, words=None, height: int = 380, *, lang: str = "en") -> go.Figure:
    """x_t (top) and h_t with c_t dashed (LSTM) (bottom) against t, the current step marked."""
    x = np.asarray(x_tf, float)
    T = len(x)
    steps = np.arange(T)
    data = []
    rows = [(x, "x", "y", "solid"), (np.asarray(h_th, float), "h", "y2", "solid")]
    if c_th is not None:
        rows.append((np.asarray(c_th, float), "c", "y2", "dash"))
    for arr, sym, yax, dash in rows:
        n = arr.shape[1]
        for i in range(n):
            name = f"{sym}[{i + 1}]" if n > 1 else sym
            col = PALETTE[(i + (2 if sym == "x" else 0)) % 6]
            data.append(dict(type="scatter", x=steps, y=compact(arr[:, i]), mode="lines+markers", name=name,
                             yaxis=yax, line=dict(color=col, width=2.5, dash=dash), marker=dict(size=6),
                             hovertemplate=f"t=%{{x}}<br>{name}=%{{y:.3f}}<extra></extra>"))
    xaxis = dict(anchor="y2", title=dict(text=text("fig.cell.time_axis" if words is None else "fig.cell.word_axis",
                                                   lang)))
    if words is not None:
        xaxis.update(tickmode="array", tickvals=steps.tolist(), ticktext=list(words), tickangle=-45)
    kind = "lstm" if c_th is not None else "gru"
    lay = layout(title=text(f"fig.gated.states_title.{kind}", lang), height=height, top=80, uirevision="gated-states",
                 xaxis=xaxis, yaxis=dict(domain=(0.7, 1.0), anchor="x"), yaxis2=dict(domain=(0.0, 0.6), anchor="x"),
                 shapes=[dict(type="line", x0=t, x1=t, y0=0, y1=1, xref="x", yref="paper",
                              line=dict(color="#555555", width=2, dash="dot"))] if 0 <= t < T else [])
    return go.Figure(data=data, layout=lay)
