"""Dynamics lab (lecture note sections 1 and 6): state space, fixed points, W_hh spectrum, chaos."""
import contextlib
import time

import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()
from core.dynamics import ChaosSettings, FlipFlopRecipe, lyapunov_at, lyapunov_vs_radius
from core.trace import whh_eigenvalues
from explorer.app import live_feed as LF, report_ui, share_ui, state
from explorer.app import settings as ST
from explorer.app import widgets as W
from explorer.app.job_controls import JobControls, job_row
from explorer.app.cache import cached
from explorer.figures.training import loss_figure
from explorer.jobs import runtime
from explorer.views import dynamics as V
from explorer.views import dynamics_chaos as CHV
from explorer.app.lang import current, fmt, t
from explorer.jobs.runs import run_error_text

ss = st.session_state
lang = current()
st.title(t("dynamics.title"))
st.caption(t("dynamics.caption"))
board = runtime.session_jobs()
CONTROLS = JobControls((V.JOB_NAME,), state.DYN_SIGNATURE, state.DYN_BTN_TRAIN, state.DYN_BTN_PAUSE,
                       state.DYN_BTN_RESET, "dynamics.stale")
st.radio(t("dynamics.model"), ST.options(state.DYN_SOURCE), key=state.DYN_SOURCE, format_func=fmt("dynamics.source"), horizontal=True)

if ss[state.DYN_SOURCE] == "flipflop":
    recipe = FlipFlopRecipe(kind=ss[state.DYN_KIND], hidden=int(ss[state.DYN_HIDDEN]), lr=float(ss[state.DYN_LR]),
                            steps=int(ss[state.DYN_STEPS]), seed=int(ss[state.DYN_SEED]))
    with st.expander(t("dynamics.flipflop.title"), expanded=True):
        st.markdown(t("dynamics.flipflop.intro"))
        c = st.columns([2.6, 2, 2, 1.2, 1])
        c[0].radio(t("dynamics.cell_label"), ST.options(state.DYN_KIND), key=state.DYN_KIND, format_func=fmt("widgets.cell"),
                   horizontal=True)
        c[1].select_slider(t("dynamics.hidden"), ST.options(state.DYN_HIDDEN), key=state.DYN_HIDDEN)
        c[2].select_slider(t("dynamics.lr"), ST.options(state.DYN_LR), key=state.DYN_LR, format_func=lambda v: f"{v:g}",
                           help=t("dynamics.lr_help"))
        c[3].number_input(t("dynamics.steps"), *ST.bounds(state.DYN_STEPS), step=100, key=state.DYN_STEPS)
        c[4].number_input(t("dynamics.seed"), *ST.bounds(state.DYN_SEED), key=state.DYN_SEED)
    def new_run() -> dict:
        return {V.JOB_NAME: V.make_flipflop_job(recipe, ss[state.DEVICE], runtime.limiter())}

    def forget_analyses(new: dict | None = None) -> None:
        """New or no runs: the fixed points and PCA basis of the old one no longer apply."""
        ss[state.DYN_FP_CACHE], ss[state.DYN_ANALYSIS] = None, None
        if new is not None:
            j = new[V.JOB_NAME]
            ss[state.DYN_WHH_INITIAL] = (j.id, whh_eigenvalues(j.trainer.model))

    row = job_row(CONTROLS, recipe, new_run, error=lambda e: run_error_text(e, lang), on_new=forget_analyses,
                  on_reset=forget_analyses)
    job = row.jobs[V.JOB_NAME] if row.jobs else None
    if recipe.kind == "gru":
        st.info(t("dynamics.gru_tol"), icon=":material/info:")
else:
    job = board.get(V.LAB_JOB)
    if job is None:
        st.info(t("dynamics.no_lab_model"))

share_ui.panel("dynamics", (V.JOB_NAME if ss[state.DYN_SOURCE] == "flipflop" else V.LAB_JOB,),
               view={"dims": 3 if ss[state.DYN_VIEW3D] else 2})
share_ui.push("dynamics", "whh_initial", ss[state.DYN_WHH_INITIAL])
if job is None:
    st.info(t("dynamics.press_train") if ss[state.DYN_SOURCE] == "flipflop" else t("dynamics.no_model_needed"))
else:
    st.caption(t("dynamics.analysed", model=V.describe(job, lang)))
    c = st.columns([1, 2, 2, 1.4])
    c[0].toggle(t("dynamics.view3d"), key=state.DYN_VIEW3D, help=t("dynamics.view3d_help"))
    report_ui.dynamics_button(job, report_ui.dynamics_settings(ss[state.DYN_SOURCE], ss[state.DYN_SIGNATURE],
                                                               ss[state.LAB_SIGNATURE], job), where=c[3])
    c[1].radio(t("dynamics.color_by"), ST.options(state.DYN_COLOR), key=state.DYN_COLOR, horizontal=True,
               format_func=fmt("dynamics.color"))
    if c[2].button(t("dynamics.btn.find"), icon=":material/my_location:", key=state.DYN_BTN_FIND):
        ss[state.DYN_FP_CACHE] = None  # the fragment below recomputes once
    active0 = job.snapshot().active
    initial = ss[state.DYN_WHH_INITIAL]
    initial = initial[1] if initial is not None and initial[0] == job.id else None

    # While the session's stream carries the two charts (explorer.app.live_feed), the fragment
    # reruns only for the status line: each rerun costs the browser's busy thread.
    streaming0 = LF.streaming()
    loss_title = t("dynamics.loss_title")

    def training_figures() -> dict:
        """W_hh's eigenvalues and the loss (no st calls: the session's stream builds these too)."""
        snap = job.snapshot()
        eig, step = V.live_whh(job)
        return {"dyn_whh": V.whh_eig_fig_from(eig, job.trainer.model.config.kind, step, initial, lang=lang),
                "dyn_loss": loss_figure(snap.steps, snap.loss, snap.val_steps, snap.val_loss,
                                        job.trainer.task.baseline_loss, title=loss_title, lang=lang)}

    @st.fragment(run_every=LF.cadence(0.5, streaming0) if active0 else None)
    def training_live():
        snap = job.snapshot()
        W.status_line(snap, runtime.limiter().limit)
        if active0 and LF.streaming() != streaming0:
            st.rerun()  # the stream came or went: redraw the page once so the timers follow
        c1, c2 = st.columns(2)
        figs = W.live_figures("dyn.training", training_figures, 0.5 if active0 else None)
        W.chart(figs["dyn_whh"], key="dyn_whh", where=c1, live=True)
        W.chart(figs["dyn_loss"], key="dyn_loss", where=c2, live=True)

    @st.fragment(run_every=(3.0 if ss[state.DYN_VIEW3D] else 1.0) if active0 else None)
    def space_live():
        active = job.snapshot().active
        a = ss[state.DYN_ANALYSIS] = V.fresh_analysis(job, ss[state.DYN_ANALYSIS], time.monotonic(), active)
        old, slot = ss[state.DYN_FP_CACHE], st.empty()  # the slot keeps later elements in place
        with slot.container():
            with st.spinner(t("dynamics.spinner")) if (
                    not active or old is None or old["entry"] is None) else contextlib.nullcontext():
                cache = ss[state.DYN_FP_CACHE] = V.update_fixed_points(old, job.id, a, active, time.monotonic())
        slot.empty()
        cache = cache["entry"]
        fp, summ = cache["fp"], cache["summary"]
        share_ui.push("dynamics", "space", {"job": job.id, "analysis": a, "entry": cache, "dims": 3 if ss[state.DYN_VIEW3D]
                                            else 2, "color_by": ss[state.DYN_COLOR]})  # followers never search again
        m = st.columns(4)
        m[0].metric(t("dynamics.metric.points"), summ.n_points, help=t("dynamics.metric.points_help", step=cache["step"]))
        m[1].metric(t("dynamics.metric.stable"), summ.n_stable)
        m[2].metric(t("dynamics.metric.unstable"), summ.n_points - summ.n_stable)
        if V.is_flipflop(a):
            m[3].metric(t("dynamics.metric.memories"), len(summ.corners), help=t("dynamics.metric.memories_help"))
            st.markdown(t("dynamics.memories_line") + " " + V.corners_text(summ, lang))
        dims = 3 if ss[state.DYN_VIEW3D] else 2
        W.chart(V.state_space_fig(a, fp, dims=dims, color_by=ss[state.DYN_COLOR], labels=summ.labels,
                                  max_points=V.LIVE_POINTS if active else 8000, lang=lang), key="dyn_space", live=True)
        j1, j2 = st.columns(2)
        W.chart(V.jacobian_eig_fig(fp, cache["step"], lang=lang), key="dyn_jac", where=j1, live=True)
        fmts = {"max |λ|": "%.3f", "q": "%.1e"}
        j2.dataframe(V.fixed_point_table(fp, summ.labels), hide_index=True, height=440, column_config={
            col: st.column_config.NumberColumn(label, format=fmts[col]) if col in fmts else st.column_config.Column(label)
            for col, label in V.table_labels(lang).items()})
        if active0 and not active:
            st.rerun()  # training ended: one full run so the timers stop

    training_live()
    st.subheader(t("dynamics.space.title"))
    st.caption(t("dynamics.space.caption", seconds=V.FP_INTERVAL_S))
    space_live()

st.subheader(t("dynamics.sens.title"))
c = st.columns([2, 1.4, 1.6, 1.6])
c[0].radio(t("dynamics.sens.network"), ST.options(state.DYN_SENS_SOURCE), key=state.DYN_SENS_SOURCE, horizontal=True,
           format_func=fmt("dynamics.sens.source"))
use_model = ss[state.DYN_SENS_SOURCE] == "model" and job is not None
if use_model:
    c[1].number_input(t("dynamics.sens.seq"), *ST.bounds(state.DYN_SENS_SEQ), key=state.DYN_SENS_SEQ)
else:
    c[1].slider(t("dynamics.sens.rho"), *ST.bounds(state.DYN_SENS_RHO), step=0.05, key=state.DYN_SENS_RHO)
c[2].slider(t("dynamics.sens.k"), *ST.bounds(state.DYN_SENS_K), key=state.DYN_SENS_K)
c[3].select_slider("δ", ST.options(state.DYN_SENS_DELTA), key=state.DYN_SENS_DELTA, format_func=lambda v: f"{v:g}")
k, delta = int(ss[state.DYN_SENS_K]), float(ss[state.DYN_SENS_DELTA])
chaos = ChaosSettings(input_scale=float(ss[state.DYN_CHAOS_INPUT]))
if use_model:
    sens = CHV.model_sensitivity(V.fresh_analysis(job, ss[state.DYN_ANALYSIS], time.monotonic(), job.snapshot().active), int(ss[state.DYN_SENS_SEQ]) - 1, k, delta)
    what = t("dynamics.sens.what_model")
else:
    sens = cached(CHV.untrained_sensitivity, float(ss[state.DYN_SENS_RHO]), k, delta, chaos)
    what = t("dynamics.sens.what_untrained", rho=ss[state.DYN_SENS_RHO])
    if ss[state.DYN_SENS_SOURCE] == "model":
        st.caption(t("dynamics.sens.no_model"))
W.chart(CHV.growth_fig(sens, what, lang=lang), key="dyn_growth")
st.caption(CHV.sensitivity_text(sens, lang))

st.subheader(t("dynamics.chaos.title"))
st.select_slider(t("dynamics.chaos.input"), ST.options(state.DYN_CHAOS_INPUT), key=state.DYN_CHAOS_INPUT,
                 help=t("dynamics.chaos.input_help"))
lam = cached(lyapunov_vs_radius, CHV.CHAOS_RADII, chaos)
cur = None if use_model else (float(ss[state.DYN_SENS_RHO]), lyapunov_at(float(ss[state.DYN_SENS_RHO]), chaos))
W.chart(CHV.chaos_fig(lam, cur, lang=lang), key="dyn_chaos")
st.caption(CHV.chaos_text(lam, lang))
