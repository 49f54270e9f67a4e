"""Figure builders of the Gradient flow lab's clipping tabs (lecture note section 6).

The same exploding run with and without clipping, and the single-unit cliff: its loss surface
with two descent paths, and the loss along each path. Pure: numpy arrays in, plotly Figure out.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..app.i18n import text
from .common import FONT_SIZE, base_layout, compact, legend_under
from .gradients import BOUND_COLOR, CLIPPED_COLOR, PLAIN_COLOR, _log10_pos, _path_color, _pow10, _range


def clipping_figures(
    steps: np.ndarray,
    loss_plain: np.ndarray,
    loss_clip: np.ndarray,
    grad_plain: np.ndarray,
    grad_clip: np.ndarray,
    clip: float,
    *,
    baseline: float | None = None,
    height: int = 430,
    lang: str = "en",
) -> tuple[go.Figure, go.Figure]:
    """Loss and global gradient norm per step of the same run without and with clipping.

    Args:
        steps: (n,) step numbers.
        loss_plain, loss_clip: (n,) training loss (nan where a step diverged and was rolled back).
        grad_plain, grad_clip: (n,) global gradient norm before clipping (inf where it overflowed).
        clip: the threshold, drawn dashed on the gradient figure.
        baseline: the task's best constant prediction, drawn on the loss figure.
        height: pixels.
        lang: language of the figures' text.
    Returns:
        (loss figure, gradient figure), both with log y axes.
    """
    steps = np.asarray(steps, np.float64)
    figs = []
    step_word = text("fig.gradients.step", lang)
    runs = ((text("fig.gradients.no_clip", lang), PLAIN_COLOR),
            (text("fig.gradients.clipped_at", lang, clip=clip), CLIPPED_COLOR))
    # uirevision: the English titles, so a zoom survives a change of language too
    for is_grad, what, a, b, y_title, uirev in (
            (False, text("fig.gradients.loss_title", lang), loss_plain, loss_clip,
             text("fig.gradients.loss", lang), "Training loss"),
            (True, text("fig.gradients.grad_title", lang), grad_plain, grad_clip, "||∇θ L||",
             "Global gradient norm (before clipping)")):
        fig = go.Figure()
        logs = []
        for (label, color), y in zip(runs, (a, b)):
            lg = _log10_pos(y)
            logs.append(lg)
            fig.add_trace(go.Scatter(x=steps, y=_pow10(lg), mode="lines", name=label,
                                     line=dict(color=color, width=2.5),
                                     hovertemplate=step_word + " %{x}<br>%{y:.3g}<extra>" + label + "</extra>"))
            bad = ~np.isfinite(np.asarray(y, np.float64))
            if bad.any():
                fig.add_trace(go.Scatter(
                    x=steps[bad], y=np.full(int(bad.sum()), np.nan), mode="markers",
                    name=text("fig.gradients.diverged", lang, label=label), marker=dict(color=color, symbol="x", size=10),
                    hoverinfo="skip", showlegend=False))
        if is_grad:
            fig.add_trace(go.Scatter(x=[steps.min(), steps.max()] if steps.size else [0, 1], y=[clip, clip],
                                     mode="lines", name=text("fig.gradients.threshold", lang),
                                     line=dict(color=BOUND_COLOR, width=2, dash="dash"), hoverinfo="skip"))
            logs.append(np.log10([clip]))
        elif baseline is not None and np.isfinite(baseline) and baseline > 0:
            fig.add_trace(go.Scatter(x=[steps.min(), steps.max()] if steps.size else [0, 1],
                                     y=[baseline, baseline], mode="lines",
                                     name=text("fig.gradients.best_constant", lang),
                                     line=dict(color=BOUND_COLOR, width=2, dash="dash"), hoverinfo="skip"))
            logs.append(np.log10([baseline]))
        base_layout(fig, title=what, height=height, x_title=text("fig.gradients.training_step", lang),
                    y_title=y_title, uirevision=uirev)
        fig.update_yaxes(type="log", exponentformat="power", range=_range(logs, pad=0.2))
        # diverged steps: a row of crosses along the top edge
        top = _range(logs, pad=0.2)
        for tr in fig.data:
            if tr.mode == "markers" and top is not None:
                tr.y = np.full(len(tr.x), 10 ** (top[1] - 0.1))
        figs.append(legend_under(fig))  # half width: above the plot it ran into the title
    return figs[0], figs[1]


def cliff_figure(
    w_grid: np.ndarray,
    b_grid: np.ndarray,
    loss_bw: np.ndarray,
    paths: dict[str, np.ndarray],
    *,
    colors: dict[str, str] | None = None,
    title: str | None = None,
    height: int = 560,
    lang: str = "en",
) -> go.Figure:
    """Heatmap of log10 loss over (w, b) with descent paths drawn on top.

    Args:
        w_grid: (nw,) w values (x axis).
        b_grid: (nb,) b values (y axis).
        loss_bw: (nb, nw) loss, rows b.
        paths: legend name -> (n, 2) points (w, b). A path leaving the view gets an arrow saying
            where it went.
        colors: legend name -> colour; a path not in it is drawn blue when its name contains
            "clip" (not "no clip"), vermillion otherwise.
        title: figure title (default: in ``lang``).
        height: pixels.
        lang: language of the figure's text.
    Returns:
        Figure: one heatmap, then per path a line, a start and an end marker.
    """
    title = text("fig.gradients.cliff_title", lang) if title is None else title
    log_loss = text("fig.gradients.log_loss", lang)
    w = np.asarray(w_grid, np.float64)
    b = np.asarray(b_grid, np.float64)
    z = np.log10(np.asarray(loss_bw, np.float64) + 1e-8)
    fig = go.Figure(go.Heatmap(
        x=compact(w), y=compact(b), z=compact(np.where(np.isfinite(z), z, np.nan)), colorscale="Viridis",
        colorbar=dict(title=dict(text=log_loss, side="right")), zmin=-4,
        hovertemplate="w %{x:.2f}<br>b %{y:.2f}<br>" + log_loss + " %{z:.2f}<extra></extra>"))
    for name, p in paths.items():
        p = np.asarray(p, np.float64)
        color = _path_color(name, colors)
        fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines+markers", name=name,
                                 line=dict(color=color, width=3), marker=dict(size=4, color=color),
                                 hovertemplate="w %{x:.3f}<br>b %{y:.3f}<extra>" + name + "</extra>"))
        fig.add_trace(go.Scatter(x=p[-1:, 0], y=p[-1:, 1], mode="markers",
                                 name=text("fig.gradients.end", lang, name=name),
                                 marker=dict(size=14, color=color, symbol="x", line=dict(width=2, color="white")),
                                 showlegend=False, hoverinfo="skip"))
        out = (p[:, 0] < w.min()) | (p[:, 0] > w.max()) | (p[:, 1] < b.min()) | (p[:, 1] > b.max())
        if out.any():
            k = int(np.argmax(out))
            fig.add_annotation(
                x=float(np.clip(p[k - 1, 0], w.min(), w.max())), y=float(np.clip(p[k - 1, 1], b.min(), b.max())),
                ax=0, ay=-60, text=text("fig.gradients.thrown", lang, name=name, w=p[k, 0], b=p[k, 1]),
                showarrow=True, arrowhead=2, arrowcolor=color, arrowwidth=2,
                font=dict(size=FONT_SIZE, color="#111111"), bgcolor="rgba(255,255,255,0.85)")
    start = next(iter(paths.values()))[0] if paths else None
    if start is not None:
        fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers",
                                 name=text("fig.gradients.start", lang),
                                 marker=dict(size=16, color="white", symbol="circle",
                                             line=dict(width=3, color="#111111"))))
    base_layout(fig, title=title, height=height, x_title=text("fig.gradients.w_axis", lang),
                y_title=text("fig.gradients.b_axis", lang), uirevision="cliff")
    fig.update_xaxes(range=[float(w.min()), float(w.max())])
    fig.update_yaxes(range=[float(b.min()), float(b.max())])
    legend_under(fig)
    return fig


def path_loss_figure(
    losses: dict[str, np.ndarray],
    *,
    colors: dict[str, str] | None = None,
    title: str | None = None,
    height: int = 380,
    lang: str = "en",
) -> go.Figure:
    """Loss per gradient step for each path (log y); colours as in ``cliff_figure``."""
    title = text("fig.gradients.path_title", lang) if title is None else title
    loss_word = text("fig.gradients.loss", lang)
    fig = go.Figure()
    logs = []
    for name, l in losses.items():
        lg = _log10_pos(l)
        logs.append(lg)
        fig.add_trace(go.Scatter(x=np.arange(lg.size), y=_pow10(lg), mode="lines", name=name,
                                 line=dict(color=_path_color(name, colors), width=2.5),
                                 hovertemplate=text("fig.gradients.step", lang) + " %{x}<br>" + loss_word
                                 + " %{y:.3g}<extra>" + name + "</extra>"))
    base_layout(fig, title=title, height=height, x_title=text("fig.gradients.gradient_step", lang),
                y_title=loss_word, uirevision="pathloss")
    fig.update_yaxes(type="log", exponentformat="power", range=_range(logs, pad=0.2))
    return legend_under(fig)  # above the plot, a projector's type runs it into the title
