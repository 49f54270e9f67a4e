"""Controls declared once and reused by the pages (model, task, optimiser, run buttons)."""
from __future__ import annotations

import streamlit as st

from core import MODEL_KINDS, OPTIMIZERS, TASKS, get_task
from core.models import NONLINEARITIES

from . import state
from .runs import UPLOAD_PREFIX, task_default_len, task_has_length, upload_kind

CELL_LABELS = {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"}


def task_title(name: str) -> str:
    if name.startswith(UPLOAD_PREFIX):
        return f"Uploaded: {name[len(UPLOAD_PREFIX):]}"
    return _builtin_titles().get(name, name)


@st.cache_data(show_spinner=False)
def _builtin_titles() -> dict:
    return {n: f"{get_task(n).title} ({get_task(n).io})" for n in TASKS}


@st.cache_data(show_spinner=False)
def task_info(name: str) -> dict:
    t = get_task(name)
    return {"description": t.description, "io": t.io, "metric": t.metric}


def task_options() -> list[str]:
    uploads = [UPLOAD_PREFIX + n for n in state.get(state.DATASETS)]
    return list(TASKS) + uploads


def task_controls(task_key: str, len_key: str, *, presenter: bool = False) -> str:
    """Task select box and its sequence length; returns the chosen task key."""
    def _reset_len():
        st.session_state[len_key] = task_default_len(st.session_state[task_key], state.get(state.DATASETS))

    opts = task_options()
    if st.session_state.get(task_key) not in opts:
        st.session_state[task_key] = opts[0]
    name = st.selectbox("Task", opts, key=task_key, format_func=task_title, on_change=_reset_len)
    if name in TASKS and not presenter:
        st.caption(task_info(name)["description"])
    kind = upload_kind(name, state.get(state.DATASETS))
    if task_has_length(name) or kind in ("series", "text"):
        st.number_input("Window length" if kind == "series" else "Sequence length T", 2, 1000, key=len_key,
                        help="Steps per sequence (up to 1,000)." if kind != "series" else
                        "Steps the network reads before it forecasts (the Data page sets the default).")
    return name


def html_download(fig, name: str, key: str, label: str = "Download as HTML") -> None:
    """A download button for ``fig`` as a standalone HTML page (plotly.js embedded, works
    offline); the page is only built when the button is pressed."""
    from .figures.common import figure_to_html
    st.download_button(label, lambda: figure_to_html(fig), file_name=f"{name}.html", mime="text/html",
                       key=key, icon=":material/download:", on_click="ignore")


def model_controls(kind_key: str, hidden_key: str, layers_key: str | None = None,
                   act_key: str | None = None, bidir_key: str | None = None, *, presenter: bool = False) -> None:
    st.radio("Cell", MODEL_KINDS, key=kind_key, format_func=CELL_LABELS.get, horizontal=True)
    st.select_slider("Hidden units H", [2, 4, 8, 16, 32, 64, 128, 256, 512], key=hidden_key)
    if presenter:
        return
    c1, c2 = st.columns(2)
    if layers_key:
        c1.number_input("Layers", 1, 3, key=layers_key)
    if act_key:
        c2.selectbox("Activation (RNN)", NONLINEARITIES, key=act_key,
                     disabled=st.session_state[kind_key] != "rnn",
                     help="LSTM and GRU use their own sigmoid/tanh gates.")
    if bidir_key:
        st.checkbox("Bidirectional", key=bidir_key)


def optimizer_controls(lr_key: str, batch_key: str, opt_key: str, clip_key: str, seed_key: str,
                       *, presenter: bool = False) -> None:
    st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0],
                     key=lr_key, format_func=lambda v: f"{v:g}")
    if presenter:
        return
    c1, c2 = st.columns(2)
    c1.selectbox("Optimiser", OPTIMIZERS, key=opt_key, format_func=lambda s: {"adam": "Adam",
                                                                             "sgd": "SGD + momentum"}[s])
    c2.select_slider("Batch size", [1, 4, 8, 16, 32, 64, 128, 256], key=batch_key)
    c1.number_input("Clip gradient norm (0 = off)", 0.0, 100.0, step=0.5, key=clip_key)
    c2.number_input("Seed", 0, 2**31 - 1, key=seed_key)


def status_line(snap, limit: int | None = None) -> None:
    """Progress bar, rate and the job's status in words."""
    frac = min(1.0, snap.step / max(1, snap.target_steps))
    st.progress(frac, text=f"step {snap.step:,} of {snap.target_steps:,}")
    c = st.columns(4)
    c[0].metric("Status", snap.status)
    c[1].metric("Steps/s", f"{snap.steps_per_s:.0f}")
    c[2].metric("Training time", f"{snap.elapsed_s:.1f} s")
    last = snap.loss[-1] if len(snap.loss) else float("nan")
    c[3].metric("Last loss", f"{last:.4g}")
    if snap.status == "queued":
        pos = snap.queue_position
        st.info(f"Waiting for a free training slot{f': position {pos} in the queue' if pos else ''}"
                + (f" (this server trains {limit} runs at once)." if limit else "."))
    elif snap.status == "diverged":
        st.error(snap.message)
    elif snap.status == "error":
        st.error(f"Training stopped with an error: {snap.message}")


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
[data-testid="stMetricValue"] {font-size: 2.6rem;} [data-testid="stMetricLabel"] p {font-size: 1.2rem;}
[data-testid="stBaseButton-primary"], [data-testid="stBaseButton-secondary"] {min-height: 3rem; border-width: 2px;}
[data-baseweb="select"] div, [data-testid="stNumberInputField"], [data-testid="stTextInputRootElement"] input {font-size: 1.2rem;}
[data-testid="stSidebar"] {background: #eef0f4;}
[data-testid="stSidebar"] [data-testid="stMarkdownContainer"] p {font-size: 1.15rem;}
</style>"""


def presenter_style() -> None:
    """Projector CSS (larger type, black on white, full-width main column); app.py calls this in
    presenter mode."""
    st.markdown(PRESENTER_CSS, unsafe_allow_html=True)


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
    for ann in lay.annotations or ():
        if ann.font.size is not None:
            ann.font.size = up(ann.font.size)
    if lay.height:
        f.update_layout(height=round(lay.height * 1.15))
    for tr in f.data:
        if tr.type in ("scatter", "scattergl", "scatter3d"):
            mode = tr.mode or "lines"
            if "lines" in mode:
                tr.line.width = max(PRESENTER_MIN_LINE, (tr.line.width or 2) * 1.75)
            if "markers" in mode and isinstance(tr.marker.size, (int, float)):
                tr.marker.size = tr.marker.size * 4 / 3
    return f


def chart(fig, key: str, **kwargs) -> None:
    """``st.plotly_chart`` that restyles a copy of ``fig`` for the projector in presenter mode."""
    if fig is None:
        return
    if st.session_state.get(state.PRESENTER):
        fig = presenter_figure(fig)
    st.plotly_chart(fig, key=key, **kwargs)
