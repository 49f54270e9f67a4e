"""Figure builders of the LSTM vs GRU vs RNN comparison lab.

Pure: numpy arrays in, plotly Figure (or, with ``as_dict``, its plain dicts) out (no streamlit, no
torch). Builders that put several cells side by side take their common ranges as arguments
(computed by the caller over all the cells' data) so the three panels are read on one scale.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..app.i18n import text
from .common import (CELL_COLORS, DIVERGING_COLORSCALE, FONT_SIZE, PALETTE, TIME_COLORSCALE, all_axes, axis_name,
                     base_layout, cell_name, colorscale, compact, deep_merge, downsample_index, empty_figure, figure,
                     finite_xy, layout_dict, legend_below, legend_entries, subplot_axes, subplot_grid)
from .decimate import decimate_minmax

BASELINE_COLOR = "#555555"
GATE_COLORSCALE = "Viridis"  # sigmoid gates, 0 (closed) to 1 (open)
GATES = ("input", "forget", "output", "cell", "c", "reset", "update", "new")  # names with catalogue titles
SIGMOID = ("input", "forget", "output", "reset", "update")
GATE_COLORS = {"input": PALETTE[0], "forget": PALETTE[1], "output": PALETTE[2], "cell": PALETTE[4],
               "c": PALETTE[7], "reset": PALETTE[3], "update": PALETTE[5], "new": PALETTE[4]}


def gate_title(name: str, lang: str = "en") -> str:
    """"forget gate f_t" and the like in ``lang`` (an unknown name as it is)."""
    return text(f"fig.compare.gate.{name}", lang) if name in GATES else name


def gate_short(name: str, lang: str = "en") -> str:
    """A gate's one-word name for hover labels ("forget")."""
    return text(f"fig.compare.gate_short.{name}", lang) if name in GATES else name


def common_range(arrays, *, log: bool = False, pad: float = 0.05) -> tuple[float, float] | None:
    """(lo, hi) over all finite values of ``arrays`` (log10 of the positive ones when ``log``).

    Args:
        arrays: iterable of numeric arrays (any shapes).
        log: return the range of log10(values > 0).
        pad: fraction of the span added on each side (0 for colour scales).

    Returns:
        (lo, hi), or None when no value qualifies.
    """
    vals = []
    for a in arrays:
        a = np.asarray(a, dtype=np.float64).reshape(-1)
        a = a[np.isfinite(a)]
        if log:
            a = np.log10(a[a > 0])
        if a.size:
            vals.append((a.min(), a.max()))
    if not vals:
        return None
    lo, hi = min(v[0] for v in vals), max(v[1] for v in vals)
    span = max(hi - lo, 1e-12)
    return float(lo - pad * span), float(hi + pad * span)


def overlay_curves_figure(curves: dict, *, title: str, y_title: str, baseline: float | None = None,
                          val_curves: dict | None = None, log_y: bool = False, y_range: tuple | None = None,
                          max_points: int = 1500, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    """One curve per cell on shared axes, e.g. training loss, with the trivial baseline.

    Args:
        curves: kind -> (steps (N,), values (N,)) training values, drawn thin and faint.
        val_curves: kind -> (steps (M,), values (M,)) held-out values, drawn bold with markers.
        baseline: a dashed horizontal line (the best constant prediction); None: omitted.
        log_y: log y axis (used only when every value is positive).
        y_range: fixed (lo, hi) in axis units (log10 when log_y) so several figures match.
        lang: language of the legend, hover and axis texts.
        as_dict: plain dicts ({"data", "layout"}), unvalidated: the live chart's form, rebuilt
            twice a second (plotly's validation would cost more than the data).

    Returns:
        Figure: per cell up to two traces (train, held-out) in the cell's colour, then the baseline.
    """
    val_curves = val_curves or {}
    x_title, step = text("fig.compare.training_step", lang), text("fig.compare.step", lang)
    curve_data = {}
    for k in list(curves) + [k for k in val_curves if k not in curves]:
        tx, ty = finite_xy(*curves[k]) if k in curves else (np.empty(0), np.empty(0))
        vx, vy = finite_xy(*val_curves[k]) if k in val_curves else (np.empty(0), np.empty(0))
        curve_data[k] = (tx, ty, vx, vy)
    if not any(d[0].size or d[2].size for d in curve_data.values()):
        return empty_figure(lang=lang, title=title, x_title=x_title, y_title=y_title, as_dict=as_dict)
    allv = np.concatenate([np.concatenate([d[1], d[3]]) for d in curve_data.values()]
                          + [[baseline] if baseline is not None and np.isfinite(baseline) else []])
    use_log = log_y and bool(np.all(allv > 0))
    data, xmax = [], 0.0
    for k, (tx, ty, vx, vy) in curve_data.items():
        color = CELL_COLORS.get(k, PALETTE[len(data) % len(PALETTE)])
        cell = cell_name(k, lang)
        if tx.size:
            xd, yd = decimate_minmax(tx, ty, max_points)  # stable buckets: live refreshes send a tail
            data.append(dict(type="scatter", x=compact(xd), y=compact(yd), mode="lines",
                             name=text("fig.compare.train_name", lang, cell=cell),
                             line=dict(color=color, width=1.2), opacity=0.35, legendgroup=k, showlegend=not vx.size,
                             hovertemplate=f"{step} %{{x}}<br>%{{y:.4g}}<extra>{cell} "
                                           + text("fig.compare.train", lang) + "</extra>"))
            xmax = max(xmax, float(tx.max()))
        if vx.size:
            idx = downsample_index(vx.size, max_points)
            data.append(dict(type="scatter", x=compact(vx[idx]), y=compact(vy[idx]), mode="lines+markers",
                             name=text("fig.compare.held_out_name", lang, cell=cell), legendgroup=k,
                             line=dict(color=color, width=3), marker=dict(size=6),
                             hovertemplate=f"{step} %{{x}}<br>%{{y:.4g}}<extra>{cell} "
                                           + text("fig.compare.held_out", lang) + "</extra>"))
            xmax = max(xmax, float(vx.max()))
    if baseline is not None and np.isfinite(baseline):
        data.append(dict(type="scatter", x=[0.0, max(xmax, 1.0)], y=[float(baseline)] * 2, mode="lines",
                         name=text("fig.compare.baseline", lang), line=dict(color=BASELINE_COLOR, width=2, dash="dash"),
                         hovertemplate=text("fig.compare.baseline_hover", lang) + ": %{y:.4g}<extra></extra>"))
    layout = layout_dict({}, title=title, x_title=x_title, y_title=y_title, height=440)
    # two lines: plotly anchors the first line's top, so push both into view
    deep_merge(layout, dict(margin=dict(t=100), title=dict(pad=dict(t=22))) if "<br>" in title
               else dict(margin=dict(t=70)))
    # under the plot: above it, a projector's type wrapped the entries into the (sub)title
    legend_below(layout, legend_entries(data))
    deep_merge(layout["yaxis"], dict(type="log" if use_log else "linear", exponentformat="power"))
    if y_range is not None:
        layout["yaxis"]["range"] = list(y_range)
    return figure(data, layout, as_dict)


def grad_heatmaps_figure(rows: dict, *, zrange: tuple | None, max_rows: int = 120,
                         max_cols: int = 300, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    """log10 ||dL/dh_t|| (training step x time step), one panel per cell, ONE colour scale.

    Args:
        rows: kind -> (steps (S,), norms (S, T)).
        zrange: (zmin, zmax) in log10 units shared by the panels (see ``common_range(log=True)``).
        lang: language of the titles, hover and colour bar.
        as_dict: plain dicts ({"data", "layout"}), unvalidated: the live chart's form, rebuilt at
            every probe.

    Returns:
        Figure with one Heatmap per cell, all on ``coloraxis``; y axes shared.
    """
    title = text("fig.compare.grad_title", lang)
    t_title, s_title = text("fig.compare.time_step", lang), text("fig.compare.training_step", lang)
    log_norm = text("fig.compare.log_norm", lang)
    kinds = [k for k, (s, g) in rows.items() if np.asarray(g).size]
    if not kinds:
        return empty_figure(lang=lang, title=title, x_title=t_title, y_title=s_title, height=380, as_dict=as_dict)
    layout = subplot_grid([cell_name(k, lang) for k in kinds], FONT_SIZE + 1, rows=1, cols=len(kinds), shared_yaxes=True,
                   horizontal_spacing=0.03)
    data = []
    for j, k in enumerate(kinds):
        steps, g = rows[k]
        g = np.asarray(g, dtype=np.float64)
        r, c = downsample_index(g.shape[0], max_rows), downsample_index(g.shape[1], max_cols)
        g = g[np.ix_(r, c)]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(np.isfinite(g) & (g > 0), np.log10(np.where(g > 0, g, 1.0)), np.nan)
        cell = cell_name(k, lang)
        data.append(dict(type="heatmap", z=compact(z), x=c, y=np.asarray(steps)[r], coloraxis="coloraxis", name=cell,
                         hovertemplate=text("fig.compare.step", lang) + " %{y}<br>t %{x}<br>" + log_norm
                         + " %{z:.2f}<extra>" + cell + "</extra>", **subplot_axes(j)))
        deep_merge(layout[axis_name("x", j)], dict(title=dict(text=t_title)))
    layout = layout_dict(layout, title=title, height=400)
    layout["coloraxis"] = dict(colorscale=colorscale(TIME_COLORSCALE), colorbar=dict(title=dict(text=log_norm)))
    if zrange is not None:
        layout["coloraxis"].update(cmin=zrange[0], cmax=zrange[1])
    deep_merge(layout["yaxis"], dict(title=dict(text=s_title)))
    return figure(data, layout, as_dict)


def trajectories_figure(projs: dict, *, xy_range: tuple | None = None, explained: dict | None = None,
                        max_steps: int = 400, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    """Hidden-state trajectories of the probe sequences in each cell's own 2-D PCA plane.

    Args:
        projs: kind -> (n, T, 2) projected states.
        xy_range: (lo, hi) used for both axes of every panel.
        explained: kind -> (2,) explained variance ratios, shown in the axis titles.
        lang: language of the titles and hover texts.
        as_dict: plain dicts, unvalidated, as in ``grad_heatmaps_figure``.

    Returns:
        Figure with one panel per cell; one line trace per sequence, a marker at its end.
    """
    title = text("fig.compare.traj_title", lang)
    kinds = [k for k, p in projs.items() if p is not None and np.asarray(p).size]
    if not kinds:
        return empty_figure(lang=lang, title=title, height=380, as_dict=as_dict)
    layout = subplot_grid([cell_name(k, lang) for k in kinds], FONT_SIZE + 1, rows=1, cols=len(kinds), horizontal_spacing=0.09)
    pc1, pc2 = text("fig.compare.pc", lang, i=1), text("fig.compare.pc", lang, i=2)
    data = []
    for j, k in enumerate(kinds):
        p = np.asarray(projs[k], dtype=np.float32)
        t = downsample_index(p.shape[1], max_steps)
        for i in range(p.shape[0]):
            data.append(dict(type="scatter", x=p[i, t, 0], y=p[i, t, 1], mode="lines",
                             line=dict(color=PALETTE[i % len(PALETTE)], width=1.8), showlegend=False,
                             hovertemplate=text("fig.compare.sequence", lang, i=i + 1)
                             + f"<br>{pc1} %{{x:.2f}}<br>{pc2} %{{y:.2f}}<extra></extra>", **subplot_axes(j)))
        data.append(dict(type="scatter", x=p[:, -1, 0], y=p[:, -1, 1], mode="markers", showlegend=False,
                         marker=dict(color=CELL_COLORS.get(k, "#000"), size=9, symbol="x"),
                         hovertemplate=text("fig.compare.final_state", lang) + "<extra></extra>", **subplot_axes(j)))
        ev = (explained or {}).get(k)
        deep_merge(layout[axis_name("x", j)], dict(title=dict(
            text=text("fig.compare.pc_explained", lang, i=1, ratio=ev[0]) if ev is not None else pc1)))
        deep_merge(layout[axis_name("y", j)], dict(title=dict(
            text=text("fig.compare.pc_explained", lang, i=2, ratio=ev[1]) if ev is not None and len(ev) > 1 else pc2)))
    layout = layout_dict(layout, title=title, height=420)
    if xy_range is not None:
        all_axes(layout, "x", dict(range=list(xy_range)))
        all_axes(layout, "y", dict(range=list(xy_range)))
    return figure(data, layout, as_dict)


def gate_heatmaps_figure(gates: dict, *, title: str, max_units: int = 64, max_steps: int = 300,
                         signed_range: float | None = None, lang: str = "en",
                         as_dict: bool = False) -> go.Figure | dict:
    """Gate activations of one sequence, units x time, one row per gate.

    Sigmoid gates share a 0..1 colour scale (coloraxis); candidates and the cell state share a
    symmetric diverging one (coloraxis2, +-``signed_range``, default: their max |value|).

    Args:
        gates: name -> (T, H), e.g. "input", "forget", "cell" (candidate), "output", "c" (cell state).
        lang: language of the panel titles, axes, hover and colour bars.
        as_dict: plain dicts, unvalidated, as in ``grad_heatmaps_figure``.

    Returns:
        Figure with one Heatmap per gate.
    """
    names = [n for n, v in gates.items() if v is not None and np.asarray(v).size]
    if not names:
        return empty_figure(lang=lang, title=title, height=300, as_dict=as_dict)
    signed = [n for n in names if n not in SIGMOID]
    if signed_range is None and signed:
        signed_range = max(float(np.nanmax(np.abs(gates[n]))) for n in signed) or 1.0
    height = 160 + 170 * len(names)
    # about 40 px between panels whatever their number, so each panel's title clears the one above
    layout = subplot_grid([gate_title(n, lang) for n in names], FONT_SIZE, rows=len(names), cols=1, shared_xaxes=True,
                   vertical_spacing=40 / (height - 110))
    unit = text("fig.compare.unit", lang)
    data = []
    for i, n in enumerate(names):
        v = np.asarray(gates[n], dtype=np.float32)
        u, t = downsample_index(v.shape[1], max_units), downsample_index(v.shape[0], max_steps)
        data.append(dict(type="heatmap", z=compact(v[np.ix_(t, u)].T), x=t, y=u,
                         coloraxis="coloraxis" if n in SIGMOID else "coloraxis2",
                         hovertemplate=f"t %{{x}}<br>{unit} %{{y}}<br>%{{z:.3f}}<extra>{gate_short(n, lang)}</extra>",
                         **subplot_axes(i)))
        deep_merge(layout[axis_name("y", i)], dict(title=dict(text=unit)))
    deep_merge(layout[axis_name("x", len(names) - 1)],
               dict(title=dict(text=text("fig.compare.time_step", lang))))
    layout = layout_dict(layout, title=title, height=height)
    layout["coloraxis"] = dict(colorscale=colorscale(GATE_COLORSCALE), cmin=0.0, cmax=1.0, colorbar=dict(
        title=dict(text=text("fig.compare.gate_colorbar", lang)), len=0.45, y=1.0, yanchor="top"))
    if signed:
        layout["coloraxis2"] = dict(colorscale=colorscale(DIVERGING_COLORSCALE), cmin=-signed_range, cmax=signed_range,
                                    colorbar=dict(title=dict(text=text("fig.compare.value_colorbar", lang)), len=0.45,
                                                  y=0.0, yanchor="bottom"))
    return figure(data, layout, as_dict)


def gate_means_figure(means: dict, *, title: str, y_range: tuple | None = (0.0, 1.0),
                      lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    """Mean gate activation over units (and sequences) against time, one line per gate.

    Args:
        means: name -> (T,).
        y_range: shared y range (default 0..1, the sigmoid's).
        lang: language of the legend, axes and hover.
        as_dict: plain dicts, unvalidated, as in ``grad_heatmaps_figure``.
    """
    x_title, y_title = text("fig.compare.time_step", lang), text("fig.compare.mean_activation", lang)
    if not means:
        return empty_figure(lang=lang, title=title, x_title=x_title, y_title=y_title, height=340, as_dict=as_dict)
    data = []
    for n, m in means.items():
        m = np.asarray(m, dtype=np.float32).reshape(-1)
        data.append(dict(type="scatter", x=np.arange(m.size), y=m, mode="lines", name=gate_title(n, lang),
                         line=dict(color=GATE_COLORS.get(n, PALETTE[len(data) % 8]), width=2.5),
                         hovertemplate="t %{x}<br>%{y:.3f}<extra>" + gate_short(n, lang) + "</extra>"))
    layout = layout_dict({}, title=title, x_title=x_title, y_title=y_title, height=360)
    if y_range is not None:
        layout["yaxis"]["range"] = list(y_range)
    layout["margin"]["t"] = 100
    return figure(data, layout, as_dict)


def saturation_figure(values: dict, *, title: str, bins: int = 20, low: float = 0.1, high: float = 0.9,
                      y_max: float | None = None, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    """Histograms of sigmoid-gate values with the saturated ends (< low, > high) highlighted.

    Args:
        values: name -> array of gate values in (0, 1), any shape.
        y_max: shared top of the y axes (fraction of values per bin).
        lang: language of the panel titles, axes and hover.
        as_dict: plain dicts, unvalidated, as in ``grad_heatmaps_figure``.

    Returns:
        One panel per gate; bars hold the fraction of values per bin, saturated bins darker;
        each panel's title gives the saturated fractions.
    """
    names = [n for n, v in values.items() if np.asarray(v).size]
    if not names:
        return empty_figure(lang=lang, title=title, height=300, as_dict=as_dict)
    edges = np.linspace(0.0, 1.0, bins + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    titles, hists = [], []
    for n in names:
        v = np.asarray(values[n], dtype=np.float64).reshape(-1)
        v = v[np.isfinite(v)]
        h = np.histogram(np.clip(v, 0, 1), edges)[0] / max(v.size, 1)
        hists.append(h)
        titles.append(f"{gate_title(n, lang)}: {np.mean(v < low):.0%} < {low:g}, {np.mean(v > high):.0%} > {high:g}")
    layout = subplot_grid(titles, FONT_SIZE - 1, rows=1, cols=len(names), shared_yaxes=True, horizontal_spacing=0.04)
    sat = (centres < low) | (centres > high)
    data, shapes = [], []
    for j, (n, h) in enumerate(zip(names, hists)):
        color = GATE_COLORS.get(n, PALETTE[j % 8])
        axes = subplot_axes(j)
        data.append(dict(type="bar", x=centres, y=h, width=1.0 / bins * 0.95, name=gate_short(n, lang),
                         showlegend=False, marker=dict(color=color, opacity=np.where(sat, 1.0, 0.4).tolist(),
                                                       line=dict(width=0)),
                         hovertemplate="%{x:.2f}: %{y:.1%}<extra>" + gate_short(n, lang) + "</extra>", **axes))
        deep_merge(layout[axis_name("x", j)], dict(title=dict(text=text("fig.compare.gate_value", lang)),
                                                              range=[0, 1]))
        # add_vrect's shape: the whole height of the panel (its y axis' domain)
        shapes += [dict(type="rect", x0=x0, x1=x1, xref=axes["xaxis"], y0=0, y1=1, yref=axes["yaxis"] + " domain",
                        fillcolor="#999999", opacity=0.12, line=dict(width=0)) for x0, x1 in ((0.0, low), (high, 1.0))]
    layout = layout_dict({**layout, "shapes": shapes}, title=title, height=340)
    deep_merge(layout["yaxis"], dict(title=dict(text=text("fig.compare.fraction", lang)), tickformat=".0%"))
    if y_max is not None:
        all_axes(layout, "y", dict(range=[0, y_max]))
    deep_merge(layout, dict(bargap=0, margin=dict(t=100)))
    return figure(data, layout, as_dict)


def memory_figure(x: np.ndarray, curves: dict, *, title: str, x_title: str, y_title: str,
                  chance: float | None = None, chance_text: str | None = None, y_range: tuple | None = None,
                  lang: str = "en") -> go.Figure:
    """One curve per cell against a distance in time (delay, or steps back to a marker).

    Args:
        x: (D,) delays or distances.
        curves: kind -> (D,) accuracy or error.
        chance: a dashed reference line (chance accuracy or the baseline error).
        chance_text: its legend name (default: "chance" in ``lang``).
        lang: language of the legend.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0 or not curves:
        return empty_figure(lang=lang, title=title, x_title=x_title, y_title=y_title,
                            height=380)
    fig = go.Figure()
    for k, y in curves.items():
        cell = cell_name(k, lang)
        fig.add_trace(go.Scatter(x=x, y=np.asarray(y, dtype=np.float64), mode="lines+markers", name=cell,
                                 line=dict(color=CELL_COLORS.get(k, PALETTE[0]), width=3), marker=dict(size=9),
                                 hovertemplate=x_title + " %{x:.0f}<br>%{y:.3f}<extra>" + cell + "</extra>"))
    if chance is not None and np.isfinite(chance):
        fig.add_trace(go.Scatter(x=[float(x.min()), float(x.max())], y=[chance] * 2, mode="lines",
                                 name=text("fig.compare.chance", lang) if chance_text is None else chance_text,
                                 line=dict(color=BASELINE_COLOR, width=2, dash="dash")))
    base_layout(fig, title=title, x_title=x_title, y_title=y_title, height=400)
    fig.update_yaxes(rangemode="tozero")  # errors and accuracies: how far from 0 matters
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig
