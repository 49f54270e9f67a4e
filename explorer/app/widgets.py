"""Controls declared once and reused by the pages (model, task, optimiser, run buttons)."""
from __future__ import annotations

import re

import streamlit as st

from core import TASKS, get_task

from . import session, state
from . import settings as ST
from .i18n import text
from .lang import current, fmt, t
from ..jobs.runs import UPLOAD_PREFIX, task_default_len, task_has_length, upload_kind
from ..figures.common import DEFAULT_FIGURE_HEIGHT, cell_name

CELL_LABELS = {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"}  # English; cell_label() in any language


def cell_label(kind: str, lang: str | None = None) -> str:
    """The name of a cell kind ("rnn", "lstm", "gru") in ``lang`` (None: the session's language)."""
    return cell_name(kind, lang or current())


def task_title(name: str, lang: str | None = None) -> str:
    """A task's name for menus, "Sine forecasting (many-to-many)", in ``lang`` (None: the session's)."""
    lang = lang or current()
    if name.startswith(UPLOAD_PREFIX):
        return text("widgets.uploaded", lang, name=name[len(UPLOAD_PREFIX):])
    if name not in TASKS:
        return name
    return text("widgets.task_title", lang, title=text(f"tasks.{name}.title", lang),
                io=text(f"tasks.io.{_task_io(name)}", lang))


def task_description(name: str, lang: str | None = None) -> str:
    """One-sentence description of a built-in task in ``lang`` (None: the session's language)."""
    return text(f"tasks.{name}.description", lang or current())


@st.cache_data(show_spinner=False)
def _task_io(name: str) -> str:
    return get_task(name).io


def task_options() -> list[str]:
    uploads = [UPLOAD_PREFIX + n for n in session.get(state.DATASETS)]
    return list(TASKS) + uploads


def task_controls(task_key: str, len_key: str, *, presenter: bool = False) -> str:
    """Task select box and its sequence length; returns the chosen task key."""
    def _reset_len():
        st.session_state[len_key] = task_default_len(st.session_state[task_key], session.get(state.DATASETS))

    opts = task_options()
    if st.session_state.get(task_key) not in opts:
        st.session_state[task_key] = opts[0]
    lang = current()
    titles = {o: task_title(o, lang) for o in opts}  # bound now: format_func may run outside the script
    name = st.selectbox(t("widgets.task"), opts, key=task_key, format_func=titles.get, on_change=_reset_len)
    if name in TASKS and not presenter:
        st.caption(task_description(name, lang))
    kind = upload_kind(name, session.get(state.DATASETS))
    if task_has_length(name) or kind in ("series", "text"):
        if kind == "series":
            label, help_ = t("widgets.window_length"), t("widgets.window_length_help")
        else:
            label, help_ = t("widgets.seq_len"), t("widgets.seq_len_help")
        st.number_input(label, *ST.bounds(len_key), key=len_key, help=help_)
    return name


def html_download(fig, name: str, key: str, label: str | None = None) -> None:
    """A download button for ``fig`` as a standalone HTML page (plotly.js embedded, works
    offline); the page is only built when the button is pressed. ``label``: None for the
    catalogue's "Download as HTML"."""
    from ..figures.common import figure_to_html
    st.download_button(label or t("widgets.html_download"), lambda: figure_to_html(fig), file_name=f"{name}.html",
                       mime="text/html", key=key, icon=":material/download:", on_click="ignore")


def model_controls(kind_key: str, hidden_key: str, layers_key: str | None = None,
                   act_key: str | None = None, bidir_key: str | None = None, *, presenter: bool = False) -> None:
    lang = current()
    cells = {k: cell_label(k, lang) for k in ST.options(kind_key)}
    st.radio(t("widgets.cell_label"), ST.options(kind_key), key=kind_key, format_func=cells.get, horizontal=True)
    st.select_slider(t("widgets.hidden"), ST.options(hidden_key), key=hidden_key)
    if presenter:
        return
    c1, c2 = st.columns(2)
    if layers_key:
        c1.number_input(t("widgets.layers"), *ST.bounds(layers_key), key=layers_key)
    if act_key:
        c2.selectbox(t("widgets.activation"), ST.options(act_key), key=act_key, format_func=fmt("widgets.act"),
                     disabled=st.session_state[kind_key] != "rnn", help=t("widgets.activation_help"))
    if bidir_key:
        st.checkbox(t("widgets.bidirectional"), key=bidir_key)


def optimizer_controls(lr_key: str, batch_key: str, opt_key: str, clip_key: str, seed_key: str,
                       *, presenter: bool = False) -> None:
    st.select_slider(t("widgets.lr"), ST.options(lr_key), key=lr_key, format_func=lambda v: f"{v:g}")
    if presenter:
        return
    c1, c2 = st.columns(2)
    c1.selectbox(t("widgets.optimizer"), ST.options(opt_key), key=opt_key, format_func=fmt("widgets.opt"))
    c2.select_slider(t("widgets.batch"), ST.options(batch_key), key=batch_key)
    c1.number_input(t("widgets.clip"), *ST.bounds(clip_key), step=0.5, key=clip_key)
    c2.number_input(t("widgets.seed"), *ST.bounds(seed_key), key=seed_key)


def job_message(snap, lang: str | None = None) -> str:
    """The job's message (divergence, error) in ``lang`` (None: the session's language)."""
    lang = lang or current()
    if snap.message_key:
        return text(snap.message_key, lang, **dict(snap.message_values))
    return snap.message


def status_line(snap, limit: int | None = None) -> None:
    """Progress bar, rate and the job's status in words."""
    frac = min(1.0, snap.step / max(1, snap.target_steps))
    st.progress(frac, text=t("widgets.progress", step=snap.step, target=snap.target_steps))
    c = st.columns(4)
    c[0].metric(t("widgets.status"), t(f"jobs.status.{snap.status}"))
    c[1].metric(t("widgets.steps_per_s"), f"{snap.steps_per_s:.0f}")
    c[2].metric(t("widgets.train_time"), f"{snap.elapsed_s:.1f} s")
    last = snap.loss[-1] if len(snap.loss) else float("nan")
    c[3].metric(t("widgets.last_loss"), f"{last:.4g}")
    if snap.status == "queued":
        pos = snap.queue_position
        if pos and limit:
            st.info(t("jobs.msg.queued_pos_limit", pos=pos, limit=limit))
        elif pos:
            st.info(t("jobs.msg.queued_pos", pos=pos))
        elif limit:
            st.info(t("jobs.msg.queued_limit", limit=limit))
        else:
            st.info(t("jobs.msg.queued"))
    elif snap.status == "diverged":
        st.error(job_message(snap))
    elif snap.status == "error":
        st.error(t("jobs.msg.error", message=job_message(snap)))


# ---- lecture mode (presenter) ---------------------------------------------------------------------
PRESENTER_FONT_SCALE = 1.4  # figure text on a projector, relative to the builders' sizes
PRESENTER_MIN_LINE = 3.5  # px: the thinnest line drawn in presenter mode
PRESENTER_CSS = """<style>
[data-testid="stAppViewContainer"], [data-testid="stHeader"] {background: #ffffff; color: #000000;}
[data-testid="stMainBlockContainer"] {max-width: 100%; padding-left: 2rem; padding-right: 2rem;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {font-size: 1.35rem; line-height: 1.5; color: #000;}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {font-size: 1.15rem; color: #1a1a1a;}
h1 {font-size: 3.5rem !important;} h2 {font-size: 2.4rem !important;} h3 {font-size: 1.8rem !important;}
[data-testid="stWidgetLabel"] p {font-size: 1.2rem !important; font-weight: 600; color: #000;}
[data-testid="stMetricValue"] {font-size: 2.6rem;}
:is(button, [data-testid="stSliderThumbValue"], [data-testid="stSliderTickBar"], [data-testid="stMetric"]) [data-testid="stMarkdownContainer"] p {color: inherit;}
[data-testid="stSliderThumbValue"] [data-testid="stMarkdownContainer"] p, [data-testid="stSliderTickBar"] [data-testid="stMarkdownContainer"] p {font-size: 1.05rem; line-height: 1.1;}
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {font-size: 2.6rem; line-height: 1.25;}
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p {font-size: 1.2rem; line-height: 1.3;}
[data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"] p {font-size: 1.15rem;}
[data-testid="stBaseButton-primary"], [data-testid="stBaseButton-secondary"] {min-height: 3rem; border-width: 2px;}
[data-baseweb="select"] div, [data-testid="stNumberInputField"], [data-testid="stTextInputRootElement"] input {font-size: 1.2rem;}
[data-testid="stSidebar"] {background: #eef0f4;}
[data-testid="stSidebar"] [data-testid="stMarkdownContainer"] p {font-size: 1.15rem;}
</style>"""


def presenter_style() -> None:
    """Projector CSS (larger type, black on white, full-width main column); app.py calls this in
    presenter mode."""
    st.markdown(PRESENTER_CSS, unsafe_allow_html=True)


# Charts side by side stack, each at full width, where their row is too narrow for two charts to be
# read: on a laptop with the sidebar open (1024 px) two charts got 274 px each and cut their titles.
# Rows of four or more columns (widgets, buttons, metrics) go two a row, each half the row, where
# they would get under ~150 px each (a select box showed "random G", a multiselect "RNN × LST",
# the Dynamics lab's buttons "T..", "P..", "R.."). Container queries on the rows themselves (not the
# window), so folding the sidebar brings them back side by side.
CHART_ROW_MIN_PX = 760  # a row of charts narrower than this shows one chart a row
WIDE_ROW_MIN_PX = 640  # a row of four or more columns narrower than this shows two a row
_CHART_ROW = ('[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] '
              ':is(.rnnx-live-chart, [data-testid="stPlotlyChart"]))')
_WIDE_ROW = '[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"]:nth-child(4))'
# A row of three or more panels that hold rows of their own (the Training lab's settings: task,
# cell, optimiser) stacks its panels where they would get under ~250 px: at 1024 px the labels
# wrapped letter by letter ("Prob / e / every") and the task's name was cut.
PANEL_ROW_MIN_PX = 760  # a row of panels narrower than this shows one panel a row
_PANEL_ROW = ('[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"]:nth-child(3))'
              ':has(> [data-testid="stColumn"] [data-testid="stHorizontalBlock"])')


def _stacking(name: str, row: str, below_px: int, column_css: str) -> str:
    """CSS: rows matching the selector ``row`` wrap, and where a row is narrower than ``below_px``
    its columns take ``column_css`` (a container query named ``name`` on the row itself)."""
    return (f"{row} {{container: {name} / inline-size; flex-wrap: wrap;}}"
            f" @container {name} (max-width: {below_px - 1}px)"
            f" {{{row} > [data-testid=\"stColumn\"] {{{column_css}}}}}")


# Texts Streamlit cuts with an ellipsis on one line wrap instead: a metric's label and delta
# ("held-out MSE, attention h…"), a page link with its description (the Home page's list), a
# button's label ("Load the lecture's senti…" at 1024 px).
WRAP_CSS = (":is([data-testid=\"stMetricLabel\"], [data-testid=\"stMetricDelta\"], [data-testid=\"stPageLink-NavLink\"], "
            "[data-testid^=\"stBaseButton\"]) :is(span, div, p) "
            "{white-space: normal; overflow: visible; text-overflow: clip; height: auto; overflow-wrap: normal;}")


LAYOUT_CSS = "<style>" + " ".join([
    _stacking("rnnx-chart-row", _CHART_ROW, CHART_ROW_MIN_PX, "min-width: 100%;"),
    _stacking("rnnx-wide-row", _WIDE_ROW, WIDE_ROW_MIN_PX,
              "min-width: calc(50% - 0.5rem); max-width: calc(50% - 0.5rem);"),  # a lone last one stays half
    _stacking("rnnx-panel-row", _PANEL_ROW, PANEL_ROW_MIN_PX, "min-width: 100%; max-width: none;"),
    WRAP_CSS,
]) + "</style>"


def layout_style() -> None:
    """Layout rules every page shares (app.py calls this on every run)."""
    st.html(LAYOUT_CSS)  # style only: Streamlit adds it without taking up a row


# Korean wraps between words (eojeol), never inside one; a long unbroken token may still wrap.
KOREAN_CSS = "<style>.stApp {word-break: keep-all; overflow-wrap: anywhere;}</style>"


def language_style(lang: str) -> None:
    """Line-breaking rules of the page's language (app.py calls this on every run)."""
    if lang == "ko":
        st.html(KOREAN_CSS)  # style only: Streamlit adds it without taking up a row


def presenter_figure(fig):
    """A copy of ``fig`` for a projector: text ``PRESENTER_FONT_SCALE`` times larger, lines at least
    ``PRESENTER_MIN_LINE`` px, markers a third larger. The original is left as it is."""
    import plotly.graph_objects as go

    f = go.Figure(fig)

    def up(size, base=None):
        s = size if size is not None else base
        return None if s is None else round(s * PRESENTER_FONT_SCALE)

    lay = f.layout
    base = up(lay.font.size, 15)
    # explicit sizes everywhere: Streamlit's chart theme would otherwise set its own small ones
    f.update_layout(font_size=base, title_font_size=up(lay.title.font.size, base / PRESENTER_FONT_SCALE * 1.15),
                    legend_font_size=up(lay.legend.font.size, base / PRESENTER_FONT_SCALE))
    for axes in (f.for_each_xaxis, f.for_each_yaxis):
        axes(lambda a: a.update(title_font_size=up(a.title.font.size, base / PRESENTER_FONT_SCALE),
                                tickfont_size=up(a.tickfont.size, base / PRESENTER_FONT_SCALE * 0.9)))
    # long tick labels ("0.0056") in the larger type outgrow a fixed left margin: the title moves out
    f.for_each_yaxis(lambda a: a.update(automargin=True))
    for ann in lay.annotations or ():
        if ann.font.size is not None:
            ann.font.size = up(ann.font.size)
    if lay.title.text and "font-size:" in lay.title.text:  # a subtitle's own size (<span style=...>)
        lay.title.text = re.sub(r"font-size:\s*(\d+(?:\.\d+)?)px",
                                lambda m: f"font-size:{up(float(m.group(1)))}px", lay.title.text)
    _presenter_margins(f)
    bars = [_colorbar(tr) for tr in f.data]
    f.for_each_coloraxis(lambda ax: bars.append(ax.colorbar))  # a colour scale shared through the layout
    for bar in bars:
        if bar is not None:  # a colour scale's ticks and title, as the axes'
            bar.tickfont.size = up(bar.tickfont.size, base / PRESENTER_FONT_SCALE * 0.9)
            bar.title.font.size = up(bar.title.font.size, base / PRESENTER_FONT_SCALE)
    for tr in f.data:
        font = getattr(tr, "textfont", None)  # text drawn on the plot: node labels, heatmap cells
        if font is not None and isinstance(font.size, (int, float)):
            font.size = up(font.size)
        if tr.type in ("scatter", "scattergl", "scatter3d"):
            mode = tr.mode or "lines"
            if "lines" in mode:
                tr.line.width = max(PRESENTER_MIN_LINE, (tr.line.width or 2) * 1.75)
            if "markers" in mode and isinstance(tr.marker.size, (int, float)):
                tr.marker.size = tr.marker.size * 4 / 3
    return f


def _colorbar(tr):
    """The colour bar a trace draws (heatmaps and contours, or its markers'), else None."""
    if tr.type in ("heatmap", "contour", "surface"):
        return tr.colorbar if tr.showscale is not False else None
    marker = getattr(tr, "marker", None)
    return marker.colorbar if marker is not None and marker.showscale else None


def _presenter_margins(f) -> None:
    """The plot grows by 15 %; the margins that hold only text (title, legends, tick labels, axis
    titles: top, bottom, left) grow with the type, so the texts keep their places around the plot.
    A legend under the plot (placed in a fraction of the plot's height) keeps its place under the
    axis title."""
    lay, leg = f.layout, f.layout.legend
    t = 100 if lay.margin.t is None else lay.margin.t  # plotly's defaults
    b = 80 if lay.margin.b is None else lay.margin.b
    plot0 = max(1.0, (lay.height or DEFAULT_FIGURE_HEIGHT) - t - b)
    plot1, t1, b1 = plot0 * 1.15, t * PRESENTER_FONT_SCALE, b * PRESENTER_FONT_SCALE
    left = 80 if lay.margin.l is None else lay.margin.l  # tick labels and the y axis title
    f.update_layout(height=round(plot1 + t1 + b1), margin_t=round(t1), margin_b=round(b1),
                    margin_l=round(left * PRESENTER_FONT_SCALE))
    if (leg.orientation == "h" and leg.yanchor == "top" and leg.y is not None and leg.y < 0
            and leg.yref in (None, "paper")):
        f.update_layout(legend_y=leg.y * plot0 * PRESENTER_FONT_SCALE / plot1)  # px under the plot, scaled


def chart(fig, key: str | None = None, *, where=None, live: bool = False, **kwargs) -> None:
    """``st.plotly_chart`` that restyles a copy of ``fig`` for the projector in presenter mode.

    Args:
        fig: the figure (None: nothing is drawn).
        key: the chart's element key.
        where: a container or column to draw in (default: the current one).
        live: a chart that a timed fragment redraws: drawn by ``explorer.app.live_chart``, which
            updates one graph in place (keeps the user's zoom, costs the browser far less); ``fig``
            may then be ``explorer.app.live_feed.STREAMED`` (the session's stream brings it).
        **kwargs: passed on to ``st.plotly_chart``.
    """
    if fig is None:
        return
    if live:
        from .live_chart import live_chart
        from .live_feed import STREAMED
        if fig is not STREAMED and st.session_state.get(state.PRESENTER):
            fig = presenter_figure(fig)
        live_chart(fig, key, where=where)
        return
    if st.session_state.get(state.PRESENTER):
        fig = presenter_figure(fig)
    (where or st).plotly_chart(fig, key=key, **kwargs)


def live_figures(name: str, build, every_s: float | None) -> dict:
    """``explorer.app.live_feed.live_figures`` with the presenter's restyling: the figures a timed
    fragment draws as live charts, published to the session's stream (chart key -> figure).

    Args:
        name: the group's name in the session's feed (unique on the page).
        build: () -> {chart key: plotly figure}; no ``st`` calls (the stream's thread runs it too).
        every_s: seconds between refreshes while the page is open (None: not refreshed).
    """
    from .live_feed import live_figures as publish
    # the stream's figures are restyled here; those drawn in this run, by chart()
    streamed = _presented(build) if st.session_state.get(state.PRESENTER) else build
    return publish(name, streamed, every_s, now=build)


def _presented(build):
    def restyled() -> dict:
        return {k: presenter_figure(f) if f is not None else None for k, f in build().items()}
    return restyled
