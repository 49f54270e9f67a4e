"""Figures of the Bidirectional & attention page: attention weights, forward and backward states,
look-ahead predictions and before/after comparisons.

Pure: numpy in, ``plotly.graph_objects.Figure`` out.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..app.i18n import text
from .common import DIVERGING_COLORSCALE, PALETTE, base_layout, compact, empty_figure

BI_COLOR = PALETTE[0]  # bidirectional / attention model (blue)
UNI_COLOR = PALETTE[3]  # one-way / last-state model (vermillion)
MARK_COLOR = PALETTE[1]  # the marked step (orange)
BASELINE_COLOR = "#555555"


def attention_heatmap(weights_nt: np.ndarray, marked_n: Sequence[int] | None = None, *,
                      step: int | None = None, title: str | None = None, height: int = 360,
                      lang: str = "en") -> go.Figure:
    """Attention weights as a heatmap: one row per sequence, one column per input step.

    Args:
        weights_nt: (n, T) weights, each row sums to 1.
        marked_n: (n,) index of each row's marked step (ringed); None or -1 for none.
        step: training step, written in the title.
        title: figure title (default says what the cells mean).
        lang: language of the texts.

    Returns:
        trace 0 the heatmap (z = weights, rows "seq 1".."seq n", columns t = 1..T), trace 1 the
        ringed marked steps.
    """
    w = np.asarray(weights_nt, dtype=float)
    if title is None:
        title = text("fig.attention.heatmap_title", lang)
        if step is not None:
            title += text("fig.attention.heatmap_step", lang, step=step)
    if w.ndim != 2 or w.size == 0:
        return empty_figure(text("fig.attention.no_weights", lang), title=title, height=height)
    n, T = w.shape
    rows = [text("fig.attention.row", lang, i=i + 1) for i in range(n)]
    t = np.arange(1, T + 1)
    fig = go.Figure(go.Heatmap(z=compact(w), x=t, y=rows, zmin=0.0, zmax=max(float(w.max()), 1e-6),
                               colorscale="Blues", colorbar=dict(title="a_t"), xgap=1, ygap=2,
                               hovertemplate="%{y}, t=%{x}: a=%{z:.3f}<extra></extra>"))
    mx, my = [], []
    if marked_n is not None:
        for i, m in enumerate(np.asarray(marked_n).ravel()[:n]):
            if 0 <= int(m) < T:
                mx.append(int(m) + 1)
                my.append(rows[i])
    marked = text("fig.attention.marked", lang)
    fig.add_trace(go.Scatter(x=mx, y=my, mode="markers", name=marked,
                             marker=dict(symbol="square-open", size=22, color=MARK_COLOR,
                                         line=dict(width=3, color=MARK_COLOR)),
                             hovertemplate="%{y}: " + marked + " t=%{x}<extra></extra>"))
    base_layout(fig, title=title, x_title=text("fig.attention.input_step", lang), height=height,
                uirevision="attention")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(plot_bgcolor="white")
    return fig


def direction_states_figure(forward_th: np.ndarray, backward_th: np.ndarray, *, title: str | None = None,
                            height: int = 380, lang: str = "en") -> go.Figure:
    """Forward and backward hidden states of a bidirectional RNN, side by side.

    Args:
        forward_th: (T, H) forward states h→_t (read left to right).
        backward_th: (T, H) backward states h←_t (read right to left).
        lang: language of the panel titles, axis titles and hover texts.

    Returns:
        two heatmaps (units on y, time on x), one shared diverging colour scale centred at 0.
    """
    f, b = np.asarray(forward_th, float), np.asarray(backward_th, float)
    if f.shape != b.shape or f.ndim != 2:
        raise ValueError(f"expected two (T, H) arrays of one shape, got {f.shape} and {b.shape}")
    T, H = f.shape
    lim = max(float(np.abs(f).max(initial=0)), float(np.abs(b).max(initial=0)), 1e-6)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=(text("fig.attention.forward_title", lang),
                                        text("fig.attention.backward_title", lang)))
    t, units = np.arange(1, T + 1), np.arange(1, H + 1)
    unit = text("fig.attention.unit", lang)
    chains = [(f, text("fig.attention.forward", lang)), (b, text("fig.attention.backward", lang))]
    for col, (arr, name) in enumerate(chains, start=1):
        fig.add_trace(go.Heatmap(z=compact(arr.T), x=t, y=units, zmin=-lim, zmax=lim, zmid=0,
                                 colorscale=DIVERGING_COLORSCALE, name=name, showscale=col == 2,
                                 colorbar=dict(title="h"),
                                 hovertemplate=f"{name} {unit} " + "%{y}, t=%{x}: %{z:.3f}<extra></extra>"),
                      row=1, col=col)
    base_layout(fig, title=title, height=height, uirevision="directions")
    fig.update_xaxes(title_text=text("fig.attention.time_step", lang))
    fig.update_yaxes(title_text=text("fig.attention.hidden_unit", lang), row=1, col=1)
    fig.update_annotations(font_size=15)
    return fig


def lookahead_figure(x_t: np.ndarray, target_t: np.ndarray, p_bi_t: np.ndarray, p_uni_t: np.ndarray, *,
                     shift: int, title: str | None = None, height: int = 420, lang: str = "en") -> go.Figure:
    """One look-ahead sequence: the input, and P(label = positive) of both models vs the target.

    Args:
        x_t: (T,) input values; target_t: (T,) 0/1 labels (sign of x_{t+shift}).
        p_bi_t, p_uni_t: (T,) probability of "positive" from the bidirectional and one-way models.
        lang: language of the panel titles, trace names and axis titles.

    Returns:
        row 1: input bars (trace 0); row 2: traces "target", "bidirectional", "one-way".
    """
    x = np.asarray(x_t, float).ravel()
    T = x.size
    t = np.arange(1, T + 1)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12, row_heights=[0.4, 0.6],
                        subplot_titles=(text("fig.attention.input_x", lang),
                                        text("fig.attention.p_title", lang, shift=shift)))
    fig.add_trace(go.Bar(x=t, y=compact(x), name=text("fig.attention.input_x", lang), showlegend=False,
                         marker_color=np.where(x > 0, PALETTE[2], "#999999").tolist()), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=compact(np.asarray(target_t, float)), mode="markers",
                             name=text("fig.attention.target", lang),
                             marker=dict(symbol="circle-open", size=14, color="#000000", line=dict(width=2))),
                  row=2, col=1)
    fig.add_trace(go.Scatter(x=t, y=compact(np.asarray(p_bi_t, float)), mode="lines+markers",
                             name=text("fig.attention.bidirectional", lang), line=dict(color=BI_COLOR, width=3)),
                  row=2, col=1)
    fig.add_trace(go.Scatter(x=t, y=compact(np.asarray(p_uni_t, float)), mode="lines+markers",
                             name=text("fig.attention.one_way", lang), line=dict(color=UNI_COLOR, width=3, dash="dash")),
                  row=2, col=1)
    base_layout(fig, title=title, height=height, uirevision="lookahead")
    fig.update_layout(legend=dict(y=-0.18, yanchor="top", xanchor="center", x=0.5), margin=dict(b=90))
    fig.update_yaxes(range=[-0.08, 1.08], row=2, col=1)
    fig.update_xaxes(title_text=text("fig.attention.time_step", lang), row=2, col=1)
    fig.update_annotations(font_size=15)
    return fig


def comparison_bars(labels: Sequence[str], before: Sequence[float], after: Sequence[float], *,
                    baseline: float | None = None, y_title: str = "", title: str | None = None,
                    higher_is_better: bool = True, height: int = 340, lang: str = "en") -> go.Figure:
    """Held-out scores of several models before and after training, with the trivial baseline.

    Args:
        lang: language of the trace names, the baseline label and the "higher is better" note.

    Returns:
        trace 0 "before training", trace 1 "after training" (bars per model label), and a dashed
        baseline line when given.
    """
    labels = list(labels)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=list(map(float, before)), name=text("fig.attention.before", lang),
                         marker_color="#BBBBBB", texttemplate="%{y:.3g}", textposition="outside"))
    fig.add_trace(go.Bar(x=labels, y=list(map(float, after)), name=text("fig.attention.after", lang),
                         marker_color=[BI_COLOR, UNI_COLOR][: len(labels)] + [PALETTE[2]] * max(0, len(labels) - 2),
                         texttemplate="%{y:.3g}", textposition="outside"))
    if baseline is not None and np.isfinite(baseline):
        fig.add_hline(y=float(baseline), line=dict(color=BASELINE_COLOR, dash="dash", width=2),
                      annotation_text=text("fig.attention.baseline", lang), annotation_font_size=14,
                      # under the line, on a light box: above it the label would cover the bars' values
                      annotation_position="bottom left", annotation_bgcolor="rgba(255,255,255,0.8)")
    top = max([float(v) for v in list(before) + list(after)] + [baseline or 0.0])
    better = text("fig.attention.higher_better", lang) if higher_is_better else text("fig.attention.lower_better", lang)
    base_layout(fig, title=title, y_title=y_title + better,
                height=height, uirevision="compare")
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, top * 1.25 if top > 0 else 1])
    return fig
