"""Reference marks on the training curves: horizontal baseline lines and the best-step marker.

Pure helpers used by ``explorer.figures.training``: they make the traces, shapes and annotations
(plain dicts) of a figure. Every mark lives in the figure itself (no client-side state), so the live chart
(``explorer.app.live_chart``), which sends the whole layout on every update, keeps drawing them.
"""
from __future__ import annotations

import numpy as np

BASELINE_COLOR = "#555555"
# Colours and dashes of the named baselines after the first (grey, dashed): told apart in grey-scale too
EXTRA_STYLES = (("#8C510A", "dot"), ("#01665E", "dashdot"), ("#762A83", "longdash"))
BEST_COLOR = "#009E73"  # the best-step marker (Okabe-Ito green)


def finite_lines(lines: dict | None) -> dict[str, float]:
    """``lines`` (label -> value) without missing or non-finite values, in order."""
    out = {}
    for label, v in (lines or {}).items():
        if v is not None and np.isfinite(v):
            out[str(label)] = float(v)
    return out


def reference_lines(lines: dict[str, float], x_lo: float, x_hi: float, use_log: bool,
                    fmt: str = "{:.4g}", with_value: bool = True) -> tuple[list[dict], list[dict]]:
    """Each ``label -> value`` as a horizontal line from ``x_lo`` to ``x_hi``, labelled on the plot.

    Lines are traces (they follow a log axis and widen the y range to include them); labels are
    annotations placed alternately at the right and the left end so that close values stay readable.

    Args:
        lines: label (already in the reader's language) -> y value; non-finite values are skipped.
        x_lo, x_hi: the x extent of the lines (training steps).
        use_log: the y axis is logarithmic (annotations then sit at log10 of the value).
        fmt: how a value is written in its label and hover text.
        with_value: write the value in the label too (False: the label alone, the value on hover).

    Returns:
        (traces, annotations): plain dicts, for a figure's ``data`` and ``layout.annotations``.
    """
    traces, notes = [], []
    for i, (label, value) in enumerate(finite_lines(lines).items()):
        color, dash = (BASELINE_COLOR, "dash") if i == 0 else EXTRA_STYLES[(i - 1) % len(EXTRA_STYLES)]
        shown = f"{label}: {fmt.format(value)}"
        traces.append(dict(
            type="scatter", x=[float(x_lo), float(x_hi)], y=[value, value], mode="lines", name=label,
            showlegend=False, line=dict(color=color, width=2, dash=dash), hovertemplate=shown + "<extra></extra>"))
        shown = shown if with_value else label
        if use_log and value <= 0:
            continue
        right = i % 2 == 0
        note = dict(text=shown, xref="paper", x=1.0 if right else 0.0, xanchor="right" if right else "left",
                    yref="y", y=float(np.log10(value)) if use_log else value, yanchor="bottom", showarrow=False,
                    font=dict(color=color), bgcolor="rgba(255,255,255,0.7)")  # legible where lines cross it
        notes.append(note)
    return traces, notes


def best_step_marks(step: int | None, label: str, top: bool = False) -> tuple[list[dict], list[dict]]:
    """A dotted vertical line at ``step`` (the best held-out measurement), labelled at its foot.

    Args:
        step: the training step, or None to draw nothing.
        label: the marker's text (already in the reader's language).
        top: label it at the top of the plot instead (where a reference line's label sits low:
            see ``label_low_references``).

    Returns:
        (shapes, annotations): plain dicts for the figure's layout (empty lists when ``step`` is None).
    """
    if step is None:
        return [], []
    shape = dict(type="line", xref="x", x0=float(step), x1=float(step), yref="paper", y0=0.0, y1=1.0,
                 line=dict(color=BEST_COLOR, width=2, dash="dot"), name="best_step")
    # inside the plot (the legend is above it): at the foot, or at the top
    note = dict(text=label, xref="x", x=float(step), yref="paper", y=1.0 if top else 0.0,
                yanchor="top" if top else "bottom", xanchor="left", xshift=3, showarrow=False,
                font=dict(color=BEST_COLOR), bgcolor="rgba(255,255,255,0.7)")
    return [shape], [note]


def label_low_references(refs, all_y: np.ndarray, use_log: bool, low: float = 0.2) -> bool:
    """Whether a reference line's label sits in the lowest ``low`` of the y range (plotly's range
    spans every value drawn, ``all_y``), where the best-step label at the foot would cover it."""
    refs = np.asarray([v for v in refs if np.isfinite(v) and (v > 0 or not use_log)], dtype=np.float64)
    ys = np.asarray(all_y, dtype=np.float64)
    ys = ys[np.isfinite(ys) & ((ys > 0) if use_log else True)]
    if refs.size == 0 or ys.size == 0:
        return False
    f = np.log10 if use_log else (lambda v: v)
    lo, hi = f(ys.min()), f(ys.max())
    return bool(np.any((f(refs) - lo) <= low * max(hi - lo, 1e-12)))
