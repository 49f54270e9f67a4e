"""Figure builders for the Training lab's live charts.

Pure functions: numpy arrays in, `plotly.graph_objects.Figure` out. Every builder
bounds the number of points it sends, so a refresh stays well under 1 MB even for
T = 1000 steps and H = 512 hidden units.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import (
    CELL_COLORS,
    DIVERGING_COLORSCALE,
    PALETTE,
    TIME_COLORSCALE,
    base_layout,
    compact,
    downsample_index,
    empty_figure,
    finite_xy,
    minmax_downsample,
)

BASELINE_TEXT = "trivial baseline (best constant)"
BASELINE_COLOR = "#555555"
GRAD_TITLE = "||∂L/∂h_t||"
GRAD_CURVE_TITLE = f"Gradient norm {GRAD_TITLE} per time step"
MAX_PRED_ROWS = 4  # sequences shown by prediction_figure
MAX_CHANNELS = 8  # output channels drawn per sequence
MAX_BAR_EXAMPLES = 6  # examples in the many-to-one probability bars
MAX_BAR_CLASSES = 20  # classes in those bars; the most probable are kept


# --------------------------------------------------------------------------- curves


def _curve_figure(
    steps, values, val_steps, val_values, baseline, *, name, log_y, max_points, title, y_title
) -> go.Figure:
    """Shared body of loss_figure and metric_figure."""
    x, y = finite_xy(steps, values)
    if val_steps is not None and val_values is not None:
        vx, vy = finite_xy(val_steps, val_values)
    else:
        vx, vy = np.empty(0), np.empty(0)
    if baseline is not None and not np.isfinite(baseline):
        baseline = None
    if x.size == 0 and vx.size == 0:
        return empty_figure(title=title, x_title="training step", y_title=y_title)

    all_y = np.concatenate([y, vy, [] if baseline is None else [baseline]])
    use_log = bool(log_y) and bool(np.all(all_y > 0))

    fig = go.Figure()
    if x.size:
        xd, yd = minmax_downsample(x, y, max_points)
        fig.add_trace(
            go.Scatter(
                x=compact(xd), y=compact(yd), mode="lines", name=f"train {name}",
                line=dict(color=PALETTE[0], width=2),
                hovertemplate="step %{x}<br>" + name + " %{y:.4g}<extra></extra>",
            )
        )
    if vx.size:
        idx = downsample_index(vx.size, max_points)
        fig.add_trace(
            go.Scatter(
                x=compact(vx[idx]), y=compact(vy[idx]), mode="lines+markers",
                name=f"held-out {name}",
                line=dict(color=PALETTE[1], width=2), marker=dict(size=7),
                hovertemplate="step %{x}<br>held-out " + name + " %{y:.4g}<extra></extra>",
            )
        )
    if baseline is not None:
        xs = np.concatenate([x, vx])
        # A trace rather than a shape: it follows a log axis without coordinate tricks.
        fig.add_trace(
            go.Scatter(
                x=[float(xs.min()), float(xs.max())], y=[float(baseline)] * 2, mode="lines",
                name=BASELINE_TEXT, showlegend=False,
                line=dict(color=BASELINE_COLOR, width=2, dash="dash"),
                hovertemplate=BASELINE_TEXT + ": %{y:.4g}<extra></extra>",
            )
        )
        # Annotation y is in axis units, which for a log axis means log10 of the value.
        fig.add_annotation(
            text=BASELINE_TEXT, xref="paper", x=1.0, xanchor="right",
            yref="y", y=float(np.log10(baseline)) if use_log else float(baseline),
            yanchor="bottom", showarrow=False, font=dict(color=BASELINE_COLOR),
        )
    base_layout(fig, title=title, x_title="training step", y_title=y_title)
    fig.update_yaxes(type="log" if use_log else "linear")
    return fig


def loss_figure(
    steps: np.ndarray,
    train_loss: np.ndarray,
    val_steps: np.ndarray | None = None,
    val_loss: np.ndarray | None = None,
    baseline: float | None = None,
    *,
    log_y: bool = True,
    max_points: int = 2000,
    title: str = "Loss",
) -> go.Figure:
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
        title: figure title.

    Returns:
        Figure: "train loss" (lines), "held-out loss" (lines+markers), baseline
        (dashed, annotated); a "No steps yet" figure when there is nothing to plot.
    """
    return _curve_figure(
        steps, train_loss, val_steps, val_loss, baseline, name="loss", log_y=log_y,
        max_points=max_points, title=title, y_title="loss",
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
    max_points: int = 2000,
) -> go.Figure:
    """A training metric (e.g. accuracy) against step, linear y axis.

    Args:
        steps: (N,) training steps.
        values: (N,) metric values; NaN/inf dropped.
        name: metric name, used in the title, axis and legend.
        baseline: value of the trivial predictor (e.g. majority-class accuracy).
        val_steps: (V,) steps of held-out measurements, or None.
        val_values: (V,) held-out values, or None.
        higher_is_better: only changes the axis title hint.
        max_points: most points per curve (min/max kept per bucket).

    Returns:
        Figure shaped like `loss_figure`'s.
    """
    hint = "higher is better" if higher_is_better else "lower is better"
    return _curve_figure(
        steps, values, val_steps, val_values, baseline, name=name, log_y=False,
        max_points=max_points, title=name[:1].upper() + name[1:], y_title=f"{name} ({hint})",
    )


# ---------------------------------------------------------------------- predictions


def prediction_figure(
    target_nto: np.ndarray,
    pred_nto: np.ndarray,
    *,
    channel_names: Sequence[str] | None = None,
    max_points: int = 1000,
    title: str = "Predictions vs target",
) -> go.Figure:
    """Regression predictions against targets.

    Args:
        target_nto: (n, T, O) per-step targets, or (n, O) one target per sequence
            (many-to-one); (n,) is read as (n, 1).
        pred_nto: predictions, same shape as target_nto.
        channel_names: O names; default "y0", "y1", ...
        max_points: per-step case: most time steps per line; many-to-one case: most
            points in the scatter.
        title: figure title.

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
    if target.size == 0:
        return empty_figure("No predictions yet", title=title)
    n_ch = min(target.shape[-1], MAX_CHANNELS)
    names = list(channel_names) if channel_names is not None else []
    names = [names[o] if o < len(names) else f"y{o}" for o in range(n_ch)]

    if target.ndim == 2:
        return _prediction_scatter(target, pred, names, max_points, title)

    n_rows = min(target.shape[0], MAX_PRED_ROWS)
    T = target.shape[1]
    t_idx = downsample_index(T, max_points)
    fig = make_subplots(
        rows=n_rows, cols=1, shared_xaxes=True, vertical_spacing=0.04,
        subplot_titles=[f"sequence {i}" for i in range(n_rows)] if n_rows > 1 else None,
    )
    for i in range(n_rows):
        for o in range(n_ch):
            color = PALETTE[o % len(PALETTE)]
            first = i == 0  # one legend entry per channel, toggling every row
            common = dict(x=t_idx, legendgroup=names[o], showlegend=first)
            fig.add_trace(
                go.Scatter(
                    y=compact(target[i, t_idx, o]), mode="lines", name=f"{names[o]} target",
                    line=dict(color=color, width=2), **common,
                ),
                row=i + 1, col=1,
            )
            fig.add_trace(
                go.Scatter(
                    y=compact(pred[i, t_idx, o]), mode="lines", name=f"{names[o]} predicted",
                    line=dict(color=color, width=2, dash="dash"), **common,
                ),
                row=i + 1, col=1,
            )
    base_layout(fig, title=title, height=150 + 170 * n_rows)
    fig.update_xaxes(title_text="time step t", row=n_rows, col=1)
    return fig


def _prediction_scatter(target, pred, names, max_points, title) -> go.Figure:
    """Many-to-one: predicted against target, one colour per channel, identity line."""
    idx = downsample_index(target.shape[0], max(1, max_points // len(names)))
    fig = go.Figure()
    both = np.concatenate([target[:, : len(names)].ravel(), pred[:, : len(names)].ravel()])
    both = both[np.isfinite(both)]
    if both.size:
        lo, hi = float(both.min()), float(both.max())
        fig.add_trace(
            go.Scatter(
                x=[lo, hi], y=[lo, hi], mode="lines", name="perfect (y = x)",
                line=dict(color=BASELINE_COLOR, dash="dash"), hoverinfo="skip",
            )
        )
    for o, name in enumerate(names):
        fig.add_trace(
            go.Scatter(
                x=compact(target[idx, o]), y=compact(pred[idx, o]), mode="markers", name=name,
                marker=dict(color=PALETTE[o % len(PALETTE)], size=7, opacity=0.7),
                hovertemplate="target %{x:.4g}<br>predicted %{y:.4g}<extra>" + name + "</extra>",
            )
        )
    base_layout(fig, title=title, x_title="target", y_title="predicted")
    # Equal scales so the identity line sits at 45 degrees.
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def class_prob_figure(
    probs_tc: np.ndarray,
    target_t: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    *,
    many_to_one: bool = False,
    title: str = "Class probabilities",
) -> go.Figure:
    """Predicted class probabilities, per time step or per example.

    Args:
        probs_tc: (T, C) probabilities of one sequence over time (per-step output);
            with many_to_one=True, (n, C): one prediction per sequence. (n, 1, C) is
            always many-to-one and (1, T, C) is read as (T, C).
        target_t: (T,) true class index per step, or (n,) per example; None to omit.
        class_names: C names; default the class indices.
        many_to_one: read a 2-D probs_tc as (n, C) examples instead of (T, C) steps;
            a 2-D shape cannot tell the two apart.
        title: figure title.

    Returns:
        Per-step: heatmap with classes on y and time on x, probabilities 0..1, the
        target marked with white markers. Many-to-one: grouped bars of at most 6
        examples, the bar of each example's true class outlined in black.
    """
    probs = np.asarray(probs_tc, dtype=np.float64)
    per_step = not many_to_one
    if probs.ndim == 3:
        if probs.shape[1] == 1:
            probs, per_step = probs[:, 0, :], False
        elif probs.shape[0] == 1:
            probs = probs[0]
        else:
            raise ValueError(
                f"got probabilities of {probs.shape[0]} sequences of length {probs.shape[1]}: "
                "pass one sequence (T, C) or many-to-one outputs (n, 1, C)"
            )
    if probs.ndim != 2:
        raise ValueError(f"expected (T, C) or (n, 1, C) probabilities, got shape {probs.shape}")
    if probs.size == 0:
        return empty_figure("No predictions yet", title=title)
    C = probs.shape[1]
    names = [str(c) for c in class_names] if class_names is not None else [str(c) for c in range(C)]
    if len(names) != C:
        raise ValueError(f"{len(names)} class names for {C} classes")
    target = None if target_t is None else np.asarray(target_t).astype(np.int64).reshape(-1)
    if per_step:
        return _class_heatmap(probs, target, names, title)
    return _class_bars(probs, target, names, title)


def _class_heatmap(probs, target, names, title) -> go.Figure:
    T = probs.shape[0]
    t = np.arange(T)
    fig = go.Figure(
        go.Heatmap(
            z=compact(probs.T), x=t, y=names, zmin=0.0, zmax=1.0, colorscale=TIME_COLORSCALE,
            colorbar=dict(title="p"),
            hovertemplate="t %{x}<br>class %{y}<br>p %{z:.3f}<extra></extra>",
        )
    )
    if target is not None:
        tgt = target[:T]
        ok = (tgt >= 0) & (tgt < len(names))  # e.g. -100 (ignore index) is not drawn
        fig.add_trace(
            go.Scatter(
                x=t[: tgt.size][ok], y=[names[c] for c in tgt[ok]],
                mode="markers", name="target",
                marker=dict(color="white", size=7, line=dict(color="black", width=1)),
                hovertemplate="t %{x}<br>target %{y}<extra></extra>",
            )
        )
    base_layout(fig, title=title, x_title="time step t", y_title="class")
    fig.update_yaxes(type="category")
    return fig


def _class_bars(probs, target, names, title) -> go.Figure:
    n = min(probs.shape[0], MAX_BAR_EXAMPLES)
    probs = probs[:n]
    tgt = target[:n] if target is not None else None
    classes = np.arange(probs.shape[1])
    if classes.size > MAX_BAR_CLASSES:
        # Keep the most probable classes and every true class, in class order.
        top = np.argsort(-probs.max(axis=0))[:MAX_BAR_CLASSES]
        extra = tgt[(tgt >= 0) & (tgt < classes.size)] if tgt is not None else []
        classes = np.unique(np.concatenate([top, extra]).astype(np.int64))
    x = [names[c] for c in classes]
    fig = go.Figure()
    for i in range(n):
        true_c = int(tgt[i]) if tgt is not None and i < tgt.size else -1
        outline = np.where(classes == true_c, 3.0, 0.0)
        label = f"example {i}" + (f" (true: {names[true_c]})" if 0 <= true_c < len(names) else "")
        fig.add_trace(
            go.Bar(
                x=x, y=compact(probs[i, classes]), name=label,
                marker=dict(color=PALETTE[i % len(PALETTE)], line=dict(color="black", width=outline)),
                hovertemplate="class %{x}<br>p %{y:.3f}<extra>" + label + "</extra>",
            )
        )
    base_layout(fig, title=title, x_title="class (true class outlined)", y_title="probability")
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 1])
    fig.update_xaxes(type="category")
    return fig


# --------------------------------------------------------------------- hidden state


def trajectory_figure(
    proj_ntk: np.ndarray,
    *,
    color_by: str = "time",
    labels_n: np.ndarray | None = None,
    explained: Sequence[float] | None = None,
    max_points: int = 5000,
    title: str = "Hidden-state trajectories (PCA)",
    ranges: Sequence[Sequence[float]] | None = None,
) -> go.Figure:
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
        title: figure title.
        ranges: fixed axis ranges ((x0, x1), (y0, y1)[, (z0, z1)]) so an animation
            does not jump; None lets plotly autoscale.

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
    if n == 0 or T == 0:
        return empty_figure(title=title)

    # Budget per drawn sequence: its line points, one NaN gap, start and end markers.
    seq = downsample_index(n, max_points // 5)
    t_idx = downsample_index(T, max_points // seq.size - 3)
    labels = None if labels_n is None else np.asarray(labels_n).reshape(-1)
    if labels is not None and labels.size != n:
        raise ValueError(f"{labels.size} labels for {n} sequences")

    is3d = k == 3
    Trace = go.Scatter3d if is3d else go.Scatter
    line_w = 3 if is3d else 1.5
    fig = go.Figure()
    if color_by == "time":
        groups = [("trajectories", seq, None)]
    else:
        # One trace per label, in order of first appearance: a legend entry per label.
        _, first = np.unique(labels[seq], return_index=True)
        groups = [
            (f"label {labels[seq[f]]}", seq[labels[seq] == labels[seq[f]]], PALETTE[j % len(PALETTE)])
            for j, f in enumerate(np.sort(first))
        ]
    for name, members, color in groups:
        coords, custom = _joined_paths(proj, members, t_idx)
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
        fig.add_trace(
            Trace(
                **{a: coords[:, j] for j, a in enumerate("xyz"[:k])}, mode="lines+markers",
                name=name, connectgaps=False, customdata=custom,
                hovertemplate="sequence %{customdata[0]}<br>t %{customdata[1]}<extra></extra>",
                **style,
            )
        )

    for name, col, symbol in (("start", 0, "circle"), ("end", -1, "x")):
        pts = compact(proj[seq, t_idx[col]])
        fig.add_trace(
            Trace(
                **{a: pts[:, j] for j, a in enumerate("xyz"[:k])}, mode="markers", name=name,
                hoverinfo="skip",
                marker=dict(symbol=symbol, size=7 if is3d else 11, color="black",
                            line=dict(color="white", width=1)),
            )
        )

    base_layout(fig, title=title)
    if color_by == "time":
        fig.update_layout(
            coloraxis=dict(colorscale=TIME_COLORSCALE, cmin=0, cmax=max(T - 1, 1),
                           colorbar=dict(title="t"))
        )
    axes = {}
    for j, name in enumerate(("xaxis", "yaxis", "zaxis")[:k]):
        pct = f" ({100 * explained[j]:.1f}%)" if explained is not None and j < len(explained) else ""
        axes[name] = dict(title_text=f"PC{j + 1}{pct}")
        if ranges is not None:
            axes[name]["range"] = [float(v) for v in ranges[j]]
            axes[name]["autorange"] = False
    if is3d:
        fig.update_layout(scene=dict(**axes, aspectmode="cube" if ranges is not None else "auto"))
    else:
        fig.update_layout(**axes)
    return fig


def _joined_paths(proj, members, t_idx) -> tuple[np.ndarray, np.ndarray]:
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
    title: str = "Hidden state",
) -> go.Figure:
    """Hidden activations of one sequence as a units × time heatmap.

    Args:
        hidden_th: (T, H) hidden states h_t of one sequence.
        max_units: most units (rows) shown; evenly spaced units are kept.
        max_steps: most time columns; beyond it consecutive steps are averaged.
        title: figure title.

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
    if T == 0 or H == 0:
        return empty_figure(title=title, x_title="time step t", y_title="unit")
    units = downsample_index(H, max_units)
    h = h[:, units]
    t = np.arange(T, dtype=np.float64)
    if T > max_steps:
        # Averaging, not striding: a one-step burst still shows up as a faint column.
        edges = np.linspace(0, T, int(max_steps) + 1).astype(np.int64)
        counts = np.diff(edges)[:, None]
        h = np.add.reduceat(h, edges[:-1], axis=0) / counts
        t = np.add.reduceat(t, edges[:-1]) / counts[:, 0]
    fig = go.Figure(
        go.Heatmap(
            z=compact(h.T), x=compact(t), y=units, colorscale=DIVERGING_COLORSCALE, zmid=0.0,
            colorbar=dict(title="h"),
            hovertemplate="t %{x:.0f}<br>unit %{y}<br>h %{z:.3f}<extra></extra>",
        )
    )
    return base_layout(fig, title=title, x_title="time step t", y_title="unit")


# ------------------------------------------------------------------------- gradients


def _log_floor(arrays: Sequence[np.ndarray]) -> float:
    """A floor for non-positive values: a decade under the smallest positive one.

    Relative, not a fixed 1e-300, so an underflowed zero does not stretch the log axis
    over hundreds of decades.
    """
    pos = [a[(a > 0) & np.isfinite(a)] for a in arrays]
    pos = [p for p in pos if p.size]
    return float(min(p.min() for p in pos)) / 10.0 if pos else 1e-30


def _grad_curve_fig(curves: dict, colors: dict, log_y: bool, title: str) -> go.Figure:
    data = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in curves.items()}
    if not data or all(v.size == 0 for v in data.values()):
        return empty_figure(title=title, x_title="time step t", y_title=GRAD_TITLE)
    floor = _log_floor(list(data.values()))
    fig = go.Figure()
    for j, (name, g) in enumerate(data.items()):
        g = np.where(np.isfinite(g), g, np.nan)  # inf would break the axis range; show a gap
        if log_y:
            g = np.where(g > 0, g, np.where(np.isnan(g), np.nan, floor))
        color = colors.get(name) or CELL_COLORS.get(str(name).lower()) or PALETTE[j % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=np.arange(g.size), y=compact(g), mode="lines", name=str(name),
                line=dict(color=color, width=2.5),
                hovertemplate="t %{x}<br>" + GRAD_TITLE + " %{y:.3g}<extra>" + str(name) + "</extra>",
            )
        )
    base_layout(fig, title=title, x_title="time step t", y_title=GRAD_TITLE)
    fig.update_yaxes(type="log" if log_y else "linear", exponentformat="power")
    return fig


def grad_norm_curve(
    grad_norm_t: np.ndarray, *, label: str | None = None, log_y: bool = True
) -> go.Figure:
    """||dL/dh_t|| against time step t for one model.

    Args:
        grad_norm_t: (T,) gradient norm per time step (Trace.grad_h_norm).
        label: legend name, e.g. "lstm" (picks the cell colour); default "||∂L/∂h_t||".
        log_y: log y axis; values <= 0 are then clipped to a decade below the smallest
            positive value, NaN/inf become gaps.

    Returns:
        Figure with one line trace.
    """
    name = label if label is not None else GRAD_TITLE
    return _grad_curve_fig({name: grad_norm_t}, {}, log_y, GRAD_CURVE_TITLE)


def grad_norm_curves(
    curves: dict[str, np.ndarray], colors: dict[str, str] | None = None
) -> go.Figure:
    """Several ||dL/dh_t|| curves on one log axis, e.g. RNN vs LSTM vs GRU.

    Args:
        curves: name -> (T_i,) gradient norms; lengths may differ.
        colors: name -> colour; names matching "rnn"/"lstm"/"gru" default to
            CELL_COLORS, others to the palette.

    Returns:
        Figure with one line trace per curve, log y axis.
    """
    return _grad_curve_fig(dict(curves), dict(colors or {}), True, GRAD_CURVE_TITLE)


def grad_norm_heatmap(
    steps_s: np.ndarray,
    grad_norm_st: np.ndarray,
    *,
    max_rows: int = 300,
    max_cols: int = 500,
) -> go.Figure:
    """How the gradient reaching each time step evolves during training.

    Args:
        steps_s: (S,) training steps at which the norms were recorded.
        grad_norm_st: (S, T) ||dL/dh_t|| per recorded step and time step.
        max_rows: most training steps shown (evenly spaced, first and last kept).
        max_cols: most time steps shown (evenly spaced).

    Returns:
        Figure with one Heatmap of log10 ||dL/dh_t||, z of shape
        (<= max_rows, <= max_cols); x = time step t, y = training step.
    """
    steps = np.asarray(steps_s).reshape(-1)
    g = np.asarray(grad_norm_st, dtype=np.float64)
    if g.ndim == 1:
        g = g[None]
    title = f"Gradient {GRAD_TITLE} during training"
    if g.ndim != 2 or g.size == 0:
        return empty_figure(title=title, x_title="time step t", y_title="training step")
    if steps.size != g.shape[0]:
        raise ValueError(f"{steps.size} steps for {g.shape[0]} rows of gradient norms")
    rows = downsample_index(g.shape[0], max_rows)
    cols = downsample_index(g.shape[1], max_cols)
    g = g[np.ix_(rows, cols)]
    floor = _log_floor([g])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(np.isfinite(g), np.log10(np.maximum(g, floor)), np.nan)
    fig = go.Figure(
        go.Heatmap(
            z=compact(z), x=cols, y=steps[rows], colorscale=TIME_COLORSCALE,
            colorbar=dict(title="log₁₀ ||∂L/∂h_t||"),
            hovertemplate="step %{y}<br>t %{x}<br>log₁₀ norm %{z:.2f}<extra></extra>",
        )
    )
    return base_layout(fig, title=title, x_title="time step t", y_title="training step")
