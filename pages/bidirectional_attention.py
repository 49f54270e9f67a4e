"""Bidirectional & attention (lecture note section 7): reading the future, attending to the step that matters."""
import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()
from explorer import bidir_views as V
from explorer import runtime, state
from explorer.figures.structures import wiring_diagram

ss = st.session_state
st.title("Bidirectional RNNs and attention")
st.caption("Section 7 of the lecture note (remedies): a bidirectional RNN runs a second chain backwards in "
           "time, so each step also sees the future; an attention head reads every hidden state, weighted "
           "by how relevant it is, instead of only the last one.")

# ---- bidirectional ----------------------------------------------------------------------------
st.header("Bidirectional: a task that needs the future")
left, right = st.columns([3, 2])
left.plotly_chart(wiring_diagram("bidirectional", 4, height=460,
                                 title="Forward chain h→ and backward chain h←, both read by y_t"),
                  key="bi_diagram")
with right.container(border=True):
    st.markdown("**Look-ahead task.** Label each step *t* by the sign of the input a few steps **later**, "
                "x<sub>t+shift</sub>. A one-way RNN has not seen it yet, so it can only guess; the backward "
                "chain has.", unsafe_allow_html=True)
    c1, c2, c3 = st.columns(3)
    c1.slider("Shift", 1, 4, key=state.BI_SHIFT, help="How many steps ahead the label looks.")
    c2.select_slider("Training steps", [0, 25, 50, 100, 200, 300], key=state.BI_STEPS)
    c3.number_input("Seed", 0, 10_000, key=state.BI_SEED)
    if st.button("Train both (bidirectional and one-way)", icon=":material/play_arrow:", type="primary",
                 key=state.BI_BTN_TRAIN, use_container_width=True):
        with st.spinner("Training a bidirectional and a one-way vanilla RNN…"):
            ss[state.BI_RESULT] = V.train_lookahead(ss[state.BI_SHIFT], ss[state.BI_STEPS], ss[state.BI_SEED])

res = ss[state.BI_RESULT]
if res is None:
    st.info("Press **Train both** to train the two models on the same data (a few seconds).")
else:
    if (res.shift, res.steps, res.seed) != (ss[state.BI_SHIFT], ss[state.BI_STEPS], ss[state.BI_SEED]):
        st.caption(f"Showing the run with shift {res.shift}, {res.steps} steps, seed {res.seed}; press "
                   "**Train both** for the new settings.")
    m = st.columns(3)
    m[0].metric("bidirectional: held-out accuracy", f"{res.acc_bi:.1%}", f"{res.acc_bi - res.acc_bi_before:+.1%} "
                "from untrained")
    m[1].metric("one-way: held-out accuracy", f"{res.acc_uni:.1%}", f"{res.acc_uni - res.acc_uni_before:+.1%} "
                "from untrained")
    m[2].metric("trivial baseline (best constant)", f"{res.baseline:.1%}")
    c1, c2 = st.columns([2, 3])
    c1.plotly_chart(V.lookahead_compare_fig(res), key="bi_compare")
    with c2:
        st.select_slider("Held-out sequence", list(range(res.x.shape[0])), key=state.BI_SAMPLE,
                         format_func=lambda i: f"{i + 1}")
        st.plotly_chart(V.lookahead_fig(res, ss[state.BI_SAMPLE]), key="bi_lookahead")
    st.plotly_chart(V.states_fig(res, ss[state.BI_SAMPLE]), key="bi_states")

# ---- attention --------------------------------------------------------------------------------
st.header("Attention: recall the value at the marked step")
left, right = st.columns([3, 2])
left.plotly_chart(wiring_diagram("attention", 4, height=460,
                                 title="Attention: a weighted sum of every h_t, then y"), key="att_diagram")
with right.container(border=True):
    st.markdown("**Marked recall.** Each step has a random value and a marker; output the value at the one "
                "marked step. A vanilla RNN must carry it to the end (and forgets it over long sequences); "
                "attention can look straight back at the marked step.")
    c1, c2 = st.columns(2)
    c1.select_slider("Sequence length T", [10, 20, 30, 40, 60], key=state.ATT_SEQ_LEN)
    c2.select_slider("Training steps", [50, 100, 200, 300, 500], key=state.ATT_STEPS)
    start = st.button("Train attention vs last state", icon=":material/play_arrow:", type="primary",
                      key=state.ATT_BTN_TRAIN, use_container_width=True)
    stop = st.button("Stop", icon=":material/stop:", key=state.ATT_BTN_STOP, use_container_width=True)

board = runtime.session_jobs()
if start:
    for name, job in V.new_attention_jobs(ss[state.ATT_SEQ_LEN], ss[state.ATT_STEPS], ss[state.BI_SEED],
                                          runtime.limiter()).items():
        board.put(name, job)
        job.start()
if stop:
    for name in V.ATTENTION_JOBS:
        if board.get(name) is not None:
            board.get(name).pause()
jobs = {n: board.get(n) for n in V.ATTENTION_JOBS if board.get(n) is not None}
seq_len = jobs["attention"].task.seq_len if "attention" in jobs else ss[state.ATT_SEQ_LEN]
before = st.cache_data(V.attention_before, show_spinner=False)(seq_len, ss[state.BI_SEED])
baseline = jobs["attention"].task.baseline_metric if jobs else None
active0 = any(j.snapshot().active for j in jobs.values())


def live_attention():
    snaps = {n: j.snapshot() for n, j in jobs.items()}
    att = snaps.get("attention")
    if att is not None:
        st.progress(min(1.0, att.step / max(1, att.target_steps)),
                    text=f"attention model: step {att.step:,} of {att.target_steps:,} ({att.status}); "
                         f"last-state model: step {snaps['attention_last'].step:,}")
    st.plotly_chart(V.attention_fig(att, before), key="att_heatmap")
    p = None if att is None else att.probe
    w, marks = (before.weights, before.marks) if p is None else (p.attention, V.probe_marks(p.x))
    m = st.columns(4)
    m[0].metric("attention on the mark", f"{V.mass_on_mark(w, marks):.2f}",
                help=f"Mean over the rows above; uniform attention gives 1/T = {1 / w.shape[1]:.3f}.")
    for col, name in zip(m[1:3], V.ATTENTION_JOBS):
        col.metric(f"held-out MSE, {V.ATTENTION_LABELS[name]}", f"{V.latest_val_mse(snaps.get(name), before.mse[name]):.4f}",
                   f"{V.latest_val_mse(snaps.get(name), before.mse[name]) - before.mse[name]:+.4f} from untrained",
                   delta_color="inverse")
    if baseline is not None:
        m[3].metric("trivial baseline MSE", f"{baseline:.4f}")
        st.plotly_chart(V.attention_compare_fig(snaps, before, baseline), key="att_compare")
    else:
        st.info("Press **Train attention vs last state**: both models train in the background and the "
                "heatmap above updates as attention learns where to look.")
    if active0 and not any(s.active for s in snaps.values()):
        st.rerun()  # training ended: redraw once so the timer stops


# A fragment only while jobs exist: it redraws the heatmap alone twice a second during training.
(st.fragment(run_every=0.5 if active0 else None)(live_attention) if jobs else live_attention)()
