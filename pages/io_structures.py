"""I/O structures (lecture note section 4): the five wirings, each with a small trained example."""
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()
from explorer.app import settings as ST
from explorer.app import state
from explorer.app import widgets as W  # noqa: E402
from explorer.views import io_structures as V
from core.budget import BudgetError
from explorer.app.lang import current, t
from explorer.jobs.runs import run_error_text

ss = st.session_state
lang = current()

st.title(t("io.title"))
st.caption(t("io.caption"))


def _reset_for_structure():
    ss[state.IO_STEPS] = V.default_steps(ss[state.IO_STRUCTURE])
    ss[state.IO_SAMPLE] = 0


titles = {k: V.structure_text(k, "title", lang) for k in V.STRUCTURES}  # bound now: see notes/I18N.md
key = st.radio(t("io.structure_label"), ST.options(state.IO_STRUCTURE), key=state.IO_STRUCTURE, horizontal=True,
               format_func=titles.get, on_change=_reset_for_structure)
st.markdown(f"**{titles[key]}.** {V.structure_text(key, 'summary', lang)}")

left, right = st.columns([3, 2])
W.chart(V.diagram_figure(key, lang=lang), key="io_diagram", where=left)
with right.container(border=True):
    st.markdown(t("io.example", example=V.structure_text(key, "example", lang)))
    c1, c2 = st.columns(2)
    c1.select_slider(t("io.steps"), ST.options(state.IO_STEPS), key=state.IO_STEPS, help=t("io.steps_help"))
    c2.number_input(t("io.seed"), *ST.bounds(state.IO_SEED), key=state.IO_SEED, help=t("io.seed_help"))
    train = st.button(t("io.train"), icon=":material/play_arrow:", type="primary",
                      key=state.IO_BTN_TRAIN, use_container_width=True)

results = ss[state.IO_RESULTS]
if train:
    try:
        with st.spinner(t("io.training", name=titles[key].lower())):
            results[key] = V.train_example(key, int(ss[state.IO_STEPS]), int(ss[state.IO_SEED]))
        ss[state.IO_RESULTS] = results
    except BudgetError as e:  # over the server's memory budget: said before anything is built
        st.error(run_error_text(e, lang))

res = results.get(key)
if res is None:
    st.info(t("io.not_trained"))
    st.stop()

if (res.steps, res.seed) != (int(ss[state.IO_STEPS]), int(ss[state.IO_SEED])):
    st.caption(t("io.stale", steps=res.steps, seed=res.seed))
cols = st.columns(4)
for c, (label, value, delta) in zip(cols, V.metric_rows(res, lang=lang)):
    c.metric(label, value, delta, delta_color="normal" if res.higher_is_better else "inverse")

n = V.n_examples(res)
if ss[state.IO_SAMPLE] >= n:
    ss[state.IO_SAMPLE] = 0
st.select_slider(t("io.sample"), list(range(n)), key=state.IO_SAMPLE, format_func=lambda i: f"{i + 1}",
                 help=t("io.sample_help"))
c1, c2 = st.columns([3, 2])
W.chart(V.example_figure(res, ss[state.IO_SAMPLE], lang=lang), key="io_example", where=c1)
W.chart(V.loss_curve_figure(res, lang=lang), key="io_loss", where=c2)
