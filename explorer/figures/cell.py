"""Figures of the RNN cell page: inputs/states/outputs over time, the cobweb (H = 1), the phase
plane (H = 2) and a 3-D trajectory (H = 3). Pure: numpy in, plotly Figure out.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.app.i18n import text

from .common import FONT_SIZE, PALETTE, PLOTLY_WHITE, compact, legend_below, legend_entries, sub

# Figures are built from plain dicts in one go.Figure call: plotly validates a dict once, where
# make_subplots / add_trace / update_* validate again at every call (10x slower; the page must
# rerun within 300 ms of a slider move).


def layout(*, title: str | None = None, uirevision: str = "keep", height: int | None = None,
           top: int = 40, **kw) -> dict:
    """The app-wide layout of explorer.figures.common.base_layout, as one dict."""
    out = dict(template=PLOTLY_WHITE, font=dict(size=FONT_SIZE), uirevision=uirevision,
               margin=dict(l=60, r=20, t=top, b=50), hoverlabel=dict(font_size=FONT_SIZE),
               legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0,
                           bgcolor="rgba(255,255,255,0.6)"))
    if title is not None:
        out["title"] = dict(text=title, x=0.01, xanchor="left", y=0.98, yanchor="top", yref="container")
    if height is not None:
        out["height"] = height
    out.update(kw)
    return out

STABLE_COLOR = "#009E73"
UNSTABLE_COLOR = "#D55E00"
TRAJ_COLOR = "#0072B2"


def series_figure(x_tf: np.ndarray, h_th: np.ndarray, y_to: np.ndarray, t: int,
                  words: tuple | None = None, height: int = 520, *, lang: str = "en") -> go.Figure:
    """x_t, h_t and y_t against t in three rows (top to bottom), the current step marked.

    Args:
        x_tf: inputs (T, F); h_th: hidden states (T, H); y_to: outputs (T, O).
        t: the current step (a vertical line and ringed markers).
        words: (T,) words read at each step (the x axis then names them).
        lang: language of the titles ("en", "ko").
    Returns:
        a Figure with one trace per channel/unit/output on axes y (x), y2 (h), y3 (y), plus one
        marker trace per row for the current step (named "current x", "current h", "current y").
    """
    T = len(x_tf)
    steps = np.arange(T)
    data = []
    rows = [(x_tf, "x", "y"), (h_th, "h", "y2"), (y_to, "y", "y3")]
    for r, (arr, sym, yax) in enumerate(rows):
        arr = np.asarray(arr, float).reshape(T, -1)
        n = arr.shape[1]
        for i in range(n):
            name = f"{sym}[{i + 1}]" if n > 1 else sym
            data.append(dict(type="scatter", x=steps, y=compact(arr[:, i]), mode="lines+markers", name=name,
                             xaxis="x", yaxis=yax, legendgroup=sym,
                             line=dict(color=PALETTE[(i + 2 * r) % 6], width=2.5), marker=dict(size=7),
                             hovertemplate=f"t=%{{x}}<br>{name}=%{{y:.3f}}<extra></extra>"))
        if 0 <= t < T:
            data.append(dict(type="scatter", x=[t] * n, y=arr[t].tolist(), mode="markers", showlegend=False,
                             xaxis="x", yaxis=yax, name=text("fig.cell.current", lang, sym=sym),
                             hoverinfo="skip",
                             marker=dict(size=15, color="rgba(0,0,0,0)", line=dict(color="black", width=2.5))))
    x_title = text("fig.cell.time_axis", lang) if words is None else text("fig.cell.word_axis", lang)
    xaxis = dict(anchor="y3", title=dict(text=x_title))
    if words is not None:
        xaxis.update(tickmode="array", tickvals=steps.tolist(), ticktext=list(words), tickangle=-45)
    titles = (text("fig.cell.row_x", lang), text("fig.cell.row_h", lang), text("fig.cell.row_y", lang))
    domains = ((0.72, 1.0), (0.36, 0.64), (0.0, 0.28))
    lay = layout(height=height, uirevision="cell-series", top=60, xaxis=xaxis,
                 yaxis=dict(domain=domains[0], anchor="x"), yaxis2=dict(domain=domains[1], anchor="x"),
                 yaxis3=dict(domain=domains[2], anchor="x"),
                 annotations=[dict(text=tt, x=0.5, xref="paper", xanchor="center", y=d[1], yref="paper",
                                   yanchor="bottom", showarrow=False, font=dict(size=15))
                              for tt, d in zip(titles, domains)],
                 shapes=[dict(type="line", x0=t, x1=t, y0=0, y1=1, xref="x", yref="paper",
                              line=dict(color="#555555", width=2, dash="dot"))] if 0 <= t < T else [])
    return go.Figure(data=data, layout=lay)


def _fixed_point_traces(pts_k2, stable_k, labels, lang: str) -> list:
    out = []
    for stable in (True, False):
        sel = np.asarray(stable_k, bool) == stable
        if not np.any(sel):
            continue
        col = STABLE_COLOR if stable else UNSTABLE_COLOR
        out.append(dict(
            type="scatter", x=pts_k2[sel, 0].tolist(), y=pts_k2[sel, 1].tolist(), mode="markers",
            name=text("fig.cell.stable_fp", lang) if stable else text("fig.cell.unstable_fp", lang),
            marker=dict(size=17, symbol="circle" if stable else "circle-open", color=col,
                        line=dict(color=col, width=3.5)),
            text=[str(v) for v in np.asarray(labels, object)[sel]],
            hovertemplate="h* = (%{x:.3f}, %{y:.3f})<br>%{text}<extra></extra>"))
    return out


def cobweb_figure(grid: np.ndarray, f: np.ndarray, path: np.ndarray, fp: np.ndarray,
                  stable: np.ndarray, labels, *, t: int, u_text: str, x_range: tuple,
                  height: int = 500, lang: str = "en") -> go.Figure:
    """Cobweb plot of a 1-D map h_t = F(h_{t-1}).

    Args:
        grid: (N,) h_{t-1} values; f: (N,) F at them, for the current input.
        path: (t+2,) visited states h_{-1} = 0, h_0, ..., h_t (the staircase).
        fp: (K,) fixed points; stable: (K,) bool; labels: (K,) verdicts (in ``lang``).
        t: current step; u_text: the current input in words; x_range: (lo, hi) of both axes.
        lang: language of the titles and legend ("en", "ko").
    Returns:
        a Figure: diagonal, the map (trace 1), the staircase (trace 2), the current point,
        then the stable and unstable fixed points.
    """
    lo, hi = x_range
    sx, sy = [float(path[0])], [float(path[0])]
    for a, b in zip(path[:-1], path[1:]):  # vertical to the map, horizontal to the diagonal
        sx += [float(a), float(b)]
        sy += [float(b), float(b)]
    fp = np.asarray(fp, float).reshape(-1)
    data = [
        dict(type="scatter", x=[lo, hi], y=[lo, hi], mode="lines", name="hₜ = hₜ₋₁",
             line=dict(color="#888888", dash="dash", width=2)),
        dict(type="scatter", x=compact(grid), y=compact(f), mode="lines", name=f"F(h, u), {u_text}",
             line=dict(color=PALETTE[4], width=3.5)),
        dict(type="scatter", x=sx, y=sy, mode="lines", name=text("fig.cell.trajectory", lang, t=t),
             line=dict(color=TRAJ_COLOR, width=2.5)),
        dict(type="scatter", x=[float(path[-2])], y=[float(path[-1])], mode="markers",
             name=f"(h{sub(t - 1)}, h{sub(t)})", marker=dict(size=14, color=TRAJ_COLOR, symbol="diamond")),
    ] + _fixed_point_traces(np.stack([fp, fp], -1), stable, labels, lang)
    lay = layout(title=text("fig.cell.cobweb_title", lang, t=t), height=height, top=70,
                 uirevision="cell-cobweb",
                 xaxis=dict(range=[lo, hi], title=dict(text="hₜ₋₁")),
                 yaxis=dict(range=[lo, hi], scaleanchor="x", scaleratio=1, title=dict(text="hₜ")))
    return go.Figure(data=data, layout=_legend_below(lay, data))


def _legend_below(lay: dict, data: list) -> dict:
    """The legend in rows of two under the plot: above a half-width chart, its entries wrapped into
    a column that climbed over the title (in presenter mode's larger type)."""
    return legend_below(lay, legend_entries(data), per_row=2)


def _arrows(p_n2: np.ndarray, d_n2: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Line segments (NaN gaps) of arrows from p along d, heads included: 7 points per arrow."""
    n = np.linalg.norm(d_n2, axis=1)
    big = n.max(initial=0.0)
    keep = n > 1e-12
    if big <= 0 or not keep.any():
        return np.zeros(0), np.zeros(0)
    p, d, n = p_n2[keep], d_n2[keep], n[keep]
    L = scale * np.sqrt(n / big)  # length grows with the speed, capped at about one grid cell
    u = d / n[:, None]
    tip = p + u * L[:, None]
    perp = np.stack([-u[:, 1], u[:, 0]], -1)
    h1 = tip - 0.35 * L[:, None] * u + 0.2 * L[:, None] * perp
    h2 = tip - 0.35 * L[:, None] * u - 0.2 * L[:, None] * perp
    gap = np.full_like(p, np.nan)
    seg = np.stack([p, tip, gap, h1, tip, h2, gap], 1).reshape(-1, 2)
    return seg[:, 0], seg[:, 1]


def phase_figure(pts_n2: np.ndarray, d_n2: np.ndarray, grid: np.ndarray, g1: np.ndarray,
                 g2: np.ndarray, traj_t2: np.ndarray, fp_k2: np.ndarray, stable_k: np.ndarray,
                 labels, *, t: int, u_text: str, axis_range: tuple, height: int = 580,
                 lang: str = "en") -> go.Figure:
    """Phase plane of a 2-D map h -> F(h, u).

    Args:
        pts_n2: arrow feet (N, 2); d_n2: F(h, u) - h at them (N, 2).
        grid: (M,) axis of the nullcline grid; g1, g2: (M, M) F_1 - h_1 and F_2 - h_2 on it
            (rows follow h_2, columns h_1); their zero contours are the nullclines.
        traj_t2: visited states h_{-1} = 0, h_0, ..., h_t (t+2, 2).
        fp_k2: fixed points (K, 2); stable_k: (K,) bool; labels: (K,) verdicts (in ``lang``).
        t: current step; u_text: the current input; axis_range: (lo, hi) of both axes.
        lang: language of the titles and legend ("en", "ko").
    Returns:
        a Figure: vector field (trace 0), two nullcline contours, trajectory, current state,
        then the stable and unstable fixed points.
    """
    lo, hi = axis_range
    cell = (hi - lo) / max(2, int(np.sqrt(len(pts_n2))) - 1)
    xs, ys = _arrows(np.asarray(pts_n2, float), np.asarray(d_n2, float), 0.9 * cell)
    data = [dict(type="scatter", x=compact(xs), y=compact(ys), mode="lines", name="F(h, u) − h",
                 line=dict(color="#9a9a9a", width=1.6), hoverinfo="skip", connectgaps=False)]
    for g, h, col in ((g1, "h₁", PALETTE[1]), (g2, "h₂", PALETTE[2])):
        name = text("fig.cell.nullcline", lang, h=h)
        data.append(dict(type="contour", x=compact(grid), y=compact(grid), z=compact(g), name=name,
                         showlegend=True, showscale=False, hoverinfo="skip",
                         contours=dict(start=0, end=0, size=1, coloring="none"), line=dict(color=col, width=3)))
    data += [
        dict(type="scatter", x=compact(traj_t2[:, 0]), y=compact(traj_t2[:, 1]), mode="lines+markers",
             name=text("fig.cell.trajectory", lang, t=t), line=dict(color=TRAJ_COLOR, width=2.5),
             marker=dict(size=7, color=TRAJ_COLOR), hovertemplate="h = (%{x:.3f}, %{y:.3f})<extra></extra>"),
        dict(type="scatter", x=[float(traj_t2[-1, 0])], y=[float(traj_t2[-1, 1])], mode="markers",
             name=f"h{sub(t)}", marker=dict(size=16, color=TRAJ_COLOR, symbol="diamond")),
    ] + _fixed_point_traces(np.asarray(fp_k2, float).reshape(-1, 2), stable_k, labels, lang)
    lay = layout(title=text("fig.cell.phase_title", lang, t=t, u=u_text), height=height, top=70,
                 uirevision="cell-phase",
                 xaxis=dict(range=[lo, hi], title=dict(text="h₁")),
                 yaxis=dict(range=[lo, hi], scaleanchor="x", scaleratio=1, title=dict(text="h₂")))
    return go.Figure(data=data, layout=_legend_below(lay, data))


def trajectory3d_figure(h_t3: np.ndarray, t: int, height: int = 540, *, lang: str = "en") -> go.Figure:
    """The H = 3 state trajectory h_{-1} = 0, h_0..h_t in 3-D (no phase plane in three dimensions)."""
    h = np.concatenate([np.zeros((1, 3)), np.asarray(h_t3, float)[:t + 1]])
    data = [dict(type="scatter3d", x=h[:, 0], y=h[:, 1], z=h[:, 2], mode="lines+markers",
                 line=dict(color=TRAJ_COLOR, width=5), marker=dict(size=4),
                 name=text("fig.cell.trajectory", lang, t=t)),
            dict(type="scatter3d", x=h[-1:, 0], y=h[-1:, 1], z=h[-1:, 2], mode="markers", name=f"h{sub(t)}",
                 marker=dict(size=8, color="black", symbol="diamond"))]
    lay = layout(title=text("fig.cell.traj3d_title", lang, t=t), height=height, top=80, uirevision="cell-3d",
                 scene=dict(xaxis_title="h₁", yaxis_title="h₂", zaxis_title="h₃"))
    return go.Figure(data=data, layout=lay)
