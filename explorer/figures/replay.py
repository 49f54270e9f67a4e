"""Replays: the probe charts of a run with plotly animation frames over its training history.

Pure: numpy arrays in, plotly Figure out. Each builder draws its last frame with the existing
builders (``states.trajectory_figure``, ``hidden_heatmap``, ``grad_norm_curve``,
``grad_norm_heatmap``) and adds one frame per kept probe, a play/pause menu and a slider over the
training steps, so a reader of an exported report watches the run learn without a server.
Frames are plain dicts that carry only what changes (the arrays of the builders' own sampling:
``trajectory_sample``, ``hidden_grid``, ``curve_values``), so a replay costs one figure build.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ..app.i18n import text
from .common import compact, downsample_index
from .states import (log_floor, curve_values, grad_norm_curve, grad_norm_heatmap, hidden_grid, hidden_heatmap,
                     joined_paths, trajectory_figure, trajectory_sample)

MAX_FRAMES = 40  # frames kept per replay (evenly spaced, first and last kept): bounds the file size
FRAME_MS = 450  # milliseconds a frame is shown while playing
CONTROLS_Y = -0.3  # the play buttons and the slider, in plot fractions below the x axis (under its title)
CONTROLS_MARGIN = 170  # px below the plot for the axis title, the step label and the slider
REVEAL_FILL = "rgba(255,255,255,0.88)"  # veils the rows of the gradient heatmap not yet trained


def frame_index(n: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Which of ``n`` history entries become frames: evenly spaced, first and last kept."""
    return downsample_index(n, max_frames) if n > 0 else np.zeros(0, dtype=int)


def add_player(fig: go.Figure, frames: list[dict], steps: Sequence[int], *, lang: str = "en",
               active: int | None = None) -> go.Figure:
    """Attach ``frames`` (one per entry of ``steps``) with play/pause buttons and a step slider.

    Args:
        fig: the figure as it looks at frame ``active``.
        frames: dicts with "data" (trace dicts), optional "traces" (their indices) and "layout";
            "name" is set here from ``steps``.
        steps: (F,) training step of each frame.
        lang: language of the buttons and the slider's label.
        active: the slider's starting position (None: the last frame).

    Returns:
        ``fig`` with ``frames``, ``layout.updatemenus`` (play, pause) and ``layout.sliders``.
    """
    names = [str(int(s)) for s in steps]
    for f, name in zip(frames, names):
        f["name"] = name
    fig.frames = frames
    # from the first frame each time (the chart rests on the last one: the final state)
    play = dict(frame=dict(duration=FRAME_MS, redraw=True), transition=dict(duration=0), mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=0.0, y=CONTROLS_Y, xanchor="left",
                          yanchor="top", pad=dict(t=0, r=8), buttons=[
                              dict(label="▶ " + text("report.replay.play", lang), method="animate", args=[None, play]),
                              dict(label="❚❚ " + text("report.replay.pause", lang), method="animate",
                                   args=[[None], pause])])],
        # tick labels hidden (dozens of steps would overlap): the current step is written above the rail
        sliders=[dict(active=len(names) - 1 if active is None else int(active), x=0.36, len=0.64, y=CONTROLS_Y,
                      yanchor="top", pad=dict(t=0, b=0), font=dict(color="rgba(0,0,0,0)"), ticklen=4,
                      currentvalue=dict(prefix=text("report.replay.step", lang) + " ", font=dict(size=13, color="#333"),
                                        xanchor="right"),
                      steps=[dict(label=n, method="animate",
                                  args=[[n], dict(frame=dict(duration=0, redraw=True), transition=dict(duration=0),
                                                  mode="immediate")]) for n in names])],
        margin=dict(b=CONTROLS_MARGIN),
    )
    return fig


def trajectory_replay(steps: Sequence[int], proj_fntk: Sequence[np.ndarray], *,
                      explained: Sequence[float] | None = None, title: str | None = None,
                      max_frames: int = MAX_FRAMES, max_points: int = 1500, lang: str = "en") -> go.Figure:
    """Hidden-state trajectories at each kept probe, in one fixed PCA basis and fixed axes.

    Args:
        steps: (F,) training step of each history entry.
        proj_fntk: F arrays (n, T, 2) of one shape: the probe sequences' states at that step, projected.
        explained: explained-variance fractions of the components (axis titles).
        title: the figure's title (None: the builder's default); each frame names its step below it.
        max_frames / max_points: bounds on frames and on points per frame.
        lang: language of every text.

    Returns:
        The last frame's ``trajectory_figure`` with frames over ``steps`` (fewer when thinned);
        a frame sends only the new x and y of the path, start and end traces.
    """
    keep = frame_index(len(steps), max_frames)
    if keep.size == 0:
        return trajectory_figure(np.zeros((0, 0, 2)), title=title, lang=lang)
    projs = [np.asarray(proj_fntk[i], dtype=np.float64) for i in keep]
    allp = np.concatenate([p.reshape(-1, 2) for p in projs])
    allp = allp[np.isfinite(allp).all(1)]
    lo, hi = (allp.min(0), allp.max(0)) if len(allp) else (np.zeros(2), np.ones(2))
    pad = 0.05 * np.maximum(hi - lo, 1e-6)
    ranges = [(float(a - d), float(b + d)) for a, b, d in zip(lo, hi, pad)]
    head = title or text("fig.states.traj_title", lang)

    def heading(i) -> str:
        return f"{head} · {text('report.replay.at_step', lang, step=int(steps[i]))}"

    n, T = projs[-1].shape[:2]
    seq, t_idx = trajectory_sample(n, T, max_points)
    frames = []
    for i, p in zip(keep, projs):
        coords, _ = joined_paths(p, seq, t_idx)
        ends = [compact(p[seq, t_idx[c]]) for c in (0, -1)]
        frames.append(dict(data=[dict(type="scatter", x=coords[:, 0], y=coords[:, 1])]
                           + [dict(type="scatter", x=e[:, 0], y=e[:, 1]) for e in ends],
                           traces=[0, 1, 2], layout=dict(title=dict(text=heading(i)))))
    fig = trajectory_figure(projs[-1], explained=explained, ranges=ranges, max_points=max_points,
                            title=heading(keep[-1]), lang=lang)
    return add_player(fig, frames, [steps[i] for i in keep], lang=lang)


def hidden_replay(steps: Sequence[int], hidden_fth: Sequence[np.ndarray], *, max_frames: int = MAX_FRAMES,
                  lang: str = "en") -> go.Figure:
    """The hidden state h_t of the first probe sequence (units x time heatmap) at each kept probe.

    Args:
        steps: (F,) training steps; hidden_fth: F arrays (T, H) of one shape.
    """
    keep = frame_index(len(steps), max_frames)
    if keep.size == 0:
        return hidden_heatmap(np.zeros((0, 0)), lang=lang)

    def heading(i) -> str:
        return text("report.replay.hidden", lang, step=int(steps[i]))

    frames = [dict(data=[dict(type="heatmap", z=compact(hidden_grid(np.asarray(hidden_fth[i], dtype=np.float64))[0].T))],
                   traces=[0], layout=dict(title=dict(text=heading(i)))) for i in keep]
    fig = hidden_heatmap(hidden_fth[keep[-1]], title=heading(keep[-1]), lang=lang)
    return add_player(fig, frames, [steps[i] for i in keep], lang=lang)


def grad_curve_replay(steps: Sequence[int], rows_st: np.ndarray, *, max_frames: int = MAX_FRAMES,
                      lang: str = "en") -> go.Figure:
    """||dL/dh_t|| against t at each kept probe, on one fixed log axis.

    Args:
        steps: (S,) training steps of the rows; rows_st: (S, T) gradient norms.
    """
    rows = np.asarray(rows_st, dtype=np.float64)
    keep = frame_index(len(steps), max_frames)
    if keep.size == 0 or rows.ndim != 2:
        return grad_norm_curve(np.zeros(0), lang=lang)
    floor = log_floor([rows[keep]])
    shown = np.stack([curve_values(rows[i], floor) for i in keep])
    ok = shown[np.isfinite(shown)]
    label = text("report.replay.step", lang)
    frames = [dict(data=[dict(type="scatter", y=compact(g), name=f"{label} {int(steps[i])}")], traces=[0])
              for i, g in zip(keep, shown)]
    fig = grad_norm_curve(rows[keep[-1]], label=f"{label} {int(steps[keep[-1]])}", lang=lang)
    if ok.size:
        fig.update_yaxes(range=[float(np.log10(ok.min())) - 0.2, float(np.log10(ok.max())) + 0.2], autorange=False)
    return add_player(fig, frames, [steps[i] for i in keep], lang=lang)


def grad_heatmap_replay(steps: Sequence[int], rows_st: np.ndarray, *, max_rows: int = 150,
                        max_frames: int = MAX_FRAMES, lang: str = "en") -> go.Figure:
    """The gradient-norm heatmap over training, revealed row by row up to each kept probe.

    The heatmap is sent once; each frame moves a veil over the rows not yet trained (a layout
    shape), so the frames cost a few bytes each whatever the heatmap's size.

    Args:
        steps: (S,) training steps of the rows; rows_st: (S, T) gradient norms.
    """
    steps = np.asarray(steps, dtype=float).reshape(-1)
    fig = grad_norm_heatmap(steps, rows_st, max_rows=max_rows, lang=lang)
    keep = frame_index(len(steps), max_frames)
    if keep.size == 0 or not fig.data:
        return fig
    T = np.asarray(rows_st).shape[-1]
    # row edges: half way between recorded steps (how plotly draws a heatmap's cells)
    gap = float(np.diff(steps).max(initial=1.0)) if steps.size > 1 else 1.0
    upper = np.append((steps[1:] + steps[:-1]) / 2, steps[-1] + gap / 2)
    bottom, top = float(steps[0] - (upper[0] - steps[0] if steps.size > 1 else gap / 2)), float(upper[-1])

    def veil(i: int) -> dict:
        # the rows after probe i are not trained yet (y runs upward with the training step)
        s = float(steps[i])
        return dict(shapes=[dict(type="rect", xref="x", yref="y", x0=-0.5, x1=T - 0.5, y0=float(upper[i]), y1=top,
                                 fillcolor=REVEAL_FILL, line=dict(width=0), layer="above"),
                            dict(type="line", xref="x", yref="y", x0=-0.5, x1=T - 0.5, y0=s, y1=s,
                                 line=dict(color="#D55E00", width=2), layer="above")])

    frames = [dict(data=[], traces=[], layout=veil(int(i))) for i in keep]
    fig.update_layout(**veil(int(keep[-1])))
    fig.update_yaxes(range=[bottom, top], autorange=False)
    return add_player(fig, frames, [steps[i] for i in keep], lang=lang)
