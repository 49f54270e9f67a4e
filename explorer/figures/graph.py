"""Figures of the Unrolled graph page: the unrolled computation graph and the per-step shares of
dL/dW_hh. Pure: plain data in (nodes/edges with attributes, dicts of numbers), plotly out.

Nodes need ``id, kind, label, col, row``; edges ``src, dst, weight`` (``core.graph`` objects have
them, but nothing here imports core: no torch).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.app.i18n import text

from .cell import layout
from .common import DIVERGING_COLORSCALE, WEIGHT_COLORS, compact

# Colour and dash of every edge kind; the three shared weights keep the app-wide WEIGHT_COLORS.
# Their legend names are catalogue texts: fig.graph.edge.<kind> (see ``edge_label``).
EDGE_STYLE = {
    "W_xh": (WEIGHT_COLORS["W_xh"], "solid"),
    "W_hh": (WEIGHT_COLORS["W_hh"], "solid"),
    "W_hy": (WEIGHT_COLORS["W_hy"], "solid"),
    "W_xh_b": ("#8c5a00", "dash"),
    "W_hh_b": ("#7a2e66", "dash"),
    "W_hh_dec": ("#6a3d9a", "dashdot"),
    "dec_init": ("#444444", "dot"),
    "attn": ("#999999", "dot"),
    "loss": ("#666666", "solid"),
}
SHARED = ("W_xh", "W_hh", "W_hy", "W_xh_b", "W_hh_b", "W_hh_dec")
GRAD_COLORSCALE = [[0.0, "#dddddd"], [0.4, "#fdbb84"], [0.7, "#ef6548"], [1.0, "#7f0000"]]
# Row (core.graph.ROWS) -> catalogue key of its axis label, fig.graph.row.<name>.
ROW_KEYS = {0.0: "x", 1.0: "h", 2.0: "hb", 2.5: "ctx", 3.0: "y", 4.0: "L"}
N_LEVELS = 8  # backward mode: edges are binned into this many width/colour levels
LOG_SPAN = 4.0  # backward-mode colours cover 4 decades below the largest gradient


def log_span(vals) -> float:
    """Decades the log colour scale covers: the data's own range, between 1 and LOG_SPAN."""
    v = np.asarray([a for a in vals if a is not None and np.isfinite(a) and a > 0], float)
    if v.size < 2:
        return 1.0
    return float(np.clip(np.log10(v.max() / v.min()), 1.0, LOG_SPAN))


def _levels(vals: np.ndarray, span: float) -> np.ndarray:
    """Level 0..N_LEVELS-1 of each gradient on a log scale relative to the largest."""
    top = np.nanmax(vals) if np.any(np.isfinite(vals)) else 0.0
    if not top > 0:
        return np.zeros(len(vals), int)
    r = np.log10(np.clip(vals / top, 10 ** -span, 1.0))  # in [-span, 0]
    return np.clip(((r + span) / span * (N_LEVELS - 1)).round(), 0, N_LEVELS - 1).astype(int)


def edge_label(weight: str, lang: str = "en") -> str:
    """The legend name of an edge kind (a key of EDGE_STYLE), e.g. "W̃_hh (backward chain)"."""
    return text(f"fig.graph.edge.{weight}", lang)


def _row_name(row: float, lang: str) -> str:
    key = ROW_KEYS.get(row)
    return text(f"fig.graph.row.{key}", lang) if key else ""


def _scale_color(frac: float) -> str:
    """Interpolate GRAD_COLORSCALE at frac in [0, 1]."""
    from plotly.colors import find_intermediate_color, hex_to_rgb, label_rgb
    for (a, ca), (b, cb) in zip(GRAD_COLORSCALE[:-1], GRAD_COLORSCALE[1:]):
        if frac <= b:
            f = 0 if b == a else (frac - a) / (b - a)
            return label_rgb(find_intermediate_color(hex_to_rgb(ca), hex_to_rgb(cb), f))
    return GRAD_COLORSCALE[-1][1]


def graph_figure(nodes: Sequence, edges: Sequence, *, mode: str = "forward",
                 node_color: dict | None = None, node_hover: dict | None = None,
                 edge_grad: Sequence | None = None, title: str | None = None,
                 height: int = 560, uirevision: str = "graph", lang: str = "en") -> go.Figure:
    """The unrolled graph: time runs left to right, inputs at the bottom, losses at the top.

    Args:
        nodes: objects with ``id, kind, label, col, row`` (``core.graph.Node``).
        edges: objects with ``src, dst, weight`` (``core.graph.Edge``).
        mode: "forward" (edges in their weight's colour, nodes coloured by ``node_color`` on a
            diverging scale) or "backward" (edge width and colour from ``edge_grad`` on a log
            scale, nodes coloured by their gradient norm; arrowheads keep the weight's colour).
        node_color: node id -> number; nodes without one are drawn grey.
        node_hover: node id -> hover text.
        edge_grad: backward mode: one gradient norm (or None) per edge.
        title: figure title.
        lang: language of the legend, axis and hover words ("en", "ko").
    Returns:
        a Figure. Trace names (English): one line trace per weight in forward mode, named
        "<weight>: one shared matrix, used n×" for the shared weights; "arrows: <weight>" marker
        traces; "nodes (coloured)", "nodes", "loss nodes", "gap"; in backward mode "gradient level k"
        line traces.
    """
    node_color = node_color or {}
    node_hover = node_hover or {}
    # rows in use, packed (no empty band when there is no backward chain or context)
    used_rows = sorted({float(n.row) for n in nodes})
    rank = {r: float(i) for i, r in enumerate(used_rows)}
    pos = {n.id: (float(n.col), rank[float(n.row)]) for n in nodes}
    cols = [p[0] for p in pos.values()] or [0.0]
    span_x = max(cols) - min(cols) + 1.4
    # pixels per unit, to aim the arrowheads of diagonal edges
    px_x, px_y = 1100.0 / max(span_x, 1.0), (height - 160) / max(len(used_rows), 1)
    data = []
    used = {}
    for e in edges:
        used[e.weight] = used.get(e.weight, 0) + 1

    def seg(es):
        xs, ys = [], []
        for e in es:
            (x0, y0), (x1, y1) = pos[e.src], pos[e.dst]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        return xs, ys

    labels = {w: edge_label(w, lang) for w in EDGE_STYLE}

    def legend_name(w):
        return text("fig.graph.shared", lang, name=labels[w], n=used[w]) if w in SHARED else labels[w]

    if mode == "backward" and edge_grad is not None:
        g = np.array([np.nan if v is None else float(v) for v in edge_grad], float)
        span = log_span(list(g) + list(node_color.values()))
        lev = _levels(np.where(np.isfinite(g), g, 0.0), span)
        for k in range(N_LEVELS):
            es = [e for e, lv, gv in zip(edges, lev, g) if lv == k and np.isfinite(gv)]
            if not es:
                continue
            xs, ys = seg(es)
            data.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=text("fig.graph.level", lang, k=k),
                             showlegend=False, hoverinfo="skip",
                             line=dict(color=_scale_color(k / (N_LEVELS - 1)), width=1.5 + 8.5 * k / (N_LEVELS - 1))))
        es = [e for e, gv in zip(edges, g) if not np.isfinite(gv)]
        if es:
            xs, ys = seg(es)
            data.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=text("fig.graph.no_gradient", lang),
                             line=dict(color="#cccccc", width=1.2, dash="dot"), hoverinfo="skip"))
    else:
        for w in EDGE_STYLE:
            es = [e for e in edges if e.weight == w]
            if not es:
                continue
            col, dash = EDGE_STYLE[w]
            xs, ys = seg(es)
            data.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=legend_name(w), legendgroup=w,
                             line=dict(color=col, width=3.5 if w in SHARED else 2, dash=dash), hoverinfo="skip"))
    # arrowheads in the weight's colour (both modes: backward mode names the weights with them)
    for w in EDGE_STYLE:
        es = [e for e in edges if e.weight == w]
        if not es:
            continue
        ax, ay, ang, txt = [], [], [], []
        for e in es:
            (x0, y0), (x1, y1) = pos[e.src], pos[e.dst]
            f = 0.62
            ax.append(x0 + f * (x1 - x0)); ay.append(y0 + f * (y1 - y0))
            ang.append(float(90 - np.degrees(np.arctan2((y1 - y0) * px_y, (x1 - x0) * px_x))))
            txt.append(f"{labels[w]}: {e.src} → {e.dst}")
        data.append(dict(type="scatter", x=ax, y=ay, mode="markers", name=text("fig.graph.arrows", lang, w=w),
                         legendgroup=w, showlegend=mode == "backward" and w in SHARED,
                         marker=dict(symbol="triangle-up", size=13, angle=ang, color=EDGE_STYLE[w][0],
                                     line=dict(width=0)),
                         text=txt, hovertemplate="%{text}<extra></extra>"))
        if mode == "backward" and w in SHARED:
            data[-1]["name"] = legend_name(w)
    # nodes
    colored = [n for n in nodes if n.id in node_color and n.kind not in ("L", "gap")]
    plain = [n for n in nodes if n.id not in node_color and n.kind not in ("L", "gap")]
    losses = [n for n in nodes if n.kind == "L"]
    gaps = [n for n in nodes if n.kind == "gap"]
    if colored:
        v = np.array([node_color[n.id] for n in colored], float)
        if mode == "backward":
            top = np.nanmax(v) if np.any(v > 0) else 1.0
            span = log_span(list(v) + ([] if edge_grad is None else list(edge_grad)))
            c = np.log10(np.clip(v / top, 10 ** -span, 1.0))
            marker = dict(color=compact(c), colorscale=GRAD_COLORSCALE, cmin=-span, cmax=0,
                          colorbar=dict(title=dict(text=text("fig.graph.grad_bar", lang), side="right"),
                                        thickness=14, len=0.7))
        else:
            m = float(np.nanmax(np.abs(v))) if v.size else 1.0
            marker = dict(color=compact(v), colorscale=DIVERGING_COLORSCALE, cmid=0.0, cmin=-m or -1, cmax=m or 1,
                          colorbar=dict(title=dict(text=text("fig.graph.mean_bar", lang), side="right"),
                                        thickness=14, len=0.7))
        marker.update(size=34, line=dict(color="#333333", width=1.5))
        # white labels on the dark ends of the scale
        cv = np.asarray(marker["color"], float)
        dark = (cv > 0.3 * marker["cmin"]) if mode == "backward" else \
            (np.abs(cv) > 0.6 * max(float(np.abs(cv).max(initial=0)), 1e-12))
        text_colors = np.where(dark, "#ffffff", "#111111").tolist()
        data.append(dict(type="scatter", x=[pos[n.id][0] for n in colored], y=[pos[n.id][1] for n in colored],
                         mode="markers+text", name=text("fig.graph.nodes_coloured", lang), showlegend=False,
                         marker=marker,
                         text=[n.label for n in colored], textfont=dict(size=14, color=text_colors),
                         hovertext=[node_hover.get(n.id, n.id) for n in colored],
                         hovertemplate="%{hovertext}<extra></extra>"))
    if plain:
        data.append(dict(type="scatter", x=[pos[n.id][0] for n in plain], y=[pos[n.id][1] for n in plain],
                         mode="markers+text", name=text("fig.graph.nodes", lang), showlegend=False,
                         marker=dict(size=34, color="#f2f2f2", line=dict(color="#333333", width=1.5)),
                         text=[n.label for n in plain], textfont=dict(size=14, color="#111111"),
                         hovertext=[node_hover.get(n.id, n.id) for n in plain],
                         hovertemplate="%{hovertext}<extra></extra>"))
    if losses:
        data.append(dict(type="scatter", x=[pos[n.id][0] for n in losses], y=[pos[n.id][1] for n in losses],
                         mode="markers+text", name=text("fig.graph.loss_nodes", lang), showlegend=False,
                         marker=dict(size=32, symbol="square", color="#fff3d6", line=dict(color="#333333", width=1.5)),
                         text=[n.label for n in losses], textfont=dict(size=14, color="#111111"),
                         hovertext=[node_hover.get(n.id, n.id) for n in losses],
                         hovertemplate="%{hovertext}<extra></extra>"))
    if gaps:
        not_drawn = text("fig.graph.not_drawn", lang)
        data.append(dict(type="scatter", x=[pos[n.id][0] for n in gaps], y=[pos[n.id][1] for n in gaps], mode="text",
                         name=text("fig.graph.gap", lang), showlegend=False, text=["⋯"] * len(gaps),
                         textfont=dict(size=28), hovertext=[node_hover.get(n.id, not_drawn) for n in gaps],
                         hovertemplate="%{hovertext}<extra></extra>"))
    rows = used_rows
    lay = layout(title=title, height=height, top=130 if title else 110, uirevision=uirevision,
                 xaxis=dict(range=[min(cols) - 0.7, max(cols) + 0.7], showgrid=False, zeroline=False,
                            showticklabels=False),
                 yaxis=dict(range=[-0.6, len(rows) - 0.4], showgrid=False, zeroline=False, tickmode="array",
                            tickvals=list(range(len(rows))), ticktext=[_row_name(r, lang) for r in rows]),
                 hovermode="closest")
    lay["legend"].update(font=dict(size=14))
    return go.Figure(data=data, layout=lay)


def contributions_figure(norm_t: np.ndarray, entry_t: np.ndarray, autograd_entry: float,
                         entry_label: str, *, height: int = 560, lang: str = "en") -> go.Figure:
    """Gradient accumulation: each step's share of dL/dW_hh, and their sum against autograd.

    Args:
        norm_t: (T,) Frobenius norm of step t's share.
        entry_t: (T,) step t's share of one entry of dL/dW_hh (signed).
        autograd_entry: torch.autograd's value of that entry.
        entry_label: the entry's name, e.g. "W_hh[1, 2]".
        lang: language of the names, axes and annotations ("en", "ko").
    Returns:
        a Figure: top (axis y) bars of norm_t, named "‖share_t‖"; bottom (axis y2) bars of
        entry_t named "share_t", then two bars at x = T+1 ("Σ_t") and T+2 ("autograd")
        (English names).
    """
    T = len(norm_t)
    steps = np.arange(T)
    s = float(np.sum(np.asarray(entry_t, np.float64)))
    autograd = text("fig.graph.autograd", lang)
    data = [
        dict(type="bar", x=steps, y=compact(norm_t), name=text("fig.graph.share_norm", lang), xaxis="x", yaxis="y",
             marker=dict(color=WEIGHT_COLORS["W_hh"]),
             hovertemplate="t=%{x}<br>" + text("fig.graph.share_norm_hover", lang) + " = %{y:.3g}<extra></extra>"),
        dict(type="bar", x=steps, y=np.asarray(entry_t, np.float64), name=text("fig.graph.share", lang),
             xaxis="x2", yaxis="y2",
             marker=dict(color=np.where(np.asarray(entry_t) >= 0, "#CC79A7", "#56B4E9").tolist()),
             hovertemplate="t=%{x}<br>" + text("fig.graph.share_entry_hover", lang, entry=entry_label)
             + " = %{y:.3g}<extra></extra>"),
        dict(type="bar", x=[T + 1, T + 2], y=[s, float(autograd_entry)], name=text("fig.graph.sum_vs", lang),
             xaxis="x2", yaxis="y2", marker=dict(color=["#000000", "#E69F00"]),
             text=[f"Σ = {s:.4g}", f"{autograd} = {autograd_entry:.4g}"], textposition="none",
             hovertemplate="%{text}<extra></extra>"),
    ]
    ticks = list(steps[:: max(1, T // 12)]) + [T + 1, T + 2]
    tick_text = [str(v) for v in steps[:: max(1, T // 12)]] + ["Σₜ", autograd]
    lay = layout(height=height, top=60, uirevision="graph-contrib", showlegend=False, bargap=0.15,
                 xaxis=dict(anchor="y", domain=[0, 1], range=[-0.7, T + 2.7], showticklabels=False),
                 yaxis=dict(domain=[0.62, 1.0], title=dict(text=text("fig.graph.share_axis", lang))),
                 xaxis2=dict(anchor="y2", domain=[0, 1], range=[-0.7, T + 2.7], matches="x",
                             tickmode="array", tickvals=ticks, ticktext=tick_text,
                             title=dict(text=text("fig.graph.time_axis", lang))),
                 yaxis2=dict(domain=[0.0, 0.46], title=dict(text=entry_label), zeroline=True,
                             zerolinecolor="#444444"),
                 # the lower plot's title and its sum on two lines of one annotation: on one line they
                 # ran into each other on a laptop (1024 px) and in presenter mode
                 annotations=[
                     dict(text=text("fig.graph.norm_title", lang), x=0, xref="paper", y=1.0,
                          yref="paper", xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=15)),
                     dict(text=text("fig.graph.entry_title", lang, entry=entry_label)
                          + f"<br>Σₜ = {s:.6g}   {autograd} = {autograd_entry:.6g}",
                          x=0, xref="paper", y=0.47, yref="paper", xanchor="left", yanchor="bottom",
                          align="left", showarrow=False, font=dict(size=15))])
    return go.Figure(data=data, layout=lay)
