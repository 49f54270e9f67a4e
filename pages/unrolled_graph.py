"""Unrolled graph (lecture note sections 3, 5; 4 and 7 for the wirings): shared weights over time,
forward values, the gradient flowing back, and dL/dW_hh as a sum of per-step shares."""
import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()
import copy  # noqa: E402

from core.graph import MAX_DRAWN_STEPS, STRUCTURES  # noqa: E402
from explorer import graph_views as V  # noqa: E402
from explorer import runtime, state  # noqa: E402
from explorer.figures import graph as gf  # noqa: E402
from explorer.widgets import CELL_LABELS, task_title  # noqa: E402

ss = st.session_state
presenter = ss[state.PRESENTER]
st.title("Unrolled graph")
st.caption("Sections 3 and 5 of the lecture note (and the wirings of 4 and 7): unrolled over time the RNN "
           "is a deep feed-forward graph that uses the SAME W_xh, W_hh, W_hy at every step; backpropagation "
           "through time sends the loss's gradient back along it, and dL/dW_hh is the sum of every step's share.")


@st.cache_resource(show_spinner=False, max_entries=32)
def _task(structure: str, T: int, attention: bool):
    return V.task_for(structure, T, attention)


runtime.limiter()  # creating it sets torch to one intra-op thread: tiny models run ~10x faster
lab = runtime.session_jobs().get("lab")
c1, c2, c3 = st.columns([1.2, 1, 1])
with c1:
    st.radio("Model", ["untrained", "lab"], key=state.GRAPH_SOURCE, horizontal=True,
             format_func={"untrained": "untrained (choose below)", "lab": "the Training lab's model"}.get)
    st.radio("Mode", ["forward", "backward"], key=state.GRAPH_MODE, horizontal=True,
             format_func={"forward": "forward: values", "backward": "backward: gradient ‖∂L/∂h_t‖"}.get)
use_lab = ss[state.GRAPH_SOURCE] == "lab" and lab is not None
with c2:
    st.selectbox("I/O structure", STRUCTURES, key=state.GRAPH_STRUCTURE, disabled=use_lab)
    structure = ss[state.GRAPH_STRUCTURE]
    st.slider("Steps T", 1, V.MAX_T, key=state.GRAPH_LENGTH, disabled=use_lab or structure == "one-to-one",
              help=f"Up to {MAX_DRAWN_STEPS} steps are drawn; longer sequences are summarised (⋯).")
    cc = st.columns(2)
    cc[0].checkbox("Bidirectional", key=state.GRAPH_BIDIR, disabled=use_lab)
    cc[1].checkbox("Attention", key=state.GRAPH_ATTN, disabled=use_lab or structure != "many-to-one",
                   help="An attention head reads every state (many-to-one).")
with c3:
    st.radio("Cell", ["rnn", "lstm", "gru"], key=state.GRAPH_KIND, format_func=CELL_LABELS.get,
             horizontal=True, disabled=use_lab)
    if not presenter:
        st.select_slider("Hidden units H", [2, 4, 8, 16, 32], key=state.GRAPH_HIDDEN, disabled=use_lab)
        st.number_input("Seed (weights and input)", 0, 10_000, key=state.GRAPH_SEED)

if ss[state.GRAPH_SOURCE] == "lab" and lab is None:
    st.info("No Training lab run in this session: showing the untrained model. Start one in the Training lab.")
if use_lab:
    model = copy.deepcopy(lab.trainer.model).cpu()  # the run may go on training in its thread
    task = lab.trainer.task
    st.markdown(f"**Training lab model**: {CELL_LABELS[model.kind]}, H = {model.config.hidden_size}, "
                f"task *{task_title(task.name)}*, after {lab.snapshot().step:,} steps.")
    batch = V.sample(task, int(ss[state.GRAPH_SEED]))
else:
    attention = bool(ss[state.GRAPH_ATTN]) and structure == "many-to-one"
    task = _task(structure, int(ss[state.GRAPH_LENGTH]), attention)
    model = V.untrained_model(task, ss[state.GRAPH_KIND], int(ss[state.GRAPH_HIDDEN]),
                              bool(ss[state.GRAPH_BIDIR]), int(ss[state.GRAPH_SEED]))
    batch = V.sample(task, int(ss[state.GRAPH_SEED]))
    if not presenter:
        st.caption(f"Data: one sequence of the *{task_title(task.name)}* task; untrained "
                   f"{CELL_LABELS[model.kind]} with H = {model.config.hidden_size}.")

d = V.graph_data(model, task, batch)
mode = ss[state.GRAPH_MODE]
g = d.graph
title = (f"{g.structure}, T = {g.T}" + (", bidirectional" if g.bidirectional else "")
         + (", attention" if g.attention else "") + f" — loss L = {d.loss:.4g}")
fig = gf.graph_figure(g.nodes, g.edges, mode=mode, node_color=V.node_colors(d, mode), node_hover=d.hover,
                      edge_grad=V.edge_grads(d) if mode == "backward" else None, title=title)
st.plotly_chart(fig, key="graph_fig")
if mode == "forward":
    st.caption("Each colour is ONE matrix used at every step (hover a node for its vector; colour = the mean of "
               "its entries). The loss nodes sit where this structure has outputs.")
else:
    st.caption("Edge width and colour: the gradient each edge carries back, ‖∂L/∂(the node it feeds)‖, on a log "
               "scale relative to the largest; arrowheads keep the weight's colour. Nodes: ‖∂L/∂node‖.")
if g.summarised:
    st.caption(f"{g.T} steps: the middle ones are summarised by ⋯ (the bars below show every step).")
for note in d.notes:
    st.caption(note)

st.subheader("Gradient accumulation: ∂L/∂W_hh = Σ_t (step t's share)")
st.plotly_chart(gf.contributions_figure(d.contrib_norm, d.contrib_entry, d.autograd_entry, d.entry_label),
                key="graph_contrib")
st.markdown(V.accumulation_text(d))
if not presenter:
    st.caption("Step t's share is (∂L/∂a_t) h_{t-1}ᵀ, a_t the pre-activation W_hh h_{t-1} + …; core.trace "
               "computes the shares by hand, torch.autograd the gradient of the whole loss.")
