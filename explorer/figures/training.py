"""Figure builders for the Training lab's curves and predictions (states: explorer.figures.states).

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
    PALETTE,
    axis_name,
    compact,
    deep_merge,
    downsample_index,
    empty_figure,
    figure,
    finite_xy,
    layout_dict,
    legend_below,
    subplot_axes,
    subplot_grid,
)
from .decimate import LIVE_CURVE_POINTS, decimate_minmax
from .classes import class_prob_figure  # noqa: F401  (re-exported: it was defined here)
from .reference import BASELINE_COLOR, best_step_marks, finite_lines, label_low_references, reference_lines

MAX_PRED_ROWS = 4  # sequences shown by prediction_figure
MAX_CHANNELS = 8  # output channels drawn per sequence
CURVE_POINTS = LIVE_CURVE_POINTS  # points per training curve: min and max of each bucket, more than a chart has pixels
MAX_HELD_OUT_POINTS = 300  # held-out measurements drawn (a smooth curve needs no more)
MAX_HELD_OUT_MARKERS = 40  # held-out points drawn with markers; beyond, a line (markers cost the browser)


# --------------------------------------------------------------------------- curves


def _curve_figure(
    steps, values, val_steps, val_values, baseline, *, name, log_y, max_points, title, y_title, lang,
    baselines=None, best_step=None, value_fmt="{:.4g}", test_steps=None, test_values=None, as_dict=False,
) -> go.Figure | dict:
    """Shared body of loss_figure and metric_figure (``name``: the quantity, already in ``lang``).
    With test values the held-out curve is named the validation one and the test curve is added.
    Built as plain dicts (plotly's validation costs tens of ms a figure, and live curves are
    rebuilt several times a second); ``as_dict``: return them, else a ``go.Figure``."""
    x_title = text("fig.training.training_step", lang)
    baseline_text = text("fig.training.baseline", lang)
    step_word = text("fig.training.hover_step", lang)
    x, y = finite_xy(steps, values)
    if val_steps is not None and val_values is not None:
        vx, vy = finite_xy(val_steps, val_values)
    else:
        vx, vy = np.empty(0), np.empty(0)
    if test_steps is not None and test_values is not None:
        tx_, ty_ = finite_xy(test_steps, test_values)
    else:
        tx_, ty_ = np.empty(0), np.empty(0)
    val_name = text("fig.training.valsplit_name" if tx_.size else "fig.training.val_name", lang, name=name)
    if baseline is not None and not np.isfinite(baseline):
        baseline = None
    if x.size == 0 and vx.size == 0:
        return empty_figure(title=title, x_title=x_title, y_title=y_title, lang=lang, as_dict=as_dict)

    lines = finite_lines(baselines)
    all_y = np.concatenate([y, vy, ty_, [] if baseline is None else [baseline], list(lines.values())])
    use_log = bool(log_y) and bool(np.all(all_y > 0))

    data, notes = [], []
    if x.size:
        xd, yd = decimate_minmax(x, y, max_points)  # stable buckets: live refreshes send a tail
        data.append(dict(
            # one step has no line to draw: a marker shows it
            type="scatter", x=compact(xd), y=compact(yd), mode="lines" if xd.size > 1 else "markers",
            name=text("fig.training.train_name", lang, name=name), line=dict(color=PALETTE[0], width=2),
            hovertemplate=step_word + " %{x}<br>" + name + " %{y:.4g}<extra></extra>"))
    if vx.size:
        idx = downsample_index(vx.size, min(max_points, MAX_HELD_OUT_POINTS))
        data.append(dict(
            # Each marker is an SVG element the browser restyles on every live redraw: markers
            # mark the few early measurements, a line carries a long run.
            type="scatter", x=compact(vx[idx]), y=compact(vy[idx]),
            mode="lines+markers" if idx.size <= MAX_HELD_OUT_MARKERS else "lines",
            name=val_name, line=dict(color=PALETTE[1], width=2), marker=dict(size=7),
            hovertemplate=step_word + " %{x}<br>" + val_name + " %{y:.4g}<extra></extra>"))
    if tx_.size:  # the test file: scored beside the validation split, never used to choose
        idx = downsample_index(tx_.size, min(max_points, MAX_HELD_OUT_POINTS))
        test_name = text("fig.training.test_name", lang, name=name)
        data.append(dict(
            type="scatter", x=compact(tx_[idx]), y=compact(ty_[idx]),
            mode="lines+markers" if idx.size <= MAX_HELD_OUT_MARKERS else "lines",
            name=test_name, line=dict(color=PALETTE[2], width=2), marker=dict(size=7, symbol="diamond"),
            hovertemplate=step_word + " %{x}<br>" + test_name + " %{y:.4g}<extra></extra>"))
    xs = np.concatenate([x, vx])
    marks = [reference_lines(lines, xs.min(), xs.max(), use_log, fmt=value_fmt)]
    if baseline is not None:
        marks.insert(0, reference_lines({baseline_text: baseline}, xs.min(), xs.max(), use_log, with_value=False))
    for traces, more in marks:
        data += traces
        notes += more
    refs = ([] if baseline is None else [baseline]) + list(lines.values())
    shapes, more = best_step_marks(best_step, text("fig.training.best_step", lang, step=best_step)
                                   if best_step is not None else "", top=label_low_references(refs, all_y, use_log))
    existing = {k: v for k, v in (("annotations", notes + more), ("shapes", shapes)) if v}
    layout = layout_dict(existing, title=title, x_title=x_title, y_title=y_title)
    # Live curves redraw several times a second. Numeric labels never need turning, and fixed
    # margins that fit them spare the browser measuring every label (a reflow of the whole page)
    # for overlap and automatic margins on each redraw.
    deep_merge(layout, dict(margin=dict(l=72, b=56), xaxis=dict(tickangle=0, automargin=False),
                            yaxis=dict(type="log" if use_log else "linear", tickangle=0, automargin=False)))
    if use_log:  # "0.5", "0.02" between the decades, not a bare "5" or "2" that reads as five or two
        layout["yaxis"]["minorloglabels"] = "complete"
    return figure(data, layout, as_dict)


def loss_figure(
    steps: np.ndarray,
    train_loss: np.ndarray,
    val_steps: np.ndarray | None = None,
    val_loss: np.ndarray | None = None,
    baseline: float | None = None,
    *,
    log_y: bool = True,
    max_points: int = CURVE_POINTS,
    title: str | None = None,
    lang: str = "en",
    baselines: dict[str, float] | None = None,
    best_step: int | None = None,
    test_steps: np.ndarray | None = None,
    test_loss: np.ndarray | None = None,
    as_dict: bool = False,
) -> go.Figure | dict:
    """Training loss against step, with the held-out loss and the trivial baseline.

    Args:
        steps: (N,) training steps of the train loss.
        train_loss: (N,) loss per step; NaN/inf (diverged steps) are dropped.
        val_steps: (V,) steps at which the held-out loss was measured, or None.
        val_loss: (V,) held-out loss, or None.
        baseline: loss of the best constant prediction, drawn as a dashed line; None
            to omit.
        log_y: log y axis, used only when every value (and the baseline) is > 0.
        max_points: most points per curve; the train curve keeps per-bucket min and
            max so spikes stay visible.
        title: figure title; None: "Loss" in ``lang``.
        lang: language of every text in the figure ("en" or "ko").
        baselines: more reference values, label (in ``lang``) -> loss (e.g. a series' persistence
            MSE), each a labelled horizontal line; non-finite values are skipped.
        best_step: the step of the best held-out measurement, marked by a vertical line; None: none.
        test_steps / test_loss: (V,) a test file's loss at those steps, drawn beside the held-out
            (then "validation") curve; None or all NaN: none.
        as_dict: return the figure as plain dicts ({"data", "layout"}, numpy arrays), unvalidated:
            what a live chart sends, without plotly's validation (tens of ms a figure).

    Returns:
        Figure: "train loss" (lines), "held-out loss" (lines+markers), baseline
        (dashed, annotated); a "No steps yet" figure when there is nothing to plot.
    """
    name = text("fig.training.loss_name", lang)
    return _curve_figure(
        steps, train_loss, val_steps, val_loss, baseline, name=name, log_y=log_y,
        max_points=max_points, y_title=name, lang=lang, baselines=baselines, best_step=best_step,
        title=text("fig.training.loss_title", lang) if title is None else title,
        test_steps=test_steps, test_values=test_loss, as_dict=as_dict,
    )


def metric_figure(
    steps: np.ndarray,
    values: np.ndarray,
    *,
    name: str,
    baseline: float | None = None,
    val_steps: np.ndarray | None = None,
    val_values: np.ndarray | None = None,
    higher_is_better: bool = True,
    max_points: int = CURVE_POINTS,
    lang: str = "en",
    baselines: dict[str, float] | None = None,
    best_step: int | None = None,
    percent: bool = False,
    test_steps: np.ndarray | None = None,
    test_values: np.ndarray | None = None,
    as_dict: bool = False,
) -> go.Figure | dict:
    """A training metric (e.g. accuracy) against step, linear y axis.

    Args:
        steps: (N,) training steps.
        values: (N,) metric values; NaN/inf dropped.
        name: metric name (in ``lang``), used in the title, axis and legend.
        baseline: value of the trivial predictor (e.g. majority-class accuracy).
        val_steps: (V,) steps of held-out measurements, or None.
        val_values: (V,) held-out values, or None.
        higher_is_better: only changes the axis title hint.
        max_points: most points per curve (min/max kept per bucket).
        lang: language of every text in the figure ("en" or "ko").
        baselines: reference values, label (in ``lang``) -> metric (e.g. 1-NN-ED accuracy), each a
            labelled horizontal line; non-finite values are skipped.
        best_step: the step of the best held-out measurement, marked by a vertical line; None: none.
        percent: write the baselines' values as percentages (accuracy).
        test_steps / test_values: (V,) a test file's metric at those steps, drawn beside the
            held-out (then "validation") curve; None or all NaN: none.
        as_dict: plain dicts, as in `loss_figure`.

    Returns:
        Figure shaped like `loss_figure`'s.
    """
    hint = text("fig.training.higher_better", lang) if higher_is_better else text("fig.training.lower_better", lang)
    return _curve_figure(
        steps, values, val_steps, val_values, baseline, name=name, log_y=False,
        max_points=max_points, title=name[:1].upper() + name[1:], y_title=f"{name} ({hint})", lang=lang,
        baselines=baselines, best_step=best_step, value_fmt="{:.1%}" if percent else "{:.4g}",
        test_steps=test_steps, test_values=test_values, as_dict=as_dict,
    )


# ---------------------------------------------------------------------- predictions


def prediction_figure(
    target_nto: np.ndarray,
    pred_nto: np.ndarray,
    *,
    channel_names: Sequence[str] | None = None,
    max_points: int = 1000,
    title: str | None = None,
    lang: str = "en",
    as_dict: bool = False,
) -> go.Figure | dict:
    """Regression predictions against targets.

    Args:
        target_nto: (n, T, O) per-step targets, or (n, O) one target per sequence
            (many-to-one); (n,) is read as (n, 1).
        pred_nto: predictions, same shape as target_nto.
        channel_names: O names; default "y0", "y1", ...
        max_points: per-step case: most time steps per line; many-to-one case: most
            points in the scatter.
        title: figure title; None: "Predictions vs target" in ``lang``.
        lang: language of every text in the figure ("en" or "ko").
        as_dict: plain dicts ({"data", "layout"}), unvalidated: the live chart's form, rebuilt at
            every probe (plotly's subplot and trace validation cost ~20 ms of server time).

    Returns:
        Per-step: one subplot row per sequence (at most 4), target solid and
        prediction dashed in the same colour per channel (at most 8 channels).
        Many-to-one: predicted-vs-target scatter with the identity line y = x.
    """
    target = np.asarray(target_nto, dtype=np.float64)
    pred = np.asarray(pred_nto, dtype=np.float64)
    if target.shape != pred.shape:
        raise ValueError(f"target and prediction shapes differ: {target.shape} vs {pred.shape}")
    if target.ndim == 1:
        target, pred = target[:, None], pred[:, None]
    if target.ndim not in (2, 3):
        raise ValueError(f"expected (n, T, O) or (n, O) arrays, got shape {target.shape}")
    if title is None:
        title = text("fig.training.pred_title", lang)
    if target.size == 0:
        return empty_figure(text("fig.training.no_predictions", lang), title=title, lang=lang, as_dict=as_dict)
    n_ch = min(target.shape[-1], MAX_CHANNELS)
    names = list(channel_names) if channel_names is not None else []
    names = [names[o] if o < len(names) else f"y{o}" for o in range(n_ch)]

    if target.ndim == 2:
        return _prediction_scatter(target, pred, names, max_points, title, lang, as_dict)

    n_rows = min(target.shape[0], MAX_PRED_ROWS)
    T = target.shape[1]
    t_idx = downsample_index(T, max_points)
    titles = [text("fig.training.sequence", lang, i=i) for i in range(n_rows)] if n_rows > 1 else []
    data = []
    for i in range(n_rows):
        axes = subplot_axes(i)
        for o in range(n_ch):
            color = PALETTE[o % len(PALETTE)]
            first = i == 0  # one legend entry per channel, toggling every row
            common = dict(type="scatter", x=t_idx, mode="lines", legendgroup=names[o], showlegend=first, **axes)
            data.append(dict(y=compact(target[i, t_idx, o]), name=text("fig.training.channel_target", lang, name=names[o]),
                             line=dict(color=color, width=2), **common))
            data.append(dict(y=compact(pred[i, t_idx, o]), name=text("fig.training.channel_predicted", lang, name=names[o]),
                             line=dict(color=color, width=2, dash="dash"), **common))
    grid = subplot_grid(titles, rows=n_rows, cols=1, shared_xaxes=True, vertical_spacing=0.04)
    layout = layout_dict(grid, title=title, height=150 + 170 * n_rows)
    deep_merge(layout.setdefault(axis_name("x", n_rows - 1), {}),
               dict(title=dict(text=text("fig.training.time_step", lang))))
    # under the plot: above it, even one channel's two entries wrapped into the title of a half-width chart
    legend_below(layout, 2 * n_ch)
    return figure(data, layout, as_dict)


def _prediction_scatter(target, pred, names, max_points, title, lang, as_dict) -> go.Figure | dict:
    """Many-to-one: predicted against target, one colour per channel, identity line."""
    idx = downsample_index(target.shape[0], max(1, max_points // len(names)))
    data = []
    both = np.concatenate([target[:, : len(names)].ravel(), pred[:, : len(names)].ravel()])
    both = both[np.isfinite(both)]
    if both.size:
        lo, hi = float(both.min()), float(both.max())
        data.append(dict(type="scatter", x=[lo, hi], y=[lo, hi], mode="lines", name=text("fig.training.perfect", lang),
                         line=dict(color=BASELINE_COLOR, dash="dash"), hoverinfo="skip"))
    for o, name in enumerate(names):
        data.append(dict(
            type="scatter", x=compact(target[idx, o]), y=compact(pred[idx, o]), mode="markers", name=name,
            marker=dict(color=PALETTE[o % len(PALETTE)], size=7, opacity=0.7),
            hovertemplate=(text("fig.training.target", lang) + " %{x:.4g}<br>"
                           + text("fig.training.predicted", lang) + " %{y:.4g}<extra>" + name + "</extra>")))
    layout = layout_dict({}, title=title, x_title=text("fig.training.target", lang),
                         y_title=text("fig.training.predicted", lang))
    # Equal scales so the identity line sits at 45 degrees.
    deep_merge(layout["yaxis"], dict(scaleanchor="x", scaleratio=1))
    return figure(data, layout, as_dict)
