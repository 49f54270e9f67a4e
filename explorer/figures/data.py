"""Figures of the Data page: an uploaded series with the chosen window, a few sequences per class,
class counts, sequence lengths and character frequencies. Pure: numpy in, plotly Figure out.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import plotly.graph_objects as go

from ..app.i18n import text
from .common import PALETTE, base_layout, compact, downsample_index, empty_figure

MAX_SERIES_POINTS = 4000  # points per channel of a long series (first and last kept)
MAX_SEQ_POINTS = 400  # points per drawn sequence
WINDOW_FILL = "rgba(0, 114, 178, 0.13)"  # input window (blue)
HORIZON_FILL = "rgba(213, 94, 0, 0.25)"  # forecast target (vermillion)


def series_figure(values_tf: np.ndarray, channels: list[str], *, time=None, window: int | None = None,
                  horizon: int = 1, split: int | None = None, title: str | None = None,
                  height: int = 420, lang: str = "en") -> go.Figure:
    """One line per channel over time, with the first window shaded and the validation split.

    Args:
        values_tf: (T, F) values; NaN are gaps and break the line.
        channels: F names.
        time: (T,) axis (datetimes or numbers); None: the step index.
        window: input window length to shade at the start (None: no window).
        horizon: steps after the window that are forecast (shaded in another colour).
        split: first validation step (a dashed line), or None.
        title, height: layout (title None: "The series").
        lang: language of the figure's text.

    Returns:
        A figure with F line traces (downsampled to MAX_SERIES_POINTS steps).
    """
    title = text("fig.data.series_title", lang) if title is None else title
    v = np.asarray(values_tf, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] == 0:
        return empty_figure(text("fig.data.no_data", lang), title=title, height=height)
    T = v.shape[0]
    axis = np.arange(T) if time is None else np.asarray(time)
    idx = downsample_index(T, MAX_SERIES_POINTS)
    fig = go.Figure()
    for k, name in enumerate(channels):
        fig.add_trace(go.Scatter(x=axis[idx], y=compact(v[idx, k]), mode="lines", name=str(name),
                                 line=dict(color=PALETTE[k % len(PALETTE)], width=2), connectgaps=False))
    if window is not None and 0 < window < T:
        h_end = min(T - 1, window - 1 + horizon)
        _band(fig, axis[0], axis[window - 1], WINDOW_FILL,
              text("fig.data.window_note", lang, window=window, horizon=horizon), "left")
        _band(fig, axis[window - 1], axis[h_end], HORIZON_FILL, "", "left")
    if split is not None and 0 < split < T:
        x = _pos(axis[split])
        fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, xref="x", yref="paper",
                      line=dict(dash="dash", color="#444444", width=2))
        fig.add_annotation(x=x, y=1, xref="x", yref="paper", text=text("fig.data.validation", lang), showarrow=False,
                           xanchor="left", yanchor="top", font=dict(size=14))
    base_layout(fig, title=title, height=height, uirevision="data-series",
                x_title=text("fig.data.time" if time is not None else "fig.data.time_step", lang),
                y_title=text("fig.data.value", lang))
    return fig


def _pos(v):
    """An axis position plotly accepts in shapes: ISO text for datetimes (plotly's own
    add_vline cannot average datetimes), else a float."""
    return str(v) if isinstance(v, np.datetime64) else float(v)


def _band(fig: go.Figure, x0, x1, color: str, note: str, anchor: str) -> None:
    fig.add_shape(type="rect", x0=_pos(x0), x1=_pos(x1), y0=0, y1=1, xref="x", yref="paper",
                  fillcolor=color, line_width=0, layer="below")
    if note:
        fig.add_annotation(x=_pos(x0), y=1, xref="x", yref="paper", text=note, showarrow=False,
                           xanchor=anchor, yanchor="bottom", font=dict(size=14))


def class_sequences_figure(sequences: list, labels: np.ndarray, classes: list[str], *, per_class: int = 3,
                           channel: int = 0, title: str | None = None,
                           height: int = 420, lang: str = "en") -> go.Figure:
    """The first ``per_class`` sequences of each class, one colour per class.

    Args:
        sequences: N arrays (T_i, F).
        labels: (N,) class indices into ``classes``.
        classes: class names.
        per_class: sequences drawn per class.
        channel: which feature is drawn.
        title, height: layout (title None: "A few sequences per class").
        lang: language of the figure's text.

    Returns:
        A figure with one line trace per drawn sequence (legend: one entry per class).
    """
    title = text("fig.data.classes_title", lang) if title is None else title
    labels = np.asarray(labels)
    fig = go.Figure()
    for c, name in enumerate(classes):
        for n, i in enumerate(np.flatnonzero(labels == c)[:per_class]):
            s = np.asarray(sequences[i], dtype=np.float64)[:, channel]
            idx = downsample_index(len(s), MAX_SEQ_POINTS)
            fig.add_trace(go.Scatter(x=idx, y=compact(s[idx]), mode="lines", name=str(name),
                                     legendgroup=str(name), showlegend=n == 0,
                                     line=dict(color=PALETTE[c % len(PALETTE)], width=2),
                                     hovertemplate=text("fig.data.hover_sequence", lang, name=name, i=i)
                                     + "<br>t=%{x}: %{y:.3g}<extra></extra>"))
    if not fig.data:
        return empty_figure(text("fig.data.no_sequences", lang), title=title, height=height)
    base_layout(fig, title=title, height=height, uirevision="data-classes",
                x_title=text("fig.data.time_step", lang), y_title=text("fig.data.value", lang))
    return fig


def class_counts_figure(classes: list[str], counts, test_counts=None, *, title: str | None = None,
                        height: int = 360, lang: str = "en") -> go.Figure:
    """Bars of the class counts (and of the test file's, side by side, when given); text in ``lang``."""
    title = text("fig.data.counts_title", lang) if title is None else title
    fig = go.Figure(go.Bar(x=[str(c) for c in classes], y=np.asarray(counts),
                           name=text("fig.data.training_file", lang), marker_color=PALETTE[0],
                           text=np.asarray(counts), textposition="outside"))
    if test_counts is not None:
        fig.add_trace(go.Bar(x=[str(c) for c in classes], y=np.asarray(test_counts),
                             name=text("fig.data.test_file", lang), marker_color=PALETTE[1],
                             text=np.asarray(test_counts), textposition="outside"))
    base_layout(fig, title=title, height=height, uirevision="data-counts", x_title=text("fig.data.class", lang),
                y_title=text("fig.data.sequences", lang))
    fig.update_xaxes(type="category")
    top = max([1, *np.asarray(counts).tolist(), *(np.asarray(test_counts).tolist() if test_counts is not None else [])])
    fig.update_yaxes(range=[0, 1.18 * top])  # room for the labels above the bars
    fig.update_layout(barmode="group")
    return fig


def length_figure(lengths, *, title: str | None = None, height: int = 360, bins: int = 30,
                  lang: str = "en") -> go.Figure:
    """Histogram (as bars) of the sequence lengths; one bar when all are equal; text in ``lang``."""
    title = text("fig.data.lengths_title", lang) if title is None else title
    L = np.asarray(lengths, dtype=np.int64)
    if L.size == 0:
        return empty_figure(text("fig.data.no_sequences", lang), title=title, height=height)
    lo, hi = int(L.min()), int(L.max())
    if lo == hi:
        x, y, w = np.array([lo]), np.array([L.size]), 1.0
    else:
        counts, edges = np.histogram(L, bins=min(bins, hi - lo + 1), range=(lo, hi + 1))
        x, y, w = (edges[:-1] + edges[1:]) / 2, counts, float(edges[1] - edges[0])
    fig = go.Figure(go.Bar(x=x, y=y, width=w * 0.9, marker_color=PALETTE[2], name=text("fig.data.sequences", lang)))
    base_layout(fig, title=title, height=height, uirevision="data-lengths", x_title=text("fig.data.length_steps", lang),
                y_title=text("fig.data.sequences", lang))
    return fig


def char_figure(corpus: str, *, top: int = 40, title: str | None = None, height: int = 360,
                lang: str = "en") -> go.Figure:
    """Bars of the ``top`` most frequent characters of ``corpus`` (space, newline and tab spelled
    out); text in ``lang``."""
    title = text("fig.data.chars_title", lang) if title is None else title
    common = Counter(corpus).most_common(top)
    shown = {" ": text("fig.data.space", lang), "\n": "\\n", "\t": "\\t"}
    fig = go.Figure(go.Bar(x=[shown.get(c, c) for c, _ in common], y=[n for _, n in common],
                           marker_color=PALETTE[0], name=text("fig.data.count", lang)))
    base_layout(fig, title=title, height=height, uirevision="data-chars", x_title=text("fig.data.character", lang),
                y_title=text("fig.data.count", lang))
    fig.update_xaxes(type="category")
    return fig
