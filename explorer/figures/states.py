"""Figure builders for hidden states and gradient norms (Training lab and other pages).

Pure functions: numpy arrays in, `plotly.graph_objects.Figure` out. Every builder
bounds the number of points it sends, so a refresh stays well under 1 MB even for
T = 1000 steps and H = 512 hidden units.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ..app.i18n import text
from .common import (
    CELL_COLORS,
    DIVERGING_COLORSCALE,
    PALETTE,
    TIME_COLORSCALE,
    colorscale,
    compact,
    deep_merge,
    downsample_index,
    empty_figure,
    figure,
    layout_dict,
)

GRAD_TITLE = "||∂L/∂h_t||"  # a formula: the same in every language


# --------------------------------------------------------------------- hidden state


def trajectory_figure(
    proj_ntk: np.ndarray,
    *,
    color_by: str = "time",
    labels_n: np.ndarray | None = None,
    explained: Sequence[float] | None = None,
    max_points: int = 5000,
    title: str | None = None,
    ranges: Sequence[Sequence[float]] | None = None,
    lang: str = "en",
    as_dict: bool = False,
) -> go.Figure | dict:
    """Hidden-state trajectories projected on the leading principal components.

    Args:
        proj_ntk: (n, T, k), k in {2, 3}: PCA coordinates of h_t for n sequences.
        color_by: "time" (markers coloured by t, one shared colour bar "t") or
            "label" (each sequence coloured by its label, one legend entry per label).
        labels_n: (n,) labels, required for color_by="label".
        explained: explained-variance fractions of the k components, for axis titles.
        max_points: bound on all points drawn (line points, NaN gaps between sequences,
            start/end markers), >= 5; time is strided, and sequences are subsampled
            evenly if there are very many.
        title: figure title; None: "Hidden-state trajectories (PCA)" in ``lang``.
        ranges: fixed axis ranges ((x0, x1), (y0, y1)[, (z0, z1)]) so an animation
            does not jump; None lets plotly autoscale.
        lang: language of every text in the figure ("en" or "ko").
        as_dict: plain dicts ({"data", "layout"}), unvalidated: the live chart's form, rebuilt at
            every probe.

    Returns:
        Figure (Scatter traces, or Scatter3d when k == 3): the paths, one trace
        "trajectories" (color_by="time") or one trace "label <l>" per label, with
        sequences separated by NaN gaps; then a "start" (circle) and an "end" (x)
        marker trace.
    """
    proj = np.asarray(proj_ntk, dtype=np.float64)
    if proj.ndim == 2:
        proj = proj[None]
    if proj.ndim != 3 or proj.shape[2] not in (2, 3):
        raise ValueError(f"expected (n, T, k) with k in (2, 3), got shape {proj.shape}")
    if color_by not in ("time", "label"):
        raise ValueError(f"color_by must be 'time' or 'label', got {color_by!r}")
    if color_by == "label" and labels_n is None:
        raise ValueError("color_by='label' needs labels_n")
    if max_points < 5:
        raise ValueError(f"max_points must be at least 5, got {max_points}")
    n, T, k = proj.shape
    if title is None:
        title = text("fig.states.traj_title", lang)
    if n == 0 or T == 0:
        return empty_figure(title=title, lang=lang, as_dict=as_dict)

    seq, t_idx = trajectory_sample(n, T, max_points)
    labels = None if labels_n is None else np.asarray(labels_n).reshape(-1)
    if labels is not None and labels.size != n:
        raise ValueError(f"{labels.size} labels for {n} sequences")

    is3d = k == 3
    trace_type = "scatter3d" if is3d else "scatter"
    line_w = 3 if is3d else 1.5
    data = []
    if color_by == "time":
        groups = [(text("fig.states.trajectories", lang), seq, None)]
    else:
        # One trace per label, in order of first appearance: a legend entry per label.
        _, first = np.unique(labels[seq], return_index=True)
        groups = [
            (text("fig.states.label", lang, label=labels[seq[f]]), seq[labels[seq] == labels[seq[f]]],
             PALETTE[j % len(PALETTE)])
            for j, f in enumerate(np.sort(first))
        ]
    for name, members, color in groups:
        coords, custom = joined_paths(proj, members, t_idx)
        if color is None:
            style = dict(
                showlegend=False,
                line=dict(color="rgba(90,90,90,0.35)", width=line_w),
                marker=dict(color=custom[:, 1], coloraxis="coloraxis", size=4 if is3d else 6),
            )
        else:
            style = dict(line=dict(color=color, width=line_w),
                         marker=dict(color=color, size=3 if is3d else 5))
        # One trace per group, sequences separated by NaN gaps: plotly's cost is per trace.
        data.append(dict(
            type=trace_type, **{a: coords[:, j] for j, a in enumerate("xyz"[:k])}, mode="lines+markers",
            name=name, connectgaps=False, customdata=custom,
            hovertemplate=(text("fig.states.sequence", lang)
                           + " %{customdata[0]}<br>t %{customdata[1]}<extra></extra>"),
            **style))

    markers = ((text("fig.states.start", lang), 0, "circle"), (text("fig.states.end", lang), -1, "x"))
    for name, col, symbol in markers:
        pts = compact(proj[seq, t_idx[col]])
        data.append(dict(
            type=trace_type, **{a: pts[:, j] for j, a in enumerate("xyz"[:k])}, mode="markers", name=name,
            hoverinfo="skip",
            marker=dict(symbol=symbol, size=7 if is3d else 11, color="black", line=dict(color="white", width=1))))

    layout = layout_dict({}, title=title)
    if color_by == "time":
        layout["coloraxis"] = dict(colorscale=colorscale(TIME_COLORSCALE), cmin=0, cmax=max(T - 1, 1), colorbar=dict(title=dict(text="t")))
    axes = {}
    for j, name in enumerate(("xaxis", "yaxis", "zaxis")[:k]):
        pct = f" ({100 * explained[j]:.1f}%)" if explained is not None and j < len(explained) else ""
        axes[name] = dict(title=dict(text=text("fig.states.pc", lang, j=j + 1) + pct))
        if ranges is not None:
            axes[name]["range"] = [float(v) for v in ranges[j]]
            axes[name]["autorange"] = False
    deep_merge(layout, dict(scene=dict(**axes, aspectmode="cube" if ranges is not None else "auto")) if is3d else axes)
    return figure(data, layout, as_dict)


def trajectory_sample(n: int, T: int, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """The sequences and time steps ``trajectory_figure`` draws of (n, T, k) states: a budget per
    sequence of its line points, one NaN gap, a start and an end marker (replays reuse it)."""
    seq = downsample_index(n, max_points // 5)
    return seq, downsample_index(T, max_points // seq.size - 3)


def joined_paths(proj, members, t_idx) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate sequences' paths with a NaN row between them.

    Returns:
        coords: (m * (len(t_idx) + 1) - 1, k) float32; custom: same rows, 2 columns
        (sequence index, time step) for hover and time colouring.
    """
    m, L, k = len(members), len(t_idx), proj.shape[2]
    coords = np.full((m, L + 1, k), np.nan, dtype=np.float32)
    coords[:, :L] = proj[np.ix_(members, t_idx)]
    custom = np.zeros((m, L + 1, 2), dtype=np.int32)
    custom[:, :, 0] = np.asarray(members)[:, None]
    custom[:, :L, 1] = t_idx
    return coords.reshape(-1, k)[:-1], custom.reshape(-1, 2)[:-1]


def hidden_heatmap(
    hidden_th: np.ndarray,
    *,
    max_units: int = 128,
    max_steps: int = 500,
    title: str | None = None,
    lang: str = "en",
    as_dict: bool = False,
) -> go.Figure | dict:
    """Hidden activations of one sequence as a units × time heatmap.

    Args:
        hidden_th: (T, H) hidden states h_t of one sequence.
        max_units: most units (rows) shown; evenly spaced units are kept.
        max_steps: most time columns; beyond it consecutive steps are averaged.
        title: figure title; None: "Hidden state" in ``lang``.
        lang: language of every text in the figure ("en" or "ko").
        as_dict: plain dicts, unvalidated, as in ``trajectory_figure``.

    Returns:
        Figure with one Heatmap, z of shape (<= max_units, <= max_steps), diverging
        colour scale centred at 0. x = time step (bin centre when averaged), y = unit index.
    """
    h = np.asarray(hidden_th, dtype=np.float64)
    if h.ndim == 1:
        h = h[:, None]
    if h.ndim != 2:
        raise ValueError(f"expected (T, H) hidden states, got shape {h.shape}")
    T, H = h.shape
    if title is None:
        title = text("fig.states.hidden_title", lang)
    x_title, unit = text("fig.states.time_step", lang), text("fig.states.unit", lang)
    if T == 0 or H == 0:
        return empty_figure(title=title, x_title=x_title, y_title=unit, lang=lang, as_dict=as_dict)
    h, t, units = hidden_grid(h, max_units, max_steps)
    data = [dict(type="heatmap", z=compact(h.T), x=compact(t), y=units, colorscale=colorscale(DIVERGING_COLORSCALE), zmid=0.0,
                 colorbar=dict(title=dict(text="h")),
                 hovertemplate="t %{x:.0f}<br>" + unit + " %{y}<br>h %{z:.3f}<extra></extra>")]
    return figure(data, layout_dict({}, title=title, x_title=x_title, y_title=unit), as_dict)


def hidden_grid(h_th: np.ndarray, max_units: int = 128, max_steps: int = 500):
    """What ``hidden_heatmap`` draws of (T, H) states: (h (T', H'), t (T',), units (H',)), evenly
    spaced units and, past ``max_steps``, consecutive steps averaged."""
    h = np.asarray(h_th, dtype=np.float64)
    T, H = h.shape
    units = downsample_index(H, max_units)
    h = h[:, units]
    t = np.arange(T, dtype=np.float64)
    if T > max_steps:
        # Averaging, not striding: a one-step burst still shows up as a faint column.
        edges = np.linspace(0, T, int(max_steps) + 1).astype(np.int64)
        counts = np.diff(edges)[:, None]
        h = np.add.reduceat(h, edges[:-1], axis=0) / counts
        t = np.add.reduceat(t, edges[:-1]) / counts[:, 0]
    return h, t, units


# ------------------------------------------------------------------------- gradients


def log_floor(arrays: Sequence[np.ndarray]) -> float:
    """A floor for non-positive values: a decade under the smallest positive one.

    Relative, not a fixed 1e-300, so an underflowed zero does not stretch the log axis
    over hundreds of decades.
    """
    pos = [a[(a > 0) & np.isfinite(a)] for a in arrays]
    pos = [p for p in pos if p.size]
    return float(min(p.min() for p in pos)) / 10.0 if pos else 1e-30


def curve_values(g: np.ndarray, floor: float | None) -> np.ndarray:
    """A gradient-norm curve as drawn: inf as a gap (it would break the axis range); on a log axis
    (``floor`` given) values <= 0 raised to ``floor``."""
    g = np.where(np.isfinite(g), g, np.nan)
    return g if floor is None else np.where(g > 0, g, np.where(np.isnan(g), np.nan, floor))


def _grad_curve_fig(curves: dict, colors: dict, log_y: bool, lang: str, as_dict: bool = False) -> go.Figure | dict:
    title = text("fig.states.grad_curve_title", lang, grad=GRAD_TITLE)
    x_title = text("fig.states.time_step", lang)
    data = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in curves.items()}
    if not data or all(v.size == 0 for v in data.values()):
        return empty_figure(title=title, x_title=x_title, y_title=GRAD_TITLE, lang=lang, as_dict=as_dict)
    floor = log_floor(list(data.values()))
    traces = []
    for j, (name, g) in enumerate(data.items()):
        g = curve_values(g, floor if log_y else None)
        color = colors.get(name) or CELL_COLORS.get(str(name).lower()) or PALETTE[j % len(PALETTE)]
        traces.append(dict(
            type="scatter", x=np.arange(g.size), y=compact(g), mode="lines", name=str(name),
            line=dict(color=color, width=2.5),
            hovertemplate="t %{x}<br>" + GRAD_TITLE + " %{y:.3g}<extra>" + str(name) + "</extra>"))
    layout = layout_dict({}, title=title, x_title=x_title, y_title=GRAD_TITLE)
    deep_merge(layout["yaxis"], dict(type="log" if log_y else "linear", exponentformat="power"))
    return figure(traces, layout, as_dict)


def grad_norm_curve(
    grad_norm_t: np.ndarray, *, label: str | None = None, log_y: bool = True, lang: str = "en",
    as_dict: bool = False,
) -> go.Figure | dict:
    """||dL/dh_t|| against time step t for one model.

    Args:
        grad_norm_t: (T,) gradient norm per time step (Trace.grad_h_norm).
        label: legend name, e.g. "lstm" (picks the cell colour); default "||∂L/∂h_t||".
        log_y: log y axis; values <= 0 are then clipped to a decade below the smallest
            positive value, NaN/inf become gaps.
        lang: language of every text in the figure ("en" or "ko").
        as_dict: plain dicts, unvalidated, as in ``trajectory_figure``.

    Returns:
        Figure with one line trace.
    """
    name = label if label is not None else GRAD_TITLE
    return _grad_curve_fig({name: grad_norm_t}, {}, log_y, lang, as_dict)


def grad_norm_curves(
    curves: dict[str, np.ndarray], colors: dict[str, str] | None = None, *, lang: str = "en"
) -> go.Figure:
    """Several ||dL/dh_t|| curves on one log axis, e.g. RNN vs LSTM vs GRU.

    Args:
        curves: name -> (T_i,) gradient norms; lengths may differ.
        colors: name -> colour; names matching "rnn"/"lstm"/"gru" default to
            CELL_COLORS, others to the palette.
        lang: language of every text in the figure ("en" or "ko").

    Returns:
        Figure with one line trace per curve, log y axis.
    """
    return _grad_curve_fig(dict(curves), dict(colors or {}), True, lang)


def grad_norm_heatmap(
    steps_s: np.ndarray,
    grad_norm_st: np.ndarray,
    *,
    max_rows: int = 300,
    max_cols: int = 500,
    lang: str = "en",
    as_dict: bool = False,
) -> go.Figure | dict:
    """How the gradient reaching each time step evolves during training.

    Args:
        steps_s: (S,) training steps at which the norms were recorded.
        grad_norm_st: (S, T) ||dL/dh_t|| per recorded step and time step.
        max_rows: most training steps shown (evenly spaced, first and last kept).
        max_cols: most time steps shown (evenly spaced).
        lang: language of every text in the figure ("en" or "ko").
        as_dict: plain dicts, unvalidated, as in ``trajectory_figure``.

    Returns:
        Figure with one Heatmap of log10 ||dL/dh_t||, z of shape
        (<= max_rows, <= max_cols); x = time step t, y = training step.
    """
    steps = np.asarray(steps_s).reshape(-1)
    g = np.asarray(grad_norm_st, dtype=np.float64)
    if g.ndim == 1:
        g = g[None]
    title = text("fig.states.grad_map_title", lang, grad=GRAD_TITLE)
    x_title, y_title = text("fig.states.time_step", lang), text("fig.states.training_step", lang)
    if g.ndim != 2 or g.size == 0:
        return empty_figure(title=title, x_title=x_title, y_title=y_title, lang=lang, as_dict=as_dict)
    if steps.size != g.shape[0]:
        raise ValueError(f"{steps.size} steps for {g.shape[0]} rows of gradient norms")
    rows = downsample_index(g.shape[0], max_rows)
    cols = downsample_index(g.shape[1], max_cols)
    g = g[np.ix_(rows, cols)]
    floor = log_floor([g])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(np.isfinite(g), np.log10(np.maximum(g, floor)), np.nan)
    data = [dict(type="heatmap", z=compact(z), x=cols, y=steps[rows], colorscale=colorscale(TIME_COLORSCALE),
                 colorbar=dict(title=dict(text="log₁₀ ||∂L/∂h_t||")),
                 hovertemplate=(text("fig.states.hover_step", lang) + " %{y}<br>t %{x}<br>log₁₀ "
                                + text("fig.states.norm", lang) + " %{z:.2f}<extra></extra>"))]
    return figure(data, layout_dict({}, title=title, x_title=x_title, y_title=y_title), as_dict)
