"""LSTM vs GRU vs RNN (lecture note section 7): the three cells trained side by side, live."""
from functools import partial

import numpy as np
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()
from core.compare import CELLS, EVAL_SEQUENCES, PRESETS, SweepSettings, sweep_point
from explorer.app import live_feed as LF, report_ui, share_ui, state
from explorer.app import settings as ST
from explorer.app import widgets as W
from explorer.app.job_controls import JobControls, job_row
from explorer.jobs import runtime
from explorer.views import comparison as V
from explorer.app.cache import cached
from explorer.app.lang import current, t
from explorer.jobs.runs import run_error_text

ss = st.session_state
lang = current()
CONTROLS = JobControls(tuple(V.JOB_NAMES[k] for k in CELLS), state.CMP_SIGNATURE, "compare.train", "compare.pause",
                       "compare.reset", "compare.stale", widths=(1.3, 1, 1, 3))
st.title(t("nav.comparison.title"))
st.caption(t("compare.caption"))


def apply_preset():
    if ss[state.CMP_PRESET] in PRESETS:
        ss.update(V.preset_state(ss[state.CMP_PRESET]))


st.selectbox(t("compare.preset_label"), ST.options(state.CMP_PRESET), key=state.CMP_PRESET,
             on_change=apply_preset, format_func=V.preset_labels(lang).get)
with st.expander(t("compare.settings"), expanded=ss[state.CMP_PRESET] == V.CUSTOM):
    c1, c2, c3 = st.columns(3)
    with c1.container(border=True):
        W.task_controls(state.CMP_TASK, state.CMP_SEQ_LEN)
    with c2.container(border=True):
        st.select_slider(t("compare.hidden"), ST.options(state.CMP_HIDDEN), key=state.CMP_HIDDEN,
                         help=t("compare.hidden_help"))
        st.toggle(t("compare.equal"), key=state.CMP_EQUAL, help=t("compare.equal_help"))
        st.number_input(t("compare.steps"), *ST.bounds(state.CMP_STEPS), step=100, key=state.CMP_STEPS)
    with c3.container(border=True):
        st.select_slider(t("compare.lr"), ST.options(state.CMP_LR), key=state.CMP_LR,
                         format_func=lambda v: f"{v:g}")
        a, b = st.columns(2)
        a.select_slider(t("compare.batch"), ST.options(state.CMP_BATCH), key=state.CMP_BATCH)
        b.number_input(t("compare.clip"), *ST.bounds(state.CMP_CLIP), step=0.5, key=state.CMP_CLIP)
        st.number_input(t("compare.seed"), *ST.bounds(state.CMP_SEED), key=state.CMP_SEED)
        st.select_slider(t("compare.forget_bias"), ST.options(state.CMP_FORGET), key=state.CMP_FORGET, help=t("compare.forget_bias_help"),
                         format_func=lambda v, d=t("compare.forget_bias_default"): d if v == 0 else f"{v:g}")

settings = V.PageSettings(ss[state.CMP_PRESET], ss[state.CMP_TASK], int(ss[state.CMP_SEQ_LEN]),
                          int(ss[state.CMP_HIDDEN]), bool(ss[state.CMP_EQUAL]), float(ss[state.CMP_LR]),
                          int(ss[state.CMP_BATCH]), float(ss[state.CMP_CLIP]), int(ss[state.CMP_SEED]),
                          int(ss[state.CMP_STEPS]), ss[state.DEVICE], float(ss[state.CMP_FORGET]))
preset = V.active_preset(settings)
if preset is not None:
    st.info(V.preset_info(preset, EVAL_SEQUENCES, lang))
elif settings.preset in PRESETS:
    st.warning(t("compare.preset_differs"))
try:
    task = V.make_task(settings, ss[state.DATASETS])
    sizes = V.sizes(task, settings)
except (ValueError, RuntimeError) as e:
    st.error(t("compare.build_error", error=run_error_text(e, lang)))
    st.stop()
cols = st.columns(3)
for c, k in zip(cols, CELLS):
    c.metric(t("compare.params_metric", cell=V.FC.cell_name(k, lang)), f"{sizes[k][1]:,}")
    c.caption(t("compare.hidden_caption", hidden=sizes[k][0]))

limiter = runtime.limiter()


def forget_finals(_new=None) -> None:
    """New or no runs: the final evaluations of the old ones no longer apply."""
    ss[state.CMP_FINAL] = {}


row = job_row(CONTROLS, settings.signature(), lambda: {V.JOB_NAMES[k]: j for k, j in
                                                       V.make_jobs(settings, task, limiter).items()},
              error=lambda e: t("compare.build_error", error=run_error_text(e, lang)),
              on_new=forget_finals, on_reset=forget_finals)
have, stale = row.jobs is not None, row.stale
jobs = {k: row.jobs[V.JOB_NAMES[k]] for k in CELLS} if have else {}
share_ui.panel("comparison", tuple(V.JOB_NAMES.values()), view={"gate_seq": int(ss[state.CMP_GATE_SEQ])})
if not have:
    st.info(t("compare.press_train", button=t("compare.train"), limit=limiter.limit))
    st.stop()

task = jobs["rnn"].trainer.task
active0 = any(j.snapshot().active for j in jobs.values())
if not stale:  # a report of the runs as built: their settings, preset and pass/fail (built on click)
    report_ui.compare_button(jobs, settings, preset, ss[state.CMP_FINAL])


# While the session's stream carries the charts (explorer.app.live_feed), the fragments rerun only
# for the status lines, badges and table: each rerun costs the browser's busy thread.
streaming0 = LF.streaming()


@st.fragment(run_every=LF.cadence(0.5, streaming0) if active0 else None)
def live_curves():
    """Status, badges, loss and metric: new points every step, so redrawn twice a second."""
    snaps = {k: j.snapshot() for k, j in jobs.items()}
    if active0 and LF.streaming() != streaming0:
        st.rerun()  # the stream came or went: redraw the page once so the timers follow
    cols = st.columns(3)
    for c, (k, s) in zip(cols, snaps.items()):
        with c.container(border=True):
            st.markdown(t("compare.cell_line", cell=V.FC.cell_name(k, lang),
                          hidden=jobs[k].trainer.model.config.hidden_size, params=sizes[k][1]))
            st.progress(min(1.0, s.step / max(1, s.target_steps)),
                        text=t("compare.progress", step=s.step, target=s.target_steps))
            st.markdown(t("compare.status_line", status=V.status_text(s, limiter.limit, lang), rate=s.steps_per_s))
            if s.status in ("diverged", "error"):
                st.error(W.job_message(s, lang))
    finals = ss[state.CMP_FINAL]
    for k, s in snaps.items():
        if V.finished(s) and not jobs[k].alive and finals.get(jobs[k].id, {}).get("step") != s.step:
            finals[jobs[k].id] = {**V.final_eval(jobs[k]), "step": s.step}
    by_kind = V.finals_by_kind(jobs, finals)
    if preset is not None and not stale:  # badges judge runs built with exactly the preset's settings
        st.subheader(t("compare.pass_fail"))
        bc = st.columns(len(preset.criteria))
        whole = {k: v for k, v in by_kind.items()  # judged after exactly the preset's budget
                 if snaps[k].status == "done" and snaps[k].step == preset.steps}
        for c, (desc, v, ok) in zip(bc, V.badges(preset, whole, lang)):
            c.badge(V.badge_text(desc, v, ok, lang), color="gray" if ok is None else "green" if ok else "red",
                    icon=None if ok is None else ":material/check:" if ok else ":material/close:")
    c1, c2 = st.columns(2)
    figs = W.live_figures("cmp.curves", partial(V.live_curve_figures, jobs, task, lang), 0.5 if active0 else None)
    W.chart(figs["cmp_loss"], key="cmp_loss", where=c1, live=True)
    W.chart(figs["cmp_metric"], key="cmp_metric", where=c2, live=True)
    if active0 and not any(s.active for s in snaps.values()):
        st.rerun()  # all finished: redraw once so the timers stop


# The views below change only when a probe arrives: a slower timer, and figures built once per probe.
# (One fragment for everything took about 1 s a run with two jobs training: never idle at 0.5 s.)
@st.fragment(run_every=LF.cadence(V.VIEWS_REFRESH_S, streaming0) if active0 else None)
def live_views():
    snaps = {k: j.snapshot() for k, j in jobs.items()}
    build = partial(V.live_view_figures, jobs, int(ss[state.CMP_GATE_SEQ]) - 1, ss[state.CMP_FIG_CACHE], lang)
    figs = W.live_figures("cmp.views", build, V.VIEWS_REFRESH_S if active0 else None)
    W.chart(figs["cmp_grad"], key="cmp_grad", live=True)
    W.chart(figs["cmp_traj"], key="cmp_traj", live=True)
    st.subheader(t("compare.gates"))
    st.caption(t("compare.gates_caption"))
    st.columns([1, 4])[0].number_input(t("compare.gate_seq"), *ST.bounds(state.CMP_GATE_SEQ), key=state.CMP_GATE_SEQ)
    for k, col in zip(("lstm", "gru"), st.columns(2)):
        W.chart(figs[f"cmp_gates_{k}"], key=f"cmp_gates_{k}", where=col, live=True)
    for k, col in zip(("lstm", "gru"), st.columns(2)):
        W.chart(figs[f"cmp_means_{k}"], key=f"cmp_means_{k}", where=col, live=True)
    for k in ("lstm", "gru"):
        W.chart(figs[f"cmp_sat_{k}"], key=f"cmp_sat_{k}", live=True)
    by_kind = V.finals_by_kind(jobs, ss[state.CMP_FINAL])
    st.subheader(t("compare.summary"))
    target = V.default_target(task, preset)
    st.dataframe(V.summary_table(snaps, sizes, by_kind, task, target, lang=lang), hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format=f)
                                for c, f in V.summary_formats(lang).items()})
    st.caption(t("compare.summary_caption_preset") if preset else t("compare.summary_caption_custom"))
    if task.name == "adding" and len(by_kind) == 3:
        W.chart(V.adding_memory_fig(jobs, lang=lang), key="cmp_mem_adding")
        st.caption(t("compare.adding_caption"))


live_curves()
live_views()

st.subheader(t("compare.memory"))
st.caption(t("compare.memory_caption"))
sweep = SweepSettings(seed=int(ss[state.CMP_SEED]), steps=int(ss[state.CMP_SWEEP_STEPS]),
                      forget_bias=float(ss[state.CMP_FORGET]) or None)
st.select_slider(t("compare.sweep_steps"), ST.options(state.CMP_SWEEP_STEPS), key=state.CMP_SWEEP_STEPS)
if st.button(t("compare.sweep"), key="compare.sweep", icon=":material/timeline:"):
    bar = st.progress(0.0, text=t("compare.sweep_starting"))
    acc = np.zeros((len(CELLS), len(sweep.delays)))
    for j, d in enumerate(sweep.delays):
        for i, k in enumerate(CELLS):
            acc[i, j] = cached(sweep_point, k, d, sweep)  # the server's byte-bounded store (explorer.app.cache)
            bar.progress((j * len(CELLS) + i + 1) / acc.size,
                         text=t("compare.sweep_point", cell=V.FC.cell_name(k, lang), delay=d))
    bar.empty()
    ss[state.CMP_SWEEP_RESULT] = (sweep, acc)
if ss[state.CMP_SWEEP_RESULT] is not None:
    done, acc = ss[state.CMP_SWEEP_RESULT]
    W.chart(V.sweep_fig(done.delays, acc, lang=lang), key="cmp_sweep")
    st.caption(t("compare.sweep_caption", steps=done.steps, batch=done.batch_size, hidden=done.hidden, seed=done.seed,
                 bias=f"{done.forget_bias or 0:g}")
               + V.sweep_summary(done.delays, acc, lang=lang))
