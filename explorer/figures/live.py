"""The JSON a live chart sends to the browser: the figure, styled as Streamlit styles its charts.

Streamlit's own ``st.plotly_chart`` gives a chart a new identity whenever its data change, so the
browser throws the chart away and builds a new one on every refresh: the user's zoom is lost and
the redraw costs several times a Plotly update. Live charts are therefore drawn by
``explorer.app.live_chart``, which keeps one Plotly graph and updates it in place; Streamlit's theme is
not applied there, so it travels with the figure as a Plotly template (values read from Streamlit
1.67's light theme with this app's config).

Pure: plotly figures in, JSON text out; no streamlit.
"""
from __future__ import annotations

import plotly.graph_objects as go

from .common import DEFAULT_FIGURE_HEIGHT as DEFAULT_HEIGHT, FONT_FAMILY, PALETTE
from .live_patch import decode_arrays, live_json

_TEXT = "#808495"  # Streamlit's chart text: ticks, axis titles
_GRID = "#e6eaf1"  # Streamlit's grid lines
_HEADING = "#111111"  # the app's text colour (.streamlit/config.toml), used for chart titles


def _axis(grid: bool, standoff: int) -> dict:
    return dict(showgrid=grid, gridcolor=_GRID, zerolinecolor=_GRID, zeroline=grid, showline=False,
                tickcolor=_GRID, tickfont=dict(size=12, color=_TEXT), minor=dict(gridcolor=_GRID),
                title=dict(font=dict(size=14, color=_TEXT), standoff=standoff))


# Template layout: the figure's own settings win over it, as over Streamlit's theme. In a Plotly
# template ``xaxis`` / ``yaxis`` style every x / y axis (xaxis2, ... of subplots too).
LIVE_TEMPLATE = {"layout": dict(
    font=dict(family=FONT_FAMILY, size=12, color=_TEXT),
    title=dict(font=dict(size=16, color=_HEADING), x=0, xanchor="left", pad=dict(l=4)),
    paper_bgcolor="#ffffff",
    plot_bgcolor="#ffffff",
    colorway=list(PALETTE),
    xaxis=_axis(grid=False, standoff=20),
    yaxis=_axis(grid=True, standoff=24),
    legend=dict(font=dict(size=12, color="#262730"), bordercolor="rgba(0,0,0,0)", borderwidth=0),
    hoverlabel=dict(bgcolor="#ffffff", bordercolor="rgba(17, 17, 17, 0.2)",
                    font=dict(family=FONT_FAMILY, size=12, color=_TEXT)),
    coloraxis=dict(colorbar=dict(thickness=16, outlinewidth=0, tickfont=dict(size=12, color=_TEXT))),
    scene=dict(xaxis=dict(gridcolor=_GRID, color=_TEXT), yaxis=dict(gridcolor=_GRID, color=_TEXT),
               zaxis=dict(gridcolor=_GRID, color=_TEXT)),
    margin=dict(pad=8),
)}


def figure_parts(fig: go.Figure | dict) -> dict:
    """The figure as the live chart draws it: its data and layout as plain dicts with numpy
    arrays, ``LIVE_TEMPLATE`` in place of any template, and a height (the browser sizes the
    chart's box before Plotly draws).

    Args:
        fig: a figure from the builders, or its ``to_plotly_json()`` dict.

    Returns:
        {"data": [...], "layout": {...}}, with "frames" when the figure has animation frames (a
        replay: its slider is then the reader's own, in the browser).
    """
    spec = decode_arrays(fig if isinstance(fig, dict) else fig.to_plotly_json())
    layout = dict(spec.get("layout") or {})
    layout["template"] = LIVE_TEMPLATE
    layout.setdefault("height", DEFAULT_HEIGHT)
    out = {"data": spec.get("data") or [], "layout": layout}
    if spec.get("frames"):
        out["frames"] = spec["frames"]
    return out


def live_spec(fig: go.Figure | dict) -> str:
    """``figure_parts`` as JSON text ``{"data": [...], "layout": {...}}`` (and ``"frames"``),
    arrays in Plotly's compact base64 form."""
    return live_json(figure_parts(fig))
