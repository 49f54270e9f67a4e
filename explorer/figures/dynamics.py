"""Figure builders of the Dynamics lab: state space with fixed points, eigenvalues on the complex
plane, perturbation growth and the edge-of-chaos sweep.

Pure: numpy arrays in, plotly Figure out (no streamlit, no torch).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from explorer.app.i18n import text

from .common import FONT_SIZE, PALETTE, TIME_COLORSCALE, base_layout, compact, downsample_index, empty_figure

STABLE_COLOR = "#000000"
UNSTABLE_COLOR = "#D55E00"
CIRCLE_COLOR = "#777777"
PATH_COLOR = "rgba(90,90,90,0.25)"
# categories (targets, memories): Okabe-Ito without black (black marks stable fixed points), then Tol's wine
CATEGORY_COLORS = PALETTE[:7] + ("#882255", "#999933", "#44AA99", "#AA4499", "#DDCC77")


def _layout(fig: go.Figure, *, title: str, legend_below: bool = False, **kw) -> go.Figure:
    """``base_layout`` (which makes room for a two-line title); ``legend_below``: the legend goes
    under the plot (many entries would otherwise wrap over the title).
    """
    base_layout(fig, title=title, **kw)
    if legend_below:
        fig.update_layout(legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.0,
                                      xanchor="left"), margin=dict(b=120))
    return fig


@dataclass(frozen=True)
class EigenSet:
    """One group of eigenvalues drawn on the complex plane (one legend entry)."""

    name: str  # legend text
    values: np.ndarray  # complex (N,)
    color: str  # marker colour
    symbol: str = "circle"  # plotly marker symbol
    size: int = 9  # marker size
    opacity: float = 0.85  # marker opacity


def eigenvalue_figure(sets: list[EigenSet], *, title: str, height: int = 500, min_radius: float = 1.15,
                      uirevision: str = "eig", lang: str = "en") -> go.Figure:
    """Eigenvalues on the complex plane with the unit circle, equal axes.

    Args:
        sets: groups of eigenvalues, drawn in order (later on top).
        title: figure title.
        height: pixels.
        min_radius: the axes show at least [-r, r] on both axes.
        uirevision: kept across refreshes (zoom survives live redraws).
        lang: language of the figure's own words (legend, hover, axes).
    Returns:
        Figure: a "unit circle" line trace, then one marker trace per set (x = Re, y = Im).
    """
    fig = go.Figure()
    th = np.linspace(0, 2 * np.pi, 181)
    fig.add_trace(go.Scatter(x=np.cos(th), y=np.sin(th), mode="lines", name=text("fig.dynamics.unit_circle", lang),
                             line=dict(color=CIRCLE_COLOR, width=2, dash="dash"), hoverinfo="skip"))
    r = float(min_radius)
    for s in sets:
        v = np.asarray(s.values).reshape(-1)
        v = v[np.isfinite(v)]
        if v.size:
            r = max(r, 1.08 * float(np.abs(v).max()))
        fig.add_trace(go.Scatter(
            x=compact(v.real), y=compact(v.imag), mode="markers", name=s.name,
            marker=dict(color=s.color, symbol=s.symbol, size=s.size, opacity=s.opacity,
                        line=dict(width=1, color="white")),
            hovertemplate=(text("fig.dynamics.re", lang) + " %{x:.3f}<br>" + text("fig.dynamics.im", lang)
                           + " %{y:.3f}<extra>" + s.name + "</extra>")))
    _layout(fig, title=title, uirevision=uirevision, height=height, x_title=text("fig.dynamics.re_axis", lang),
            y_title=text("fig.dynamics.im_axis", lang), legend_below=True)
    fig.update_xaxes(range=[-r, r], zeroline=True)
    fig.update_yaxes(range=[-r, r], zeroline=True, scaleanchor="x", scaleratio=1)
    return fig


@dataclass(frozen=True)
class FixedPointMarks:
    """Fixed points already projected on the figure's components."""

    coords: np.ndarray  # (K, k) PCA coordinates
    stable: np.ndarray  # (K,) bool
    segments: np.ndarray | None = None  # (K, 2, k) ends of the unstable-direction line (NaN: none)
    text: tuple = ()  # (K,) short labels (e.g. the flip-flop memory "+-+"), "" for none


def state_space_figure(proj_ntk, *, color_values=None, color_labels=None, color_title: str = "t",
                       explained=None, fixed: FixedPointMarks | None = None, max_points: int = 8000,
                       title: str | None = None, height: int = 620, uirevision: str = "space",
                       lang: str = "en") -> go.Figure:
    """Trajectories of n sequences in 2-D or 3-D PCA coordinates, with fixed points on top.

    Args:
        proj_ntk: (n, T, k) coordinates, k in (2, 3); NaN rows are not drawn.
        color_values: (n, T) numbers for a continuous colour scale (e.g. time t), or None.
        color_labels: (n, T) strings, one marker trace (legend entry) per distinct label, or None.
            Without either, markers are grey.
        color_title: colour-bar title for ``color_values``.
        explained: variance fractions of the components, shown in the axis titles.
        fixed: fixed points to draw (stable: black filled circles, unstable: open vermillion
            diamonds with their unstable direction as a short line).
        max_points: bound on the trajectory points sent (time is strided, then sequences).
        title, height, uirevision: layout (title None: "Hidden-state trajectories (PCA)").
        lang: language of the figure's own words (trace names, axes, hover).
    Returns:
        Figure with traces named "paths", then the marker traces ("states" or one per label),
        then "stable fixed point", "unstable fixed point", "unstable direction" when ``fixed``.
    """
    proj = np.asarray(proj_ntk, dtype=np.float64)
    if proj.ndim != 3 or proj.shape[2] not in (2, 3):
        raise ValueError(f"expected (n, T, k) with k in (2, 3); got {proj.shape}")
    n, T, k = proj.shape
    if title is None:
        title = text("fig.dynamics.space_title", lang)
    if n == 0 or T == 0:
        return empty_figure(text("fig.dynamics.no_states", lang), title=title, height=height, lang=lang)
    seq = downsample_index(n, max(1, max_points // 4))
    t_idx = downsample_index(T, max(2, max_points // len(seq) - 1))
    P = proj[np.ix_(seq, t_idx)]  # (m, L, k)
    is3d = k == 3
    Sc = go.Scatter3d if is3d else go.Scatter
    ax = "xyz"[:k]

    def xyz(a):
        return {c: compact(a[..., j].reshape(-1)) for j, c in enumerate(ax)}

    fig = go.Figure()
    gap = np.full((len(seq), 1, k), np.nan)
    fig.add_trace(Sc(**xyz(np.concatenate([P, gap], 1)), mode="lines", name=text("fig.dynamics.paths", lang),
                     showlegend=False,
                     line=dict(color=PATH_COLOR, width=2 if is3d else 1.2), hoverinfo="skip",
                     connectgaps=False))
    msize = 3 if is3d else 5
    if color_labels is not None:
        lab = np.asarray(color_labels).astype(str)[np.ix_(seq, t_idx)]
        for j, name in enumerate(sorted(set(lab.reshape(-1).tolist()))):
            m = lab == name
            fig.add_trace(Sc(**xyz(P[m]), mode="markers", name=name,
                             marker=dict(size=msize, color=CATEGORY_COLORS[j % len(CATEGORY_COLORS)], opacity=0.8),
                             hovertemplate=name + "<extra></extra>"))
    elif color_values is not None:
        cv = np.asarray(color_values, dtype=np.float64)[np.ix_(seq, t_idx)].reshape(-1)
        ok = np.isfinite(cv)
        lo, hi = (float(cv[ok].min()), float(cv[ok].max())) if ok.any() else (0.0, 1.0)
        fig.add_trace(Sc(**xyz(P), mode="markers", name=text("fig.dynamics.states", lang), showlegend=False,
                         marker=dict(size=msize, color=compact(cv), colorscale=TIME_COLORSCALE, cmin=lo,
                                     cmax=hi if hi > lo else lo + 1, opacity=0.85,
                                     colorbar=dict(title=color_title, thickness=16)),
                         hovertemplate=color_title + " %{marker.color:.3g}<extra></extra>"))
    else:
        fig.add_trace(Sc(**xyz(P), mode="markers", name=text("fig.dynamics.states", lang), showlegend=False,
                         marker=dict(size=msize, color="#56B4E9", opacity=0.7), hoverinfo="skip"))
    if fixed is not None:
        _add_fixed(fig, fixed, Sc, ax, is3d, lang)
    _layout(fig, title=title, uirevision=uirevision, height=height, legend_below=True)
    fig.update_layout(legend_itemsizing="constant")  # category dots readable in the legend
    titles = [text("fig.dynamics.pc_var", lang, n=j + 1, pct=100 * explained[j])
              if explained is not None and j < len(explained) else text("fig.dynamics.pc", lang, n=j + 1)
              for j in range(k)]
    if is3d:
        fig.update_layout(scene=dict(**{f"{c}axis": dict(title_text=t) for c, t in zip(ax, titles)},
                                     aspectmode="cube", uirevision=uirevision),
                          margin=dict(l=10, r=10, t=90 if "<br>" in title else 70, b=80))
    else:
        fig.update_xaxes(title_text=titles[0])
        fig.update_yaxes(title_text=titles[1])
    return fig


def _add_fixed(fig, fixed: FixedPointMarks, Sc, ax, is3d, lang: str = "en"):
    C = np.asarray(fixed.coords, dtype=np.float64).reshape(-1, len(ax))
    st = np.asarray(fixed.stable, dtype=bool).reshape(-1)
    marks = list(fixed.text) if len(fixed.text) == len(C) else [""] * len(C)

    def xyz(a):
        return {c: compact(a[:, j]) for j, c in enumerate(ax)}

    s_text = [m for m, s in zip(marks, st) if s]
    fig.add_trace(Sc(**xyz(C[st]), mode="markers+text" if any(s_text) else "markers",
                     name=text("fig.dynamics.stable_fp", lang), text=s_text, textposition="top center",
                     textfont=dict(size=FONT_SIZE + 3, color=STABLE_COLOR, family="monospace"),
                     marker=dict(size=9 if is3d else 17, color=STABLE_COLOR, symbol="circle",
                                 line=dict(color="white", width=2.5)),
                     hovertemplate=text("fig.dynamics.stable_fp", lang) + " %{text}<extra></extra>"))
    fig.add_trace(Sc(**xyz(C[~st]), mode="markers", name=text("fig.dynamics.unstable_fp", lang),
                     marker=dict(size=7 if is3d else 13, color=UNSTABLE_COLOR,
                                 symbol="diamond-open" if is3d else "diamond-open-dot",
                                 line=dict(color=UNSTABLE_COLOR, width=2.5)),
                     hovertemplate=text("fig.dynamics.unstable_fp", lang) + "<extra></extra>"))
    if fixed.segments is not None:
        seg = np.asarray(fixed.segments, dtype=np.float64)[~st]  # (K_u, 2, k)
        seg = seg[np.isfinite(seg).all(axis=(1, 2))]
        if len(seg):
            rows = np.concatenate([seg, np.full((len(seg), 1, len(ax)), np.nan)], 1).reshape(-1, len(ax))
            fig.add_trace(Sc(**xyz(rows), mode="lines",
                             name=text("fig.dynamics.unstable_dir", lang),
                             line=dict(color=UNSTABLE_COLOR, width=4), hoverinfo="skip", connectgaps=False))


def growth_figure(log_dist, k: int, *, fit=None, lyapunov_qr: float | None = None,
                  title: str | None = None, height: int = 420, lang: str = "en") -> go.Figure:
    """ln ||h_t - h'_t|| against t after the state at step k was pushed by δ.

    Args:
        log_dist: (N,) natural-log distances for t = k .. k + N - 1 (-inf/NaN not drawn).
        k: the perturbed step (x of the first point).
        fit: (slope, intercept, first, last) of the fitted line, offsets from k; None for none.
        lyapunov_qr: the QR-method exponent along the same trajectory, quoted in the legend.
        title, height: layout (title None: "Sensitivity to a perturbation of h_k").
        lang: language of the figure's own words.
    Returns:
        Figure: trace "distance", then "fit" (dashed) when ``fit`` has a finite slope.
    """
    y = np.asarray(log_dist, dtype=np.float64).reshape(-1)
    t = k + np.arange(len(y))
    ok = np.isfinite(y)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t[ok], y=compact(y[ok]), mode="lines+markers",
                             name=text("fig.dynamics.distance", lang),
                             line=dict(color=PALETTE[0], width=2.5), marker=dict(size=5),
                             hovertemplate="t %{x}<br>" + text("fig.dynamics.ln_distance", lang)
                             + " %{y:.2f}<extra></extra>"))
    if fit is not None and np.isfinite(fit[0]):
        slope, icpt, a, b = fit
        xs = np.array([a, b], dtype=np.float64)
        qr = "" if lyapunov_qr is None or not np.isfinite(lyapunov_qr) else \
            text("fig.dynamics.fit_qr", lang, value=lyapunov_qr)
        fig.add_trace(go.Scatter(x=k + xs, y=icpt + slope * xs, mode="lines",
                                 name=text("fig.dynamics.fit", lang, slope=slope, qr=qr),
                                 line=dict(color=PALETTE[3], width=3, dash="dash")))
    _layout(fig, title=text("fig.dynamics.growth_title", lang) if title is None else title, height=height,
            uirevision="growth", x_title=text("fig.dynamics.time_step", lang),
            y_title=text("fig.dynamics.ln_gap", lang))
    return fig


def chaos_figure(radii, lyap, *, current: tuple[float, float] | None = None, linear_reference: bool = True,
                 title: str | None = None, height: int = 440, lang: str = "en") -> go.Figure:
    """λ_max of an untrained tanh RNN against ρ(W_hh), zero marked.

    Args:
        radii: (R,) spectral radii.
        lyap: (R,) largest exponents (per step).
        current: (ρ, λ) of the network shown in the sensitivity plot, marked; None for none.
        linear_reference: also draw ln ρ, the exponent of the linear RNN with the same W_hh
            direction when W_hh is normal (a reference, not a bound).
        title, height: layout (title None: "Edge of chaos: largest Lyapunov exponent against the
            spectral radius").
        lang: language of the figure's own words.
    Returns:
        Figure: "λ_max" (line + markers), "ln ρ (linear network)" when asked, "this network" when
        ``current``; a horizontal line at λ = 0 as a shape.
    """
    r = np.asarray(radii, dtype=np.float64)
    lam = np.asarray(lyap, dtype=np.float64)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=r, y=lam, mode="lines+markers",
                             name=text("fig.dynamics.lam_max", lang),
                             line=dict(color=PALETTE[0], width=3), marker=dict(size=8),
                             hovertemplate="ρ %{x:.2f}<br>λ %{y:+.3f}<extra></extra>"))
    if linear_reference:
        fig.add_trace(go.Scatter(x=r, y=np.log(r), mode="lines",
                                 name=text("fig.dynamics.ln_rho", lang),
                                 line=dict(color=CIRCLE_COLOR, width=2, dash="dot")))
    if current is not None:
        fig.add_trace(go.Scatter(x=[current[0]], y=[current[1]], mode="markers",
                                 name=text("fig.dynamics.this_network", lang),
                                 marker=dict(size=16, color=PALETTE[3], symbol="star",
                                             line=dict(color="black", width=1))))
    fig.add_hline(y=0, line=dict(color="black", width=1.5))
    lo = float(np.nanmin(lam)) if np.isfinite(lam).any() else -1.0
    hi = float(np.nanmax(lam)) if np.isfinite(lam).any() else 1.0
    span = max(hi, 0.05) - min(lo, -0.05)
    fig.add_annotation(x=float(r.min()), y=0.04 * span, text=text("fig.dynamics.chaotic", lang),
                       showarrow=False, xanchor="left", yanchor="bottom", font=dict(size=FONT_SIZE))
    fig.add_annotation(x=float(r.max()), y=-0.04 * span, text=text("fig.dynamics.ordered", lang),
                       showarrow=False, xanchor="right", yanchor="top", font=dict(size=FONT_SIZE))
    _layout(fig, title=text("fig.dynamics.chaos_title", lang) if title is None else title, height=height,
            uirevision="chaos", x_title=text("fig.dynamics.x_rho", lang), y_title=text("fig.dynamics.y_lam", lang))
    fig.update_yaxes(range=[min(lo, -0.05) - 0.1 * span, max(hi, 0.05) + 0.1 * span])
    return fig
