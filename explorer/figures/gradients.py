"""Figure builders of the Gradient flow lab (lecture note section 6).

Pure: numpy arrays in, plotly Figure out; no streamlit, no torch. Gradient norms span hundreds
of decades (1e-300 to 1e+150 in float64), so these builders take log10 values where a curve may
overflow, keep float64 (float32 would turn 1e+40 into inf) and set the log axis range from the
data, not from a bound that may run off to 1e+700.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..app.i18n import text
from .common import CELL_COLORS, FONT_SIZE, PALETTE, base_layout, compact, empty_figure, legend_under

CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
GRAD_TITLE = "||∂L/∂h_t||"
BOUND_COLOR = "#444444"
# Badge fill per verdict (the border takes the cell's colour)
VERDICT_FILL = {"vanishing": "#DCEBFA", "stable": "#E8E8E8", "exploding": "#FBE0D4"}
VERDICT_TEXT = {"vanishing": "#08457E", "stable": "#333333", "exploding": "#8A2A00"}
PLAIN_COLOR = "#D55E00"  # the run or path without clipping
CLIPPED_COLOR = "#0072B2"  # the run or path with clipping
MAX_DECADES = 320  # float64's whole range; beyond it a curve is drawn as a gap


def _path_color(name: str, colors: dict[str, str] | None) -> str:
    """A path's colour: from ``colors``, else blue for names saying "clip" (but not "no clip")."""
    if colors and name in colors:
        return colors[name]
    return CLIPPED_COLOR if "clip" in name.lower() and "no clip" not in name.lower() else PLAIN_COLOR


def _log10_pos(a: np.ndarray) -> np.ndarray:
    """log10 of positive finite entries, NaN elsewhere (float64)."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(a) & (a > 0), np.log10(np.where(a > 0, a, 1.0)), np.nan)


def _range(logs: list[np.ndarray], pad: float = 0.4) -> list[float] | None:
    vals = np.concatenate([np.asarray(v, np.float64).reshape(-1) for v in logs]) if logs else np.empty(0)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return None
    lo, hi = float(vals.min()), float(vals.max())
    if hi - lo < 1.0:  # a flat curve still gets a readable decade around it
        mid = 0.5 * (hi + lo)
        lo, hi = mid - 0.5, mid + 0.5
    return [lo - pad, hi + pad]


def _pow10(logs: np.ndarray) -> np.ndarray:
    x = np.asarray(logs, np.float64)
    return np.where(np.abs(x) < MAX_DECADES, 10.0 ** np.clip(x, -MAX_DECADES, MAX_DECADES), np.nan)


def _badge_html(label: str) -> str:
    """Two lines: the verdict in bold, then its detail ("RNN: vanishing (×0.97 ...)" splits at " (")."""
    head, sep, rest = label.partition(" (")
    return f"<b>{head}</b>" + (f"<br>({rest}" if sep else "")


def _badges(fig: go.Figure, badges: list[tuple[str, str, str]]) -> None:
    """A row of verdict badges just above the plot area: (cell kind, verdict, text).

    Each badge takes two short lines and the row is spread to the plot's edges (first badge
    left-aligned at the left edge, last right-aligned at the right one), so three badges fit
    side by side even with a projector's large type and the longer Korean words.
    """
    n = len(badges)
    for i, (kind, verdict, label) in enumerate(badges):
        x, anchor = ((0.5, "center") if n == 1 else (0.0, "left") if i == 0 else
                     (1.0, "right") if i == n - 1 else (i / (n - 1), "center"))
        fig.add_annotation(
            text=_badge_html(label), xref="paper", yref="paper", x=x, y=1.02,
            xanchor=anchor, yanchor="bottom", showarrow=False, align="center",
            font=dict(size=FONT_SIZE, color=VERDICT_TEXT.get(verdict, "#333333")),
            bgcolor=VERDICT_FILL.get(verdict, "#EEEEEE"), bordercolor=CELL_COLORS.get(kind, "#666666"),
            borderwidth=2, borderpad=5,
        )


def flow_figure(
    grads: dict[str, np.ndarray],
    *,
    fits: dict[str, tuple[float, float, int, int]] | None = None,
    bound_log10: np.ndarray | None = None,
    bound_label: str | None = None,
    badges: list[tuple[str, str, str]] | None = None,
    title: str | None = None,
    height: int = 520,
    lang: str = "en",
) -> go.Figure:
    """||dL/dh_t|| against t on a log axis, one line per cell, the bound dashed, verdict badges.

    Args:
        grads: cell kind ("rnn", "lstm", "gru") -> (T,) gradient norms; 0, inf and nan are gaps.
        fits: cell kind -> (slope, intercept, t_first, t_last) of the line log10 g = a + s t; drawn
            dotted over the fitted window.
        bound_log10: (T,) log10 of the upper bound (vanilla RNN), drawn dashed.
        bound_label: its legend name (default: the bound's formula in ``lang``).
        badges: (cell kind, verdict, text) shown as a row of badges above the plot; verdict is a
            key of VERDICT_FILL (it picks the colours), text is shown as given.
        title: figure title (default: in ``lang``).
        height: pixels.
        lang: language of the figure's text.
    Returns:
        Figure: one trace per cell, one per fit, one for the bound; log y axis.
    """
    title = text("fig.gradients.flow_title", lang) if title is None else title
    bound_label = text("fig.gradients.bound_default", lang) if bound_label is None else bound_label
    logs = {k: _log10_pos(v) for k, v in grads.items() if np.asarray(v).size}
    if not logs:
        return empty_figure(text("fig.gradients.no_gradient", lang), title=title,
                            x_title=text("fig.gradients.time_t", lang), y_title=GRAD_TITLE)
    fig = go.Figure()
    for kind, lg in logs.items():
        color = CELL_COLORS.get(kind, PALETTE[0])
        name = CELL_NAMES.get(kind, kind)
        fig.add_trace(go.Scatter(
            x=np.arange(lg.size), y=_pow10(lg), mode="lines", name=name, legendgroup=kind,
            line=dict(color=color, width=3),
            hovertemplate="t %{x}<br>" + GRAD_TITLE + " %{y:.3g}<extra>" + name + "</extra>"))
    for kind, (s, a, t0, t1) in (fits or {}).items():
        if not np.isfinite(s):
            continue
        t = np.array([t0, t1], dtype=np.float64)
        fig.add_trace(go.Scatter(
            x=t, y=_pow10(a + s * t), mode="lines",
            name=text("fig.gradients.fitted", lang, cell=CELL_NAMES.get(kind, kind)),
            legendgroup=kind, line=dict(color=CELL_COLORS.get(kind, PALETTE[0]), width=2, dash="dot"),
            hoverinfo="skip"))
    data_range = _range(list(logs.values()))
    if bound_log10 is not None:
        b = np.asarray(bound_log10, np.float64)
        # draw the bound only where it can be seen (it may run off to 1e+700)
        keep = b <= (data_range[1] + 2 if data_range else np.inf)
        if not keep.all():
            bound_label += text("fig.gradients.bound_above", lang)
        fig.add_trace(go.Scatter(
            x=np.arange(b.size)[keep], y=_pow10(b[keep]), mode="lines", name=bound_label,
            line=dict(color=BOUND_COLOR, width=2.5, dash="dash"),
            hovertemplate="t %{x}<br>" + text("fig.gradients.bound_short", lang) + " %{y:.3g}<extra></extra>"))
    base_layout(fig, title=title, height=height, x_title=text("fig.gradients.time_t_end", lang),
                y_title=GRAD_TITLE, uirevision="flow")
    fig.update_yaxes(type="log", exponentformat="power", range=data_range)
    fig.update_layout(margin=dict(t=140 if badges else 70))
    legend_under(fig)  # below the axis title, a row for every three entries
    if badges:
        _badges(fig, badges)
    return fig


def product_figure(
    products: dict[str, np.ndarray],
    *,
    styles: dict[str, tuple[str, str]] | None = None,
    title: str | None = None,
    height: int = 480,
    lang: str = "en",
) -> go.Figure:
    """Several log10 products over t on one log axis (Jacobian products, ∏ f_k, ∏ z_k).

    Args:
        products: legend name -> (T',) log10 of the product from t+1 to the end.
        styles: legend name -> (colour, dash), e.g. ("#0072B2", "dash").
        title: figure title (default: in ``lang``).
        height: pixels.
        lang: language of the figure's text.
    Returns:
        Figure with one line per product, log y axis (float64 values).
    """
    title = text("fig.gradients.products_title", lang) if title is None else title
    if not products:
        return empty_figure(text("fig.gradients.no_products", lang), title=title,
                            x_title=text("fig.gradients.time_t", lang))
    fig = go.Figure()
    for j, (name, lg) in enumerate(products.items()):
        color, dash = (styles or {}).get(name, (PALETTE[j % len(PALETTE)], "solid"))
        lg = np.asarray(lg, np.float64)
        fig.add_trace(go.Scatter(
            x=np.arange(lg.size), y=_pow10(lg), mode="lines", name=name,
            line=dict(color=color, width=3, dash=dash),
            hovertemplate="t %{x}<br>%{y:.3g}<extra>" + name + "</extra>"))
    base_layout(fig, title=title, height=height, x_title=text("fig.gradients.time_t", lang),
                y_title=text("fig.gradients.product_y", lang), uirevision="products")
    fig.update_yaxes(type="log", exponentformat="power", range=_range(list(products.values())))
    legend_under(fig)
    return fig


def singular_value_figure(
    singular_values: dict[str, np.ndarray],
    *,
    title: str | None = None,
    height: int = 460,
    lang: str = "en",
) -> go.Figure:
    """Largest, median and smallest singular value of each step's Jacobian, per cell.

    Args:
        singular_values: cell kind -> (T', S) singular values, largest first.
        title: figure title (default: in ``lang``).
        height: pixels.
        lang: language of the figure's text.
    Returns:
        Figure: per cell σ_max (solid), median (dash), σ_min (dot); a grey line at 1.
    """
    title = text("fig.gradients.singular_title", lang) if title is None else title
    time_k = text("fig.gradients.time_k", lang)
    if not singular_values:
        return empty_figure(text("fig.gradients.no_jacobians", lang), title=title, x_title=time_k)
    fig = go.Figure()
    logs, tmax = [], 1
    for kind, sv in singular_values.items():
        sv = np.asarray(sv, np.float64)
        t = np.arange(sv.shape[0])
        tmax = max(tmax, sv.shape[0] - 1)
        color = CELL_COLORS.get(kind, PALETTE[0])
        name = CELL_NAMES.get(kind, kind)
        for label, y, dash in (("σ_max", sv[:, 0], "solid"), (text("fig.gradients.median", lang), np.median(sv, axis=1), "dash"),
                               ("σ_min", sv[:, -1], "dot")):
            lg = _log10_pos(y)
            logs.append(lg)
            fig.add_trace(go.Scatter(
                x=t, y=compact(np.where(np.isfinite(lg), y, np.nan)), mode="lines",
                name=f"{name} {label}", legendgroup=kind, line=dict(color=color, width=2.5, dash=dash),
                hovertemplate="k %{x}<br>%{y:.3g}<extra>" + f"{name} {label}" + "</extra>"))
    fig.add_trace(go.Scatter(x=[0, tmax], y=[1.0, 1.0], mode="lines", name="σ = 1",
                             line=dict(color=BOUND_COLOR, width=1.5, dash="longdash"), hoverinfo="skip"))
    logs.append(np.zeros(1))
    base_layout(fig, title=title, height=height, x_title=time_k,
                y_title=text("fig.gradients.singular_y", lang), uirevision="singular")
    fig.update_yaxes(type="log", exponentformat="power", range=_range(logs, pad=0.2))
    legend_under(fig)
    return fig
