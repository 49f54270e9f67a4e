"""Class-probability figures of the Training lab's predictions (split from explorer.figures.training).

Pure functions: numpy arrays in, ``plotly.graph_objects.Figure`` out.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ..app.i18n import text
from .common import (PALETTE, TIME_COLORSCALE, colorscale, compact, deep_merge, empty_figure, figure, layout_dict,
                     legend_below)

MAX_BAR_EXAMPLES = 6  # examples in the many-to-one probability bars
MAX_BAR_CLASSES = 20  # classes in those bars; the most probable are kept
BARS_HEIGHT = 430  # px of those bars without their legend's rows (below the plot)


def class_prob_figure(
    probs_tc: np.ndarray,
    target_t: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    *,
    many_to_one: bool = False,
    title: str | None = None,
    lang: str = "en",
    as_dict: bool = False,
) -> go.Figure | dict:
    """Predicted class probabilities, per time step or per example.

    Args:
        probs_tc: (T, C) probabilities of one sequence over time (per-step output);
            with many_to_one=True, (n, C): one prediction per sequence. (n, 1, C) is
            always many-to-one and (1, T, C) is read as (T, C).
        target_t: (T,) true class index per step, or (n,) per example; None to omit.
        class_names: C names; default the class indices.
        many_to_one: read a 2-D probs_tc as (n, C) examples instead of (T, C) steps;
            a 2-D shape cannot tell the two apart.
        title: figure title; None: "Class probabilities" in ``lang``.
        lang: language of every text in the figure ("en" or "ko").
        as_dict: plain dicts ({"data", "layout"}), unvalidated: the live chart's form, rebuilt at
            every probe.

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
    if title is None:
        title = text("fig.training.class_title", lang)
    if probs.size == 0:
        return empty_figure(text("fig.training.no_predictions", lang), title=title, lang=lang, as_dict=as_dict)
    C = probs.shape[1]
    names = [str(c) for c in class_names] if class_names is not None else [str(c) for c in range(C)]
    if len(names) != C:
        raise ValueError(f"{len(names)} class names for {C} classes")
    target = None if target_t is None else np.asarray(target_t).astype(np.int64).reshape(-1)
    if per_step:
        return _class_heatmap(probs, target, names, title, lang, as_dict)
    return _class_bars(probs, target, names, title, lang, as_dict)


def _class_heatmap(probs, target, names, title, lang, as_dict) -> go.Figure | dict:
    cls, tgt_word = text("fig.training.class", lang), text("fig.training.target", lang)
    T = probs.shape[0]
    t = np.arange(T)
    data = [dict(type="heatmap", z=compact(probs.T), x=t, y=names, zmin=0.0, zmax=1.0, colorscale=colorscale(TIME_COLORSCALE),
                 colorbar=dict(title=dict(text="p")),
                 hovertemplate="t %{x}<br>" + cls + " %{y}<br>p %{z:.3f}<extra></extra>")]
    if target is not None:
        tgt = target[:T]
        ok = (tgt >= 0) & (tgt < len(names))  # e.g. -100 (ignore index) is not drawn
        data.append(dict(type="scatter", x=t[: tgt.size][ok], y=[names[c] for c in tgt[ok]],
                         mode="markers", name=tgt_word,
                         marker=dict(color="white", size=7, line=dict(color="black", width=1)),
                         hovertemplate="t %{x}<br>" + tgt_word + " %{y}<extra></extra>"))
    layout = layout_dict({}, title=title, x_title=text("fig.training.time_step", lang), y_title=cls)
    layout["yaxis"]["type"] = "category"
    return figure(data, layout, as_dict)


def _class_bars(probs, target, names, title, lang, as_dict) -> go.Figure | dict:
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
    data = []
    for i in range(n):
        true_c = int(tgt[i]) if tgt is not None and i < tgt.size else -1
        outline = np.where(classes == true_c, 3.0, 0.0)
        label = (text("fig.training.example_true", lang, i=i, name=names[true_c]) if 0 <= true_c < len(names)
                 else text("fig.training.example", lang, i=i))
        data.append(dict(
            type="bar", x=x, y=compact(probs[i, classes]), name=label,
            marker=dict(color=PALETTE[i % len(PALETTE)], line=dict(color="black", width=outline)),
            hovertemplate=text("fig.training.class", lang) + " %{x}<br>p %{y:.3f}<extra>" + label + "</extra>"))
    layout = layout_dict({}, title=title, x_title=text("fig.training.class_outlined", lang),
                         y_title=text("fig.training.probability", lang), height=BARS_HEIGHT)
    deep_merge(layout, dict(barmode="group", yaxis=dict(range=[0, 1]), xaxis=dict(type="category")))
    legend_below(layout, n)  # an entry an example: rows of them above the plot would reach the title
    return figure(data, layout, as_dict)
