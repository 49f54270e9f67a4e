"""The app's script (app.py runs ``run()`` on every script run): navigation, page config and the
shared sidebar."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import describe_device, pick_device
from ..jobs import runtime
from . import live_feed, session, state, tour, urlstate
from .boundary import guarded
from .i18n import LANGS
from .lang import current as current_lang, t
from .nav import available_pages, page_title, section_title
from .settings import device_choices
from .shell import disable_pages_folder_mode
from .widgets import language_style, layout_style, presenter_style, task_title

# the tab's icon ships with the app (a material-icon or emoji favicon is fetched from the internet,
# and a lecture hall may be offline); Streamlit serves the file from its own media route
APP_ICON = Path(__file__).resolve().parents[1] / "static" / "icon.png"


RUN_LINE_EVERY_S = 5.0  # the sidebar's run line refreshes this often while the run trains (not a live view)


def run_status() -> None:
    """The active run, drawn after the page so a run the page just started is shown. While it
    trains the line refreshes on its own (a fragment): it read "running, step 135" while the
    page's live view was at step 1,208."""
    lab = runtime.session_jobs().get("lab")
    active = lab is not None and lab.snapshot().active
    with st.sidebar:
        st.fragment(_run_line, run_every=RUN_LINE_EVERY_S if active else None)()


def _run_line() -> None:
    lab = runtime.session_jobs().get("lab")
    if lab is None:  # none yet, or reset between two refreshes
        st.caption(t("app.no_run"))
        return
    snap = lab.snapshot()
    cfg = lab.trainer.model.config
    st.caption(t("app.run_line", task=task_title(lab.trainer.task.name), kind=cfg.kind.upper(),
                 hidden=cfg.hidden_size, status=t(f"jobs.status.{snap.status}"), step=snap.step))


def run() -> None:
    """One full script run of the app: the sidebar, then the page the URL names."""
    session.init()
    urlstate.load()  # a shared link's settings (and ?lang=ko), applied before any widget is drawn
    lang = current_lang()
    st.set_page_config(page_title=t("app.page_title"), page_icon=APP_ICON, layout="wide")
    disable_pages_folder_mode()
    live_feed.session_feed().begin_run()  # the page publishes its live charts again (another page: none)

    pages: dict[str, list] = {}
    for section, path, icon in available_pages():
        pages.setdefault(section_title(section, lang), []).append(
            st.Page(path, title=page_title(path, lang), icon=icon, default=path == "pages/home.py"))
    nav = st.navigation(pages)

    with st.sidebar:
        st.segmented_control(t("app.language"), list(LANGS), key=state.LANG, format_func=LANGS.get,
                             selection_mode="single", required=True)
        st.selectbox(t("app.device"), device_choices(), key=state.DEVICE, help=t("app.device_help"),
                     format_func=lambda d, auto=t("app.device_auto"): auto if d == "auto" else d)
        st.caption(t("app.training_on", device=describe_device(pick_device(st.session_state[state.DEVICE]))))
        st.toggle(t("app.presenter"), key=state.PRESENTER, help=t("app.presenter_help"))
        tour.sidebar()
    runtime.sync_tab()  # this tab's runs: a reloaded page finds them (before the page asks for its board)

    if st.session_state[state.PRESENTER]:
        presenter_style()
    language_style(lang)
    layout_style()

    # The address bar is always a link to this view. Written before the page runs: after a page's
    # st.stop() Streamlit refuses state and query-parameter access for the rest of the run.
    urlstate.save(nav.url_path)
    runtime.tune_server()  # once per server: GIL switch interval, the imported modules out of the collector's scans
    guarded(nav.run, nav.url_path or "home")  # an unexpected error: a short message and an id, the trace in the log
    run_status()  # (not reached after a page's st.stop(): the sidebar then skips the run line)
