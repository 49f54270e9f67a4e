"""RNN Explorer: `streamlit run app.py`. Navigation, page config and the shared sidebar."""
import streamlit as st

from explorer import runtime, state
from explorer.nav import URL_PATHS, available_pages
from explorer.shell import disable_pages_folder_mode
from explorer.runs import device_choices
from explorer.widgets import task_title
from core import describe_device, pick_device

st.set_page_config(page_title="RNN Explorer", page_icon=":material/cycle:", layout="wide")
state.init()
disable_pages_folder_mode()

PAGES: dict[str, list] = {}
for section, path, title, icon, _ in available_pages():
    home = path == "pages/home.py"
    PAGES.setdefault(section, []).append(st.Page(path, title=title, icon=icon, default=home,
                                                 url_path=None if home else URL_PATHS[path]))
nav = st.navigation(PAGES)

with st.sidebar:
    st.selectbox("Device for new runs", device_choices(), key=state.DEVICE,
                 help="auto picks CUDA, then Apple MPS, then the CPU.")
    st.caption(f"Training on **{describe_device(pick_device(st.session_state[state.DEVICE]))}**")
    board = runtime.session_jobs()
    lab = board.get("lab")
    if lab is not None:
        snap = lab.snapshot()
        st.caption(f"Active run: {task_title(lab.trainer.task.name)}, {lab.trainer.model.kind.upper()} "
                   f"H={lab.trainer.model.config.hidden_size}: {snap.status}, step {snap.step:,}")
    else:
        st.caption("No run yet: start one in the Training lab.")
    st.toggle("Presenter mode", key=state.PRESENTER, help="Larger type, fewer controls: for a projector.")

if st.session_state[state.PRESENTER]:
    st.markdown("<style>html, body, [class*='st-'] {font-size: 1.15rem;} </style>", unsafe_allow_html=True)

ss = st.session_state
ss[state.IN_SHELL] = True  # pages check it: they must run inside this script
try:
    nav.run()
finally:
    ss[state.IN_SHELL] = False
