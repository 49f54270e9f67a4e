"""Shared colours, layout and downsampling helpers for the figure builders.

Everything here is pure: numpy arrays in, plotly objects out. No streamlit, no torch,
so the builders can be tested and used from a notebook.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from ..app.i18n import has, text
from .decimate import downsample_index, minmax_downsample  # noqa: F401 (the figures import them from here)

# Okabe-Ito palette: distinguishable under the common colour-vision deficiencies.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow (weak on white: used last)
    "#000000",  # black
)
PALETTE = OKABE_ITO

CELL_COLORS = {"rnn": "#D55E00", "lstm": "#0072B2", "gru": "#009E73"}
WEIGHT_COLORS = {"W_xh": "#E69F00", "W_hh": "#CC79A7", "W_hy": "#56B4E9"}

# Sequential, perceptually uniform: time runs dark (early) to bright (late).
TIME_COLORSCALE = "Viridis"
# Diverging, centred with zmid=0: red positive, blue negative.
DIVERGING_COLORSCALE = "RdBu_r"

FONT_SIZE = 15
DEFAULT_FIGURE_HEIGHT = 450  # px, plotly's (and Streamlit's) height of a figure that sets none
# Streamlit's own font first, then fonts with Hangul (Korean), so titles and labels in either
# language render with real glyphs in the app and in exported HTML (Linux, macOS, Windows).
FONT_FAMILY = ('"Source Sans", "Source Sans Pro", "Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", '
               '"Malgun Gothic", "NanumGothic", sans-serif')


def _slim_white_template() -> go.layout.Template:
    """plotly_white restricted to the trace types these builders use.

    Assigning the full template deep-copies defaults for two dozen trace types, about
    20 ms per figure; live charts rebuild several figures twice a second.
    """
    full = pio.templates["plotly_white"]
    used = ("scatter", "scatter3d", "heatmap", "bar")
    return go.layout.Template(layout=full.layout, data={k: full.data[k] for k in used})


PLOTLY_WHITE = _slim_white_template()


def no_data_text(lang: str = "en") -> str:
    """empty_figure's default message ("No steps yet") in ``lang``."""
    return text("fig.common.no_data", lang)


def deep_merge(base: dict, new: dict) -> dict:
    """``base`` updated by ``new`` as plotly's ``update`` does: nested dicts merge, anything else
    (lists included) is replaced. ``base`` is modified and returned."""
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        else:
            base[k] = v
    return base


def _layout_without_template(fig: go.Figure) -> dict:
    """The layout the builder set so far, as a dict, without the default template: copying and
    re-validating a template costs ~25 ms, and assigning the layout attaches the default again."""
    props = getattr(fig.layout, "_props", None)  # plotly's own dict of the properties set
    if isinstance(props, dict):
        return {k: copy.deepcopy(v) for k, v in props.items() if k != "template"}
    return {k: v for k, v in fig.layout.to_plotly_json().items() if k != "template"}


def base_layout(
    fig: go.Figure,
    *,
    title: str | None = None,
    uirevision: str | int | None = "keep",
    height: int | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
) -> go.Figure:
    """Apply the app-wide layout: projector-readable and stable across refreshes.

    Args:
        fig: the figure to style, modified in place.
        title: figure title, placed top left so it never collides with the legend.
        uirevision: kept constant between refreshes so plotly keeps the user's zoom,
            pan and legend toggles when a live chart is redrawn with new data.
        height: figure height in pixels; None lets the container decide.
        x_title: title of every x axis (cartesian figures).
        y_title: title of every y axis (cartesian figures).

    Returns:
        The same figure, for chaining.
    """
    # No template, and the layout is assigned as one merged dict rather than through update_layout /
    # update_xaxes: plotly's update machinery costs 15-35 ms a figure, assignment 2-3 ms (live charts
    # rebuild several a second). In the app, Streamlit's theme styles the figure; exported HTML falls
    # back to plotly's default.
    fig.layout = layout_dict(_layout_without_template(fig), title=title, uirevision=uirevision, height=height,
                             x_title=x_title, y_title=y_title)  # plotly attaches the default template again
    return fig


def layout_dict(existing: dict, *, title: str | None = None, uirevision: str | int | None = "keep",
                height: int | None = None, x_title: str | None = None, y_title: str | None = None) -> dict:
    """``base_layout``'s layout as a plain dict: ``existing`` (a layout dict, changed and returned)
    with the app-wide settings merged in; arguments as ``base_layout``."""
    layout = dict(
        font=dict(size=FONT_SIZE, family=FONT_FAMILY),
        uirevision=uirevision,
        margin=dict(l=60, r=20, t=70 if title else 40, b=50),
        # Horizontal legend above the plot area, right-aligned: it never covers data
        # and leaves the left for the title.
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0,
                    bgcolor="rgba(255,255,255,0.6)"),
        hoverlabel=dict(font=dict(size=FONT_SIZE, family=FONT_FAMILY)),
    )
    if title is not None:
        layout["title"] = dict(text=title, x=0.01, xanchor="left", y=0.98, yanchor="top", yref="container")
        if "<br>" in title:
            _two_line_title(layout, title, height)
    if height is not None:
        layout["height"] = height
    merged = deep_merge(existing, layout)
    # Plotly's default "hide past div" measures every tick label (a forced reflow of the whole
    # Streamlit page each time): ~40 % of a live chart's redraw in the browser. Our margins keep
    # labels inside the div anyway.
    for k in [k for k in merged if re.fullmatch(r"[xy]axis\d*", k)] or ["xaxis", "yaxis"]:
        merged[k] = deep_merge(merged.get(k) or {}, {"ticklabeloverflow": "allow"})
    for letter, axis_title in (("x", x_title), ("y", y_title)):
        if axis_title is None:
            continue
        # every cartesian axis of that letter, as update_xaxes / update_yaxes would
        names = [k for k in merged if re.fullmatch(fr"{letter}axis\d*", k)] or [f"{letter}axis"]
        for k in names:
            merged[k] = deep_merge(merged.get(k) or {}, {"title": {"text": axis_title}})
    return merged


def _two_line_title(layout: dict, title: str, height: int | None) -> None:
    """Room for a title with a second line: plotly anchors a multi-line title by its LAST line, so
    at the top of the figure the first line was cut off. The title moves down a line and the top
    margin grows; a ``<sup>`` subtitle is set at a readable 14 px (a span that presenter mode scales)."""
    layout["title"]["text"] = title.replace("<sup>", "<span style='font-size:14px'>").replace("</sup>", "</span>")
    layout["title"]["y"] = 1.0 - 30.0 / (height or DEFAULT_FIGURE_HEIGHT)
    layout["margin"]["t"] = 90


@functools.lru_cache(maxsize=None)
def _scale(name: str) -> tuple:
    # plotly's own expansion, as validation would give it (its stops differ from
    # plotly.colors.get_colorscale's in the last bit)
    return tuple(tuple(stop) for stop in go.layout.Coloraxis(colorscale=name).colorscale)


def colorscale(name: str) -> list[list]:
    """A named colour scale as the [[stop, colour], ...] list plotly.js draws: a figure built as
    plain dicts skips plotly's validation, which would expand the name, and plotly.js knows none
    of plotly.py's reversed names ("RdBu_r")."""
    return [list(stop) for stop in _scale(name)]


def figure(data: list[dict], layout: dict, as_dict: bool = False) -> go.Figure | dict:
    """A builder's figure from plain dicts (traces with their "type", a layout): as they are when
    ``as_dict`` (a live chart rebuilt at every probe: plotly's validation of traces and layout
    costs 2-20 ms a figure, more than the data), else a validated ``go.Figure``."""
    spec = {"data": data, "layout": layout}
    return spec if as_dict else go.Figure(spec)


@functools.lru_cache(maxsize=64)
def _grid(n_titles: int, options: tuple) -> dict:
    fig = make_subplots(subplot_titles=[str(i) for i in range(n_titles)] or None, **dict(options))
    return {k: v for k, v in fig.layout.to_plotly_json().items() if k != "template"}


def subplot_grid(titles: Sequence[str], font_size: int | None = None, **options) -> dict:
    """The layout ``make_subplots(subplot_titles=titles, **options)`` gives (axes, domains, the
    titles' annotations, in ``font_size`` when given) as plain dicts without its template: computed
    once per shape (plotly's validation is the slow part), a fresh copy each call. Subplot i
    (row-major) is drawn on ``subplot_axes(i)``."""
    layout = copy.deepcopy(_grid(len(titles), tuple(sorted(options.items()))))
    font = {} if font_size is None else dict(font=dict(size=font_size))
    notes = [deep_merge(a, dict(text=t, **font))  # plotly skips an empty title
             for a, t in zip(layout.pop("annotations", []), titles) if t]
    return {**layout, "annotations": notes} if notes else layout


def subplot_axes(i: int) -> dict:
    """A trace's axis references in subplot i (0-based, row-major): "x"/"y", "x2"/"y2", ..."""
    return dict(xaxis=f"x{i + 1 if i else ''}", yaxis=f"y{i + 1 if i else ''}")


def axis_name(letter: str, i: int) -> str:
    """The layout key of subplot i's ``letter`` ("x" or "y") axis: "xaxis", "xaxis2", ..."""
    return f"{letter}axis{i + 1 if i else ''}"


def all_axes(layout: dict, letter: str, props: dict) -> None:
    """``props`` merged into every ``letter`` ("x" or "y") axis of ``layout``, as ``update_xaxes()`` would."""
    for k in [k for k in layout if re.fullmatch(fr"{letter}axis\d*", k)]:
        deep_merge(layout[k], copy.deepcopy(props))


LEGEND_GAP_PX = 66  # plot's bottom to a legend under it: tick labels, axis title (and Streamlit's 8-px pad)
LEGEND_ROW_PX = 24  # a legend row in the app's font


def legend_below(layout: dict, entries: int, per_row: int = 3) -> dict:
    """``layout`` (changed and returned; its "height" set) with its legend in rows under the x axis
    title: above the plot, a legend of many entries wraps onto rows that climb into the title. The
    figure grows by a row for every ``per_row`` entries (a half-width chart's row, in the app's font)."""
    rows = -(-entries // per_row)
    bottom = LEGEND_GAP_PX + 12 + LEGEND_ROW_PX * rows  # tick labels and the axis title, then the legend's rows
    height = layout.get("height", DEFAULT_FIGURE_HEIGHT) + LEGEND_ROW_PX * rows
    plot_px = height - layout.get("margin", {}).get("t", 70) - bottom
    return deep_merge(layout, dict(height=height, margin=dict(b=bottom), legend=dict(
        orientation="h", yanchor="top", y=-LEGEND_GAP_PX / max(plot_px, 1), xanchor="left", x=0.0)))


def legend_entries(traces) -> int:
    """Entries a legend shows for ``traces`` (plain dicts or plotly traces): named, not hidden."""
    get = lambda tr, k: tr.get(k) if isinstance(tr, dict) else tr[k]  # noqa: E731
    return sum(1 for tr in traces if get(tr, "showlegend") is not False and get(tr, "name"))


def legend_under(fig: go.Figure, per_row: int = 3) -> go.Figure:
    """``legend_below`` for a built ``go.Figure`` (changed and returned): its legend entries counted,
    its height grown by a row for every ``per_row`` of them. A legend placed at a fraction of the
    plot's height climbs into the x axis title when its rows wrap and plotly shrinks the plot."""
    t = fig.layout.margin.t
    layout = legend_below({"height": fig.layout.height or DEFAULT_FIGURE_HEIGHT,
                           "margin": {"t": 70 if t is None else t}}, legend_entries(fig.data), per_row)
    return fig.update_layout(layout)


def empty_figure(
    message: str | None = None,
    *,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int | None = None,
    lang: str = "en",
    as_dict: bool = False,
) -> go.Figure | dict:
    """A figure with a centred message instead of data, e.g. before the first step.

    Args:
        message: the text shown in the middle of the plot area; None: the catalogue's
            "no steps yet" message (``no_data_text``) in ``lang``.
        title, x_title, y_title, height: as in `base_layout`.
        lang: language of the default message ("en" or "ko").
        as_dict: plain dicts ({"data", "layout"}), unvalidated, as ``figure`` gives them.

    Returns:
        A figure with no traces and one annotation.
    """
    if message is None:
        message = no_data_text(lang)
    layout = layout_dict({}, title=title, height=height, x_title=x_title, y_title=y_title)
    layout["annotations"] = [dict(text=message, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                                  font=dict(size=FONT_SIZE + 3, color="#666666"))]
    # Empty axes would show a meaningless -1..6 grid.
    for axis in ("xaxis", "yaxis"):
        deep_merge(layout[axis], dict(showticklabels=False, showgrid=False, zeroline=False))
    return figure([], layout, as_dict)


def finite_xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop points where x or y is NaN or infinite.

    Args:
        x: (N,) numbers.
        y: (N,) numbers.

    Returns:
        (x, y) as float64 arrays (M,), M <= N.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have equal length, got {x.shape[0]} and {y.shape[0]}")
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def compact(a: np.ndarray) -> np.ndarray:
    """Cast floats to float32: plotly sends arrays base64-encoded, so this halves the payload.

    Args:
        a: any numeric array.

    Returns:
        The array as float32 if it was floating point, else unchanged.
    """
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.floating):
        return a.astype(np.float32, copy=False)
    return a


def figure_to_html(fig: go.Figure) -> str:
    """Standalone HTML page for a figure, plotly.js embedded (works offline).

    Args:
        fig: any plotly figure.

    Returns:
        A complete HTML document (a few MB, most of it plotly.js).
    """
    # The app leaves the template to Streamlit's theme; a file on its own gets plotly_white.
    fig = go.Figure(fig).update_layout(template=PLOTLY_WHITE)
    # No CDN: the app must work without internet, e.g. in a lecture hall.
    return pio.to_html(
        fig,
        include_plotlyjs=True,
        full_html=True,
        config={"displaylogo": False},
    )


_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def sub(n: int) -> str:
    """A step index as Unicode subscript digits (plain text: no HTML in a label): 12 -> "₁₂"."""
    return str(n).translate(_SUB)


def cell_name(kind: str, lang: str = "en") -> str:
    """"Vanilla RNN", "LSTM" or "GRU" in ``lang`` (catalogue ``widgets.cell``); an unknown kind as it is."""
    return text(f"widgets.cell.{kind}", lang) if has(f"widgets.cell.{kind}") else kind
