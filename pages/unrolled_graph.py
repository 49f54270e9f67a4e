"""Unrolled graph (lecture note sections 3, 5; 4 and 7 for the wirings): shared weights over time,
forward values, the gradient flowing back, and dL/dW_hh as a sum of per-step shares."""
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()
import copy  # noqa: E402

from core.graph import MAX_DRAWN_STEPS  # noqa: E402
from explorer.app import settings as ST
from explorer.app import state  # noqa: E402
from explorer.app import widgets as W  # noqa: E402
from explorer.app.cache import cached  # noqa: E402
from explorer.app.lang import current, fmt, t  # noqa: E402
from explorer.figures import graph as gf  # noqa: E402
from explorer.jobs import runtime
from explorer.views import unrolled_graph as V  # noqa: E402

ss = st.session_state
presenter = ss[state.PRESENTER]
lang = current()
st.title(t("nav.unrolled_graph.title"))
st.caption(t("graph.caption"))


def _task(structure: str, T: int, attention: bool):
    return cached(V.task_for, structure, T, attention)  # the server's byte-bounded store (explorer.app.cache)


runtime.limiter()  # creating it sets torch to one intra-op thread: tiny models run ~10x faster
lab = runtime.session_jobs().get("lab")
c1, c2, c3 = st.columns([1.2, 1, 1])
with c1:
    st.radio(t("graph.source"), ST.options(state.GRAPH_SOURCE), key=state.GRAPH_SOURCE, horizontal=True,
             format_func=fmt("graph.source_option"))
    st.radio(t("graph.mode"), ST.options(state.GRAPH_MODE), key=state.GRAPH_MODE, horizontal=True,
             format_func=fmt("graph.mode_option"))
use_lab = ss[state.GRAPH_SOURCE] == "lab" and lab is not None
with c2:
    st.selectbox(t("graph.structure_label"), ST.options(state.GRAPH_STRUCTURE), key=state.GRAPH_STRUCTURE, disabled=use_lab,
                 format_func=fmt("tasks.io"))
    structure = ss[state.GRAPH_STRUCTURE]
    st.slider(t("graph.length"), *ST.bounds(state.GRAPH_LENGTH), key=state.GRAPH_LENGTH, disabled=use_lab or structure == "one-to-one",
              help=t("graph.length_help", n=MAX_DRAWN_STEPS))
    cc = st.columns(2)
    cc[0].checkbox(t("graph.bidir"), key=state.GRAPH_BIDIR, disabled=use_lab)
    cc[1].checkbox(t("graph.attn"), key=state.GRAPH_ATTN, disabled=use_lab or structure != "many-to-one",
                   help=t("graph.attn_help"))
with c3:
    st.radio(t("graph.cell_label"), ST.options(state.GRAPH_KIND), key=state.GRAPH_KIND, format_func=fmt("widgets.cell"),
             horizontal=True, disabled=use_lab)
    if not presenter:
        st.select_slider(t("graph.hidden"), ST.options(state.GRAPH_HIDDEN), key=state.GRAPH_HIDDEN, disabled=use_lab)
        st.number_input(t("graph.seed"), *ST.bounds(state.GRAPH_SEED), key=state.GRAPH_SEED)

if ss[state.GRAPH_SOURCE] == "lab" and lab is None:
    st.info(t("graph.no_lab"))
if use_lab:
    model = copy.deepcopy(lab.trainer.model).cpu()  # the run may go on training in its thread
    task = lab.trainer.task
    st.markdown(t("graph.lab_model", cell=V.cell_label(model.kind, lang), H=model.config.hidden_size,
                  task=V.task_label(task.name, task.io, lang), step=lab.snapshot().step))
    batch = V.sample(task, int(ss[state.GRAPH_SEED]))
else:
    attention = bool(ss[state.GRAPH_ATTN]) and structure == "many-to-one"
    task = _task(structure, int(ss[state.GRAPH_LENGTH]), attention)
    model = V.untrained_model(task, ss[state.GRAPH_KIND], int(ss[state.GRAPH_HIDDEN]),
                              bool(ss[state.GRAPH_BIDIR]), int(ss[state.GRAPH_SEED]))
    batch = V.sample(task, int(ss[state.GRAPH_SEED]))
    if not presenter:
        st.caption(t("graph.data_caption", task=V.task_label(task.name, task.io, lang),
                     cell=V.cell_label(model.kind, lang), H=model.config.hidden_size))

d = V.graph_data(model, task, batch, lang=lang)
mode = ss[state.GRAPH_MODE]
g = d.graph
fig = gf.graph_figure(g.nodes, g.edges, mode=mode, node_color=V.node_colors(d, mode), node_hover=d.hover,
                      edge_grad=V.edge_grads(d) if mode == "backward" else None, title=V.graph_title(d, lang),
                      lang=lang)
W.chart(fig, key="graph_fig")
if mode == "forward":
    st.caption(t("graph.forward_caption"))
else:
    st.caption(t("graph.backward_caption"))
if g.summarised:
    st.caption(t("graph.summarised", T=g.T))
for note in d.notes:
    st.caption(note)

st.subheader(t("graph.accumulation_title"))
W.chart(gf.contributions_figure(d.contrib_norm, d.contrib_entry, d.autograd_entry, d.entry_label,
                                lang=lang), key="graph_contrib")
st.markdown(V.accumulation_text(d, lang))
if not presenter:
    st.caption(t("graph.share_caption"))
