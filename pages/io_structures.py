"""I/O structures (lecture note section 4): the five wirings, each with a small trained example."""
import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()
from explorer import io_views as V
from explorer import state

ss = st.session_state
STEP_CHOICES = [0, 20, 50, 100, 120, 150, 200, 300, 400]

st.title("Input/output structures")
st.caption("Section 4 of the lecture note: one-to-one, one-to-many, many-to-one, many-to-many (synced) and "
           "encoder-decoder. The same cell, wired five ways. Each comes with a small task you can train "
           "here in a few seconds.")


def _reset_for_structure():
    ss[state.IO_STEPS] = V.default_steps(ss[state.IO_STRUCTURE])
    ss[state.IO_SAMPLE] = 0


key = st.radio("Structure", list(V.STRUCTURES), key=state.IO_STRUCTURE, horizontal=True,
               format_func=lambda k: V.STRUCTURES[k].title, on_change=_reset_for_structure)
info = V.STRUCTURES[key]
st.markdown(f"**{info.title}.** {info.summary}")

left, right = st.columns([3, 2])
left.plotly_chart(V.diagram_figure(key), key="io_diagram")
with right.container(border=True):
    st.markdown(f"**Example:** {info.example}")
    c1, c2 = st.columns(2)
    c1.select_slider("Training steps", STEP_CHOICES, key=state.IO_STEPS,
                     help="0 shows the untrained model. The default trains in a few seconds.")
    c2.number_input("Seed", 0, 10_000, key=state.IO_SEED, help="Initial weights and training data.")
    train = st.button("Train this example", icon=":material/play_arrow:", type="primary",
                      key=state.IO_BTN_TRAIN, use_container_width=True)

results = ss[state.IO_RESULTS]
if train:
    with st.spinner(f"Training the {info.title.lower()} example…"):
        results[key] = V.train_example(key, int(ss[state.IO_STEPS]), int(ss[state.IO_SEED]))
    ss[state.IO_RESULTS] = results

res = results.get(key)
if res is None:
    st.info("Not trained yet: press **Train this example** to see its input, output and target.")
    st.stop()

if (res.steps, res.seed) != (int(ss[state.IO_STEPS]), int(ss[state.IO_SEED])):
    st.caption(f"Showing the run trained with {res.steps} steps and seed {res.seed}; "
               "press **Train this example** for the new settings.")
cols = st.columns(4)
for c, (label, value, delta) in zip(cols, V.metric_rows(res)):
    c.metric(label, value, delta, delta_color="normal" if res.higher_is_better else "inverse")

n = V.n_examples(res)
if ss[state.IO_SAMPLE] >= n:
    ss[state.IO_SAMPLE] = 0
st.select_slider("Held-out example", list(range(n)), key=state.IO_SAMPLE, format_func=lambda i: f"{i + 1}",
                 help="A sequence the model never trained on.")
c1, c2 = st.columns([3, 2])
c1.plotly_chart(V.example_figure(res, ss[state.IO_SAMPLE]), key="io_example")
c2.plotly_chart(V.loss_curve_figure(res), key="io_loss")
