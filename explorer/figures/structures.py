"""Wiring diagrams of the input/output structures and the small figures of their examples.

Pure: numpy arrays and strings in, ``plotly.graph_objects.Figure`` out. A diagram is a list of
nodes (input x, hidden h, output y) placed on a grid, time running left to right, and arrows
coloured by the weight matrix they stand for (W_xh, W_hh, W_hy: the same colour at every step,
because the same matrix is reused).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from ..app.i18n import text
from .common import CELL_COLORS, PALETTE, WEIGHT_COLORS, base_layout, compact, empty_figure, sub

STRUCTURES = ("one_to_one", "one_to_many", "many_to_one", "many_to_many", "encoder_decoder",
              "bidirectional", "attention")
ROLE_STYLE = {  # role -> fill colour (legend name: catalogue key fig.structures.role.<role>)
    "input": "#E8E8E8",
    "hidden": CELL_COLORS["rnn"],
    "backward": PALETTE[4],
    "decoder": PALETTE[0],
    "context": "#FFFFFF",
    "output": PALETTE[2],
}
EDGE_STYLE = {  # role -> colour (legend name: catalogue key fig.structures.edge.<role>)
    "W_xh": WEIGHT_COLORS["W_xh"],
    "W_hh": WEIGHT_COLORS["W_hh"],
    "W_hy": WEIGHT_COLORS["W_hy"],
    "dec": PALETTE[0],
    "attn": "#555555",
}
STRIP_COLORS = ["#F2F2F2", "#BFE3D5", "#F6C9B0"]  # neutral, correct (green), wrong (vermillion)


@dataclass(frozen=True)
class Node:
    id: str  # unique name, e.g. "h2"
    x: float  # column (time)
    y: float  # row: 0 inputs, 1 hidden, 2 outputs
    label: str  # text drawn in the node (a symbol; "context" is translated when drawn)
    role: str  # a key of ROLE_STYLE


@dataclass(frozen=True)
class Edge:
    src: str  # node id
    dst: str  # node id
    role: str  # a key of EDGE_STYLE


def diagram_spec(structure: str, steps: int = 4) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges of a wiring diagram.

    Args:
        structure: one of STRUCTURES.
        steps: time steps drawn (one-to-one always draws one).

    Returns:
        (nodes, edges); edge roles name the weight matrix each arrow applies.
    """
    if structure not in STRUCTURES:
        raise ValueError(f"unknown structure {structure!r}; choose one of {STRUCTURES}")
    T = 1 if structure == "one_to_one" else int(steps)
    nodes: list[Node] = []
    edges: list[Edge] = []

    def chain(prefix, role, xs, y, label):
        for i, x in enumerate(xs):
            nodes.append(Node(f"{prefix}{i + 1}", x, y, f"{label}{sub(i + 1)}", role))

    if structure == "encoder_decoder":
        chain("x", "input", range(T), 0, "x")
        chain("h", "hidden", range(T), 1, "h")
        chain("s", "decoder", range(T, 2 * T), 1, "s")
        chain("y", "output", range(T, 2 * T), 2, "y")
        edges += [Edge(f"x{i}", f"h{i}", "W_xh") for i in range(1, T + 1)]
        edges += [Edge(f"h{i}", f"h{i + 1}", "W_hh") for i in range(1, T)]
        edges.append(Edge(f"h{T}", "s1", "W_hh"))  # the final encoder state starts the decoder
        edges += [Edge(f"s{i}", f"s{i + 1}", "dec") for i in range(1, T)]
        edges += [Edge(f"s{i}", f"y{i}", "W_hy") for i in range(1, T + 1)]
        return nodes, edges

    # bidirectional: the two chains sit diagonally so no arrow runs through a node
    fwd_x = [t - 0.25 for t in range(T)] if structure == "bidirectional" else range(T)
    chain("h", "hidden", fwd_x, 1, "h")
    edges += [Edge(f"h{i}", f"h{i + 1}", "W_hh") for i in range(1, T)]
    inputs = [1] if structure == "one_to_many" else list(range(1, T + 1))
    for i in inputs:
        nodes.append(Node(f"x{i}", i - 1, 0, f"x{sub(i)}", "input"))
        edges.append(Edge(f"x{i}", f"h{i}", "W_xh"))
    if structure == "bidirectional":
        chain("b", "backward", [t + 0.25 for t in range(T)], 2, "h←")
        edges += [Edge(f"x{i}", f"b{i}", "W_xh") for i in range(1, T + 1)]
        edges += [Edge(f"b{i + 1}", f"b{i}", "W_hh") for i in range(1, T)]
        chain("y", "output", range(T), 3, "y")
        edges += [Edge(f"h{i}", f"y{i}", "W_hy") for i in range(1, T + 1)]
        edges += [Edge(f"b{i}", f"y{i}", "W_hy") for i in range(1, T + 1)]
        return nodes, edges
    if structure == "attention":
        nodes.append(Node("c", (T - 1) / 2, 2, "context", "context"))
        nodes.append(Node("y", T - 1, 3, "y", "output"))
        edges += [Edge(f"h{i}", "c", "attn") for i in range(1, T + 1)]
        edges += [Edge("c", "y", "W_hy"), Edge(f"h{T}", "y", "W_hy")]
        return nodes, edges
    outputs = [T] if structure == "many_to_one" else list(range(1, T + 1))
    for i in outputs:
        nodes.append(Node(f"y{i}", i - 1, 2, f"y{sub(i)}", "output"))
        edges.append(Edge(f"h{i}", f"y{i}", "W_hy"))
    return nodes, edges



def wiring_diagram(structure: str, steps: int = 4, *, title: str | None = None,
                   height: int = 420, lang: str = "en") -> go.Figure:
    """The wiring of ``structure`` over ``steps`` time steps (see ``diagram_spec``).

    Args:
        lang: language of the legend and of the word "context" in the attention node.

    Returns:
        one marker trace per node role (legend: input, hidden, output...), one invisible legend
        trace per weight colour, and an arrow annotation per edge, in that weight's colour.
    """
    nodes, edges = diagram_spec(structure, steps)
    pos = {n.id: (n.x, n.y) for n in nodes}
    fig = go.Figure()
    for role, colour in ROLE_STYLE.items():
        members = [n for n in nodes if n.role == role]
        if not members:
            continue
        dark = role in ("hidden", "decoder", "backward")
        labels = [text("fig.structures.node_context", lang) if n.role == "context" else n.label for n in members]
        fig.add_trace(go.Scatter(
            x=[n.x for n in members], y=[n.y for n in members], text=labels,
            mode="markers+text", name=text(f"fig.structures.role.{role}", lang), textposition="middle center",
            textfont=dict(size=16, color="white" if dark else "black"),
            marker=dict(size=44 if role != "context" else 60, color=colour, symbol="square" if role == "input" else "circle",
                        line=dict(color="#333333", width=1.5)),
            hoverinfo="text", meta=role))
    for role in dict.fromkeys(e.role for e in edges):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", meta=role,
                                 name=text(f"fig.structures.edge.{role}", lang),
                                 line=dict(color=EDGE_STYLE[role], width=4)))
    for e in edges:
        (x0, y0), (x1, y1) = pos[e.src], pos[e.dst]
        sx, sy = _shorten(x0, y0, x1, y1)
        fig.add_annotation(x=x1 - sx, y=y1 - sy, ax=x0 + sx, ay=y0 + sy, xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=2, arrowsize=1.2,
                           arrowwidth=3, arrowcolor=EDGE_STYLE[e.role], text="")
    xs = [n.x for n in nodes]
    ys = [n.y for n in nodes]
    base_layout(fig, title=title, height=height, uirevision=f"diagram-{structure}")
    fig.update_xaxes(visible=False, range=[min(xs) - 0.6, max(xs) + 0.6])
    fig.update_yaxes(visible=False, range=[min(ys) - 0.5, max(ys) + 0.5])
    # legend under the drawing: above it, it would cover the title
    fig.update_layout(legend=dict(font=dict(size=14), orientation="h", yanchor="top", y=-0.02,
                                  xanchor="center", x=0.5),
                      margin=dict(l=10, r=10, b=10), plot_bgcolor="white")
    return fig


def _shorten(x0, y0, x1, y1, r: float = 0.22) -> tuple[float, float]:
    """Offset (dx, dy) that stops an arrow ``r`` short of each node centre."""
    dx, dy = x1 - x0, y1 - y0
    d = max(np.hypot(dx, dy), 1e-9)
    return r * dx / d, r * dy / d


def sequence_strip(rows: dict[str, Sequence[str]], status: dict[str, Sequence[int]] | None = None,
                   *, title: str | None = None, x_title: str | None = None,
                   height: int | None = None, lang: str = "en") -> go.Figure:
    """Rows of symbols over time, e.g. input, target and output of a sequence model.

    Args:
        rows: row name -> one string per step ("" where the row has nothing at that step);
            every row has the same length T. Drawn top to bottom in the given order.
        status: row name -> per-step 0 (neutral), 1 (correct, green) or 2 (wrong, vermillion);
            rows left out are neutral.
        title, x_title, height: as in ``base_layout`` (x_title None: "time step t").
        lang: language of the default texts.

    Returns:
        one heatmap: z = status (rows x T), text = the symbols.
    """
    names = list(rows)
    if not names:
        return empty_figure(text("fig.structures.nothing", lang), title=title)
    T = len(rows[names[0]])
    if any(len(rows[n]) != T for n in names):
        raise ValueError("every row needs the same number of steps")
    status = status or {}
    z = np.array([[int(v) for v in status.get(n, [0] * T)] for n in names], dtype=float)
    cells = [[_visible(s) for s in rows[n]] for n in names]
    scale = [[0.0, STRIP_COLORS[0]], [0.33, STRIP_COLORS[0]], [0.34, STRIP_COLORS[1]],
             [0.66, STRIP_COLORS[1]], [0.67, STRIP_COLORS[2]], [1.0, STRIP_COLORS[2]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=np.arange(1, T + 1), y=names, text=cells, texttemplate="%{text}",
        textfont=dict(size=18 if T <= 30 else 14), zmin=0, zmax=2, colorscale=scale, showscale=False,
        xgap=3, ygap=3, hovertemplate="%{y}, t=%{x}: %{text}<extra></extra>"))
    x_title = text("fig.structures.time_step", lang) if x_title is None else x_title
    base_layout(fig, title=title, x_title=x_title, height=height or 90 + 60 * len(names),
                uirevision="strip")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(dtick=1 if T <= 30 else None, showgrid=False)
    fig.update_layout(plot_bgcolor="white")
    return fig


def _visible(s: str) -> str:
    """Whitespace characters as visible symbols (a space would vanish in a cell)."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(s, s)


def waveform_figure(target_t: np.ndarray, output_t: np.ndarray, inputs: dict[str, float], *,
                    title: str | None = None, height: int = 340, lang: str = "en") -> go.Figure:
    """One-to-many: the generated curve against the target, the single input written at t = 0.

    Args:
        target_t: (T,) target values y_1..y_T.
        output_t: (T,) model outputs.
        inputs: name -> value of the one input given at the first step (names as shown).
        lang: language of the trace names and axis titles.

    Returns:
        traces "input" (a marker at t = 0 with the values as text), "target", "output".
    """
    target_t, output_t = np.asarray(target_t, float).ravel(), np.asarray(output_t, float).ravel()
    t = np.arange(1, target_t.size + 1)
    label = ", ".join(f"{k} {v:.2f}" for k, v in inputs.items())
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers+text", name=text("fig.structures.input_t0", lang),
                             text=[label],
                             textposition="top right", textfont=dict(size=15),
                             marker=dict(symbol="square", size=16, color=WEIGHT_COLORS["W_xh"],
                                         line=dict(color="#333333", width=1))))
    fig.add_trace(go.Scatter(x=t, y=compact(target_t), mode="lines", name=text("fig.structures.target", lang),
                             line=dict(color="#333333", width=3)))
    fig.add_trace(go.Scatter(x=t, y=compact(output_t), mode="lines+markers",
                             name=text("fig.structures.output", lang),
                             line=dict(color=PALETTE[0], width=3, dash="dash"), marker=dict(size=6)))
    base_layout(fig, title=title, x_title=text("fig.structures.time_step", lang),
                y_title=text("fig.structures.value", lang), height=height,
                uirevision="waveform")
    return fig


def function_figure(u: np.ndarray, target: np.ndarray, output: np.ndarray, *, highlight: int | None = None,
                    title: str | None = None, height: int = 340, lang: str = "en") -> go.Figure:
    """One-to-one: output against target for single inputs u (no sequence at all).

    Args:
        u: (n,) inputs; target, output: (n,) values.
        highlight: index of one example to ring.
        lang: language of the trace names and axis titles.

    Returns:
        traces "target", "output" (sorted by u) and, with ``highlight``, "selected example".
    """
    u, target, output = (np.asarray(a, float).ravel() for a in (u, target, output))
    o = np.argsort(u)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=compact(u[o]), y=compact(target[o]), mode="lines",
                             name=text("fig.structures.target", lang),
                             line=dict(color="#333333", width=3)))
    fig.add_trace(go.Scatter(x=compact(u[o]), y=compact(output[o]), mode="markers",
                             name=text("fig.structures.output", lang),
                             marker=dict(color=PALETTE[0], size=9)))
    if highlight is not None and 0 <= highlight < u.size:
        i = int(highlight)
        fig.add_trace(go.Scatter(x=[u[i]], y=[output[i]], mode="markers",
                                 name=text("fig.structures.selected", lang),
                                 marker=dict(size=20, color="rgba(0,0,0,0)",
                                             line=dict(color=PALETTE[3], width=3))))
    base_layout(fig, title=title, x_title=text("fig.structures.input_u", lang),
                y_title=text("fig.structures.output_y", lang), height=height,
                uirevision="function")
    return fig
