"""Bidirectional & attention (lecture note section 7): reading the future, attending to the step that matters."""
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()
from explorer.app import settings as ST
from explorer.app import state
from explorer.app import widgets as W  # noqa: E402
from explorer.app.cache import cached
from explorer.figures.structures import wiring_diagram
from explorer.jobs import runtime
from explorer.views import bidirectional_attention as V
from core.budget import BudgetError
from explorer.app.lang import current, t
from explorer.jobs.runs import run_error_text

ss = st.session_state
lang = current()
st.title(t("bidir.title"))
st.caption(t("bidir.caption"))

# ---- bidirectional ----------------------------------------------------------------------------
st.header(t("bidir.bi_header"))
left, right = st.columns([3, 2])
W.chart(wiring_diagram("bidirectional", 4, height=460, lang=lang, title=t("bidir.bi_diagram")),
        key="bi_diagram", where=left)
with right.container(border=True):
    st.markdown(t("bidir.bi_task"), unsafe_allow_html=True)
    c1, c2, c3 = st.columns(3)
    c1.slider(t("bidir.shift"), *ST.bounds(state.BI_SHIFT), key=state.BI_SHIFT, help=t("bidir.shift_help"))
    c2.select_slider(t("bidir.steps"), ST.options(state.BI_STEPS), key=state.BI_STEPS)
    c3.number_input(t("bidir.seed"), *ST.bounds(state.BI_SEED), key=state.BI_SEED)
    if st.button(t("bidir.train_both"), icon=":material/play_arrow:", type="primary",
                 key=state.BI_BTN_TRAIN, use_container_width=True):
        with st.spinner(t("bidir.training_both")):
            ss[state.BI_RESULT] = V.train_lookahead(ss[state.BI_SHIFT], ss[state.BI_STEPS], ss[state.BI_SEED])

res = ss[state.BI_RESULT]
if res is None:
    st.info(t("bidir.press_train_both"))
else:
    if (res.shift, res.steps, res.seed) != (ss[state.BI_SHIFT], ss[state.BI_STEPS], ss[state.BI_SEED]):
        st.caption(t("bidir.stale", shift=res.shift, steps=res.steps, seed=res.seed))
    m = st.columns(3)
    # the delta text starts with its sign: st.metric picks the arrow from it
    m[0].metric(t("bidir.acc_bi"), f"{res.acc_bi:.1%}",
                t("bidir.from_untrained", delta=f"{res.acc_bi - res.acc_bi_before:+.1%}"))
    m[1].metric(t("bidir.acc_uni"), f"{res.acc_uni:.1%}",
                t("bidir.from_untrained", delta=f"{res.acc_uni - res.acc_uni_before:+.1%}"))
    m[2].metric(t("bidir.baseline"), f"{res.baseline:.1%}")
    c1, c2 = st.columns([2, 3])
    W.chart(V.lookahead_compare_fig(res, lang=lang), key="bi_compare", where=c1)
    with c2:
        st.select_slider(t("bidir.sample"), list(range(res.x.shape[0])), key=state.BI_SAMPLE,
                         format_func=lambda i: f"{i + 1}")
        W.chart(V.lookahead_fig(res, ss[state.BI_SAMPLE], lang=lang), key="bi_lookahead")
    W.chart(V.states_fig(res, ss[state.BI_SAMPLE], lang=lang), key="bi_states")

# ---- attention --------------------------------------------------------------------------------
st.header(t("bidir.att_header"))
left, right = st.columns([3, 2])
W.chart(wiring_diagram("attention", 4, height=460, lang=lang, title=t("bidir.att_diagram")),
        key="att_diagram", where=left)
with right.container(border=True):
    st.markdown(t("bidir.att_task"))
    c1, c2 = st.columns(2)
    c1.select_slider(t("bidir.seq_len"), ST.options(state.ATT_SEQ_LEN), key=state.ATT_SEQ_LEN)
    c2.select_slider(t("bidir.steps"), ST.options(state.ATT_STEPS), key=state.ATT_STEPS)
    start = st.button(t("bidir.att_train"), icon=":material/play_arrow:", type="primary",
                      key=state.ATT_BTN_TRAIN, use_container_width=True)
    stop = st.button(t("bidir.stop"), icon=":material/stop:", key=state.ATT_BTN_STOP, use_container_width=True)

board = runtime.session_jobs()
if start:
    try:
        new = V.new_attention_jobs(ss[state.ATT_SEQ_LEN], ss[state.ATT_STEPS], ss[state.BI_SEED], runtime.limiter())
    except BudgetError as e:  # over the server's memory budget: said before anything is built
        st.error(run_error_text(e, lang))
        new = {}
    for name, job in new.items():
        board.put(name, job)
        job.start()
if stop:
    for name in V.ATTENTION_JOBS:
        if board.get(name) is not None:
            board.get(name).pause()
jobs = {n: board.get(n) for n in V.ATTENTION_JOBS if board.get(n) is not None}
seq_len = jobs["attention"].task.seq_len if "attention" in jobs else ss[state.ATT_SEQ_LEN]
before = cached(V.attention_before, seq_len, ss[state.BI_SEED])
baseline = jobs["attention"].task.baseline_metric if jobs else None
active0 = any(j.snapshot().active for j in jobs.values())


def live_attention():
    snaps = {n: j.snapshot() for n, j in jobs.items()}
    att = snaps.get("attention")
    if att is not None:
        st.progress(min(1.0, att.step / max(1, att.target_steps)),
                    text=t("bidir.progress", step=att.step, target=att.target_steps,
                           status=t(f"jobs.status.{att.status}"), last=snaps["attention_last"].step))
    W.chart(V.attention_fig(att, before, lang=lang), key="att_heatmap", live=True)
    p = None if att is None else att.probe
    w, marks = (before.weights, before.marks) if p is None else (p.attention, V.probe_marks(p.x))
    m = st.columns(4)
    m[0].metric(t("bidir.on_mark"), f"{V.mass_on_mark(w, marks):.2f}",
                help=t("bidir.on_mark_help", uniform=1 / w.shape[1]))
    for col, name in zip(m[1:3], V.ATTENTION_JOBS):
        mse = V.latest_val_mse(snaps.get(name), before.mse[name])
        trained = snaps.get(name) is not None and snaps[name].val_metric.size > 0  # no change to show before
        col.metric(t("bidir.mse_label", model=V.attention_label(name, lang)), f"{mse:.4f}",
                   t("bidir.from_untrained", delta=f"{mse - before.mse[name]:+.4f}") if trained else None,
                   delta_color="inverse")
    if baseline is not None:
        m[3].metric(t("bidir.baseline_mse"), f"{baseline:.4f}")
        W.chart(V.attention_compare_fig(snaps, before, baseline, lang=lang), key="att_compare", live=True)
    else:
        st.info(t("bidir.press_att_train"))
    if active0 and not any(s.active for s in snaps.values()):
        st.rerun()  # training ended: redraw once so the timer stops


# A fragment only while jobs exist: it redraws the heatmap alone twice a second during training.
(st.fragment(run_every=0.5 if active0 else None)(live_attention) if jobs else live_attention)()
