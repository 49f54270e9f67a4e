"""RNN Explorer: `streamlit run app.py`. Navigation, page config and the shared sidebar."""
import streamlit as st

from explorer import runtime, state, tour, urlstate
from explorer.nav import available_pages
from explorer.shell import disable_pages_folder_mode
from explorer.runs import device_choices
from explorer.widgets import presenter_style, task_title
from core import describe_device, pick_device

st.set_page_config(page_title="RNN Explorer", page_icon=":material/cycle:", layout="wide")
state.init()
urlstate.load()  # a shared link's settings, applied before any widget is drawn
disable_pages_folder_mode()

PAGES: dict[str, list] = {}
for section, path, title, icon, _ in available_pages():
    PAGES.setdefault(section, []).append(st.Page(path, title=title, icon=icon, default=path == "pages/home.py"))
nav = st.navigation(PAGES)

with st.sidebar:
    st.selectbox("Device for new runs", device_choices(), key=state.DEVICE,
                 help="auto picks CUDA, then Apple MPS, then the CPU.")
    st.caption(f"Training on **{describe_device(pick_device(st.session_state[state.DEVICE]))}**")
    st.toggle("Presenter mode", key=state.PRESENTER, help="Larger type, fewer controls: for a projector.")
    tour.sidebar()

if st.session_state[state.PRESENTER]:
    presenter_style()


def run_status() -> None:
    """The active run, drawn after the page so a run the page just started is shown."""
    lab = runtime.session_jobs().get("lab")
    with st.sidebar:
        if lab is None:
            st.caption("No run yet: start one in the Training lab.")
            return
        snap = lab.snapshot()
        cfg = lab.trainer.model.config
        st.caption(f"Training-lab run: {task_title(lab.trainer.task.name)}, {cfg.kind.upper()} "
                   f"H={cfg.hidden_size} — {snap.status}, step {snap.step:,}")


# The address bar is always a link to this view. Written before the page runs: after a page's
# st.stop() Streamlit refuses state and query-parameter access for the rest of the run.
urlstate.save(nav.url_path)
nav.run()
run_status()  # (not reached after a page's st.stop(): the sidebar then skips the run line)
