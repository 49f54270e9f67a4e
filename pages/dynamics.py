"""Dynamics lab (lecture note sections 1 and 6): state space, fixed points, W_hh spectrum, chaos."""
import contextlib
import time

import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()
from core.dynamics import ChaosSettings, FlipFlopRecipe, lyapunov_at, lyapunov_vs_radius
from core.trace import whh_eigenvalues
from explorer import dynamics_views as V
from explorer import runtime, state
from explorer import widgets as W
from explorer.figures.training import loss_figure

ss = st.session_state
st.title("Dynamics lab")
st.caption("Section 1 of the lecture note (an RNN is a dynamical system x_t = f(x_{t-1}, u_t)) and section 6 "
           "(why gradients vanish or explode): where the hidden state goes, where it rests (fixed points and "
           "their stability), how W_hh's spectrum moves in training, and when tiny differences grow (chaos).")
board = runtime.session_jobs()
st.radio("Model", list(V.SOURCES), key=state.DYN_SOURCE, format_func=V.SOURCES.get, horizontal=True)

if ss[state.DYN_SOURCE] == "flipflop":
    recipe = FlipFlopRecipe(kind=ss[state.DYN_KIND], hidden=int(ss[state.DYN_HIDDEN]), lr=float(ss[state.DYN_LR]),
                            steps=int(ss[state.DYN_STEPS]), seed=int(ss[state.DYN_SEED]))
    with st.expander("3-bit flip-flop (Sussillo & Barak 2013)", expanded=True):
        st.markdown("Three input channels carry rare ±1 pulses; each output must hold the sign of the last pulse "
                    "on its channel. Three bits make **8 memories**, and a trained network keeps each one as a "
                    "**stable fixed point** of h → F(h, u = 0). Press **Train** and watch them appear.")
        c = st.columns([2.6, 2, 2, 1.2, 1])
        c[0].radio("Cell", ["rnn", "lstm", "gru"], key=state.DYN_KIND, format_func=W.CELL_LABELS.get, horizontal=True)
        c[1].select_slider("Hidden units H", [16, 32, 64], key=state.DYN_HIDDEN)
        c[2].select_slider("Learning rate (Adam)", [1e-3, 3e-3, 1e-2], key=state.DYN_LR, format_func=lambda v: f"{v:g}",
                           help="3e-3: the memories appear over a few hundred steps; 1e-2: within ~150.")
        c[3].number_input("Steps", 100, 20_000, step=100, key=state.DYN_STEPS)
        c[4].number_input("Seed", 0, 2**31 - 1, key=state.DYN_SEED)
    job = board.get(V.JOB_NAME)
    stale = job is not None and ss[state.DYN_SIGNATURE] != recipe
    b = st.columns([1, 1, 1, 4])
    if b[0].button("Train", icon=":material/play_arrow:", type="primary", key=state.DYN_BTN_TRAIN,
                   use_container_width=True, help="Start or resume (a new run if the settings changed)."):
        if job is None or stale:
            job = V.make_flipflop_job(recipe, ss[state.DEVICE], runtime.limiter())
            board.put(V.JOB_NAME, job)
            ss[state.DYN_SIGNATURE], ss[state.DYN_FP_CACHE], ss[state.DYN_ANALYSIS] = recipe, None, None
            ss[state.DYN_WHH_INITIAL] = (job.id, whh_eigenvalues(job.trainer.model))
            stale = False
        job.start()
    if b[1].button("Pause", icon=":material/pause:", key=state.DYN_BTN_PAUSE, disabled=job is None,
                   use_container_width=True):
        job.pause()
    if b[2].button("Reset", icon=":material/restart_alt:", key=state.DYN_BTN_RESET, disabled=job is None,
                   use_container_width=True):
        board.remove(V.JOB_NAME)
        job, ss[state.DYN_FP_CACHE], ss[state.DYN_ANALYSIS], ss[state.DYN_SIGNATURE] = None, None, None, None
    if stale:
        b[3].info("Settings changed: **Train** starts a new run.")
    if recipe.kind == "gru":
        st.info(V.TOL_NOTE, icon=":material/info:")
else:
    job = board.get(V.LAB_JOB)
    if job is None:
        st.info("The Training lab has no model yet: train one there, or pick the flip-flop preset.")

if job is None:
    st.info("Press **Train** to train the flip-flop network in the background." if ss[state.DYN_SOURCE] == "flipflop"
            else "The sections below on sensitivity and the edge of chaos work without a model.")
else:
    st.caption(f"Analysed: {V.describe(job)}. Layer 1, forward direction; fixed points at constant input u = 0.")
    c = st.columns([1, 2, 2])
    c[0].toggle("3-D view", key=state.DYN_VIEW3D, help="Costs the browser more: refreshed every 3 s instead of every second.")
    c[1].radio("Colour the states by", ["time", "target"], key=state.DYN_COLOR, horizontal=True,
               format_func={"time": "time step t", "target": "target (class / memory)"}.get)
    if c[2].button("Find fixed points now", icon=":material/my_location:", key=state.DYN_BTN_FIND):
        ss[state.DYN_FP_CACHE] = None  # the fragment below recomputes once
    active0 = job.snapshot().active
    initial = ss[state.DYN_WHH_INITIAL]
    initial = initial[1] if initial is not None and initial[0] == job.id else None

    @st.fragment(run_every=0.5 if active0 else None)
    def training_live():
        snap = job.snapshot()
        W.status_line(snap, runtime.limiter().limit)
        c1, c2 = st.columns(2)
        eig, step = V.live_whh(job)
        c1.plotly_chart(V.whh_eig_fig_from(eig, job.trainer.model.config.kind, step, initial), key="dyn_whh")
        c2.plotly_chart(loss_figure(snap.steps, snap.loss, snap.val_steps, snap.val_loss,
                                    job.trainer.task.baseline_loss, title="Loss (log axis)"), key="dyn_loss")

    @st.fragment(run_every=(3.0 if ss[state.DYN_VIEW3D] else 1.0) if active0 else None)
    def space_live():
        active = job.snapshot().active
        a = ss[state.DYN_ANALYSIS] = V.fresh_analysis(job, ss[state.DYN_ANALYSIS], time.monotonic(), active)
        old, slot = ss[state.DYN_FP_CACHE], st.empty()  # the slot keeps later elements in place
        with slot.container():
            with st.spinner("Finding fixed points (1-2 s)…") if (
                    not active or old is None or old["entry"] is None) else contextlib.nullcontext():
                cache = ss[state.DYN_FP_CACHE] = V.update_fixed_points(old, job.id, a, active, time.monotonic())
        slot.empty()
        cache = cache["entry"]
        fp, summ = cache["fp"], cache["summary"]
        m = st.columns(4)
        m[0].metric("Fixed points", summ.n_points, help=f"Searched at step {cache['step']:,}.")
        m[1].metric("Stable", summ.n_stable)
        m[2].metric("Unstable", summ.n_points - summ.n_stable)
        if V.is_flipflop(a):
            m[3].metric("Memories held (of 8)", len(summ.corners),
                        help="Flip-flop states whose readout lies within 0.3 of a ±1 corner at a stable point.")
            st.markdown("Memories held by a stable fixed point: " + V.corners_text(summ))
        dims = 3 if ss[state.DYN_VIEW3D] else 2
        st.plotly_chart(V.state_space_fig(a, fp, dims=dims, color_by=ss[state.DYN_COLOR], labels=summ.labels,
                                          max_points=V.LIVE_POINTS if active else 8000), key="dyn_space")
        j1, j2 = st.columns(2)
        j1.plotly_chart(V.jacobian_eig_fig(fp, cache["step"]), key="dyn_jac")
        j2.dataframe(V.fixed_point_table(fp, summ.labels), hide_index=True, height=440, column_config={
            "max |λ|": st.column_config.NumberColumn(format="%.3f"), "q": st.column_config.NumberColumn(format="%.1e")})
        if active0 and not active:
            st.rerun()  # training ended: one full run so the timers stop

    training_live()
    st.subheader("State space")
    st.caption("Each grey path is one held-out sequence; PCA of the hidden part h (an LSTM's state is [h, c]: "
               "h is projected). Fixed points are searched from visited states by minimising ½‖F(s) − s‖² "
               f"(re-searched at most every {V.FP_INTERVAL_S:.0f} s while training).")
    space_live()

st.subheader("Sensitivity: perturb h_k by δ")
c = st.columns([2, 1.4, 1.6, 1.6])
c[0].radio("Network", ["model", "untrained"], key=state.DYN_SENS_SOURCE, horizontal=True,
           format_func={"model": "the model above", "untrained": "untrained tanh RNN (H = 64)"}.get)
use_model = ss[state.DYN_SENS_SOURCE] == "model" and job is not None
if use_model:
    c[1].number_input("Held-out sequence", 1, V.N_SEQUENCES, key=state.DYN_SENS_SEQ)
else:
    c[1].slider("Spectral radius ρ", 0.5, 2.0, step=0.05, key=state.DYN_SENS_RHO)
c[2].slider("Perturbed step k", 0, 90, key=state.DYN_SENS_K)
c[3].select_slider("δ", [1e-9, 1e-6, 1e-3], key=state.DYN_SENS_DELTA, format_func=lambda v: f"{v:g}")
k, delta = int(ss[state.DYN_SENS_K]), float(ss[state.DYN_SENS_DELTA])
chaos = ChaosSettings(input_scale=float(ss[state.DYN_CHAOS_INPUT]))
if use_model:
    sens = V.model_sensitivity(V.fresh_analysis(job, ss[state.DYN_ANALYSIS], time.monotonic(), job.snapshot().active), int(ss[state.DYN_SENS_SEQ]) - 1, k, delta)
    what = "the model above"
else:
    sens = st.cache_data(show_spinner=False, max_entries=64)(V.untrained_sensitivity)(
        float(ss[state.DYN_SENS_RHO]), k, delta, chaos)
    what = f"untrained tanh RNN, ρ = {ss[state.DYN_SENS_RHO]:.2f}"
    if ss[state.DYN_SENS_SOURCE] == "model":
        st.caption("No model yet: showing the untrained network.")
st.plotly_chart(V.growth_fig(sens, what), key="dyn_growth")
st.caption(V.sensitivity_text(sens))

st.subheader("The edge of chaos")
st.select_slider("Input std of the sweep", [0.0, 0.1, 0.5, 1.0], key=state.DYN_CHAOS_INPUT,
                 help="Stronger input drives the network and pushes the onset of chaos to larger ρ.")
lam = st.cache_data(show_spinner=False, max_entries=16)(lyapunov_vs_radius)(V.CHAOS_RADII, chaos)
cur = None if use_model else (float(ss[state.DYN_SENS_RHO]), lyapunov_at(float(ss[state.DYN_SENS_RHO]), chaos))
st.plotly_chart(V.chaos_fig(lam, cur), key="dyn_chaos")
st.caption(V.chaos_text(lam))
