"""Gradient flow lab (lecture note section 6): vanishing and exploding gradients, measured."""
import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()
from core import gradients as G
from explorer import gradient_views as V
from explorer import runtime, state

ss = st.session_state
runtime.limiter()  # the server-wide resource also pins torch to one intra-op thread (fast for small nets)
st.title("Gradient flow")
st.caption("Section 6 of the lecture note: vanishing and exploding gradients and long-term dependency, "
           "with Pascanu, Mikolov & Bengio (2013)'s bound; the remedies of section 7 (LSTM's cell "
           "state, GRU's update gate) and gradient clipping.")

flows_cached = st.cache_data(V.untrained_flows, show_spinner="Measuring ‖∂L/∂h_t‖…", max_entries=64)
jac_cached = st.cache_data(V.untrained_jacobians, show_spinner="Jacobians along the trajectory…",
                           max_entries=16)
cliff_cached = st.cache_data(V.cliff_data, show_spinner=False, max_entries=16)


@st.cache_data(show_spinner="Measuring the Training lab model's gradients…", max_entries=4)
def lab_cached(job_id: int, step: int, _src):
    return V.lab_flow(_src)  # the source itself holds a Task, which does not pickle


@st.cache_data(show_spinner="Jacobians along the trajectory…", max_entries=4)
def lab_jac_cached(job_id: int, step: int, steps: int, _src, _flows):
    x = _src.batch.x[0]
    if _src.batch.lengths is not None:
        x = x[: int(_src.batch.lengths[0])]
    return V.jacobian_data({_src.model.config.kind: (_src.model, x)}, _flows, steps)


job = runtime.session_jobs().get("lab")
st.radio("Model", list(V.SOURCES), format_func=V.SOURCES.get, key=state.GF_SOURCE, horizontal=True)
use_lab = ss[state.GF_SOURCE] == "lab" and job is not None
if ss[state.GF_SOURCE] == "lab" and job is None:
    st.info("No Training lab run yet: showing untrained models. Start a run in the Training lab first.")

if use_lab:
    src = V.lab_source(job)
    flows = lab_cached(id(job), src.step, src)
    kinds = tuple(flows)
    setup = None
    st.markdown(f"**Training lab model:** {src.label}. The gradient is the total derivative of the task's "
                "own loss" + (" (read at the end: the clean setting)." if flows[kinds[0]].many_to_one else
                              ", which has a term at every step, so the curve also collects local losses."))
else:
    with st.container(border=True):
        c = st.columns(4)
        c[0].multiselect("Cells", V.KINDS, key=state.GF_CELLS, format_func=V.FG.CELL_NAMES.get)
        c[0].selectbox("Activation (vanilla RNN)", ("tanh", "relu", "linear"), key=state.GF_ACT)
        c[1].selectbox("W_hh initialisation", list(V.INIT_LABELS), key=state.GF_INIT,
                       format_func=V.INIT_LABELS.get, help="Every H×H block of W_hh is then rescaled to "
                       "the spectral radius ρ (LSTM and GRU: all gate blocks).")
        c[1].select_slider("Spectral radius ρ(W_hh) at initialisation", V.RHO_OPTIONS, key=state.GF_RHO)
        c[2].select_slider("Sequence length T", V.SEQ_LEN_OPTIONS, key=state.GF_SEQ_LEN)
        c[2].select_slider("Hidden units H", V.HIDDEN_OPTIONS, key=state.GF_HIDDEN)
        c[3].select_slider("Input scale", V.INPUT_SCALE_OPTIONS, key=state.GF_INPUT_SCALE,
                           help="Inputs are multiplied by this: large inputs saturate tanh and gates.")
        c[3].number_input("Seed", 0, 10_000, key=state.GF_SEED)
    kinds = tuple(k for k in V.KINDS if k in ss[state.GF_CELLS]) or ("rnn",)
    setup = G.FlowSetup(nonlinearity=ss[state.GF_ACT], spectral_radius=float(ss[state.GF_RHO]),
                        recurrent_init=ss[state.GF_INIT], seq_len=int(ss[state.GF_SEQ_LEN]),
                        hidden_size=int(ss[state.GF_HIDDEN]), input_scale=float(ss[state.GF_INPUT_SCALE]),
                        seed=int(ss[state.GF_SEED]))
    flows = flows_cached(setup, kinds)

# One view at a time: only the chosen one is computed (the Jacobians and the clipping runs cost seconds).
view = st.radio("View", V.VIEWS, key=state.GF_TAB, horizontal=True, label_visibility="collapsed")

if view == V.VIEWS[0]:
    if not use_lab:
        st.caption("The task is the adding problem with one output read at the **last** step "
                   "(many-to-one), so ‖∂L/∂h_t‖ shows how the end-of-sequence gradient reaches early "
                   "steps: the clean setting of Pascanu et al. Same input for every cell.")
    fits = V.fits(flows)
    st.toggle("Show the Pascanu bound (vanilla RNN)", key=state.GF_BOUND)
    for note in V.overflow_notes(flows):
        st.warning(note)
    st.plotly_chart(V.flow_fig(flows, fits, ss[state.GF_BOUND]), key="gf_flow")
    st.dataframe(V.flow_table(flows, fits), hide_index=True, width="stretch")
    st.caption(f"Verdict: a straight line is fitted to log‖∂L/∂h_t‖ (dotted), leaving out the last "
               f"{G.SKIP_END} steps; falling more than 10× per 100 steps back is *vanishing*, rising "
               "more than 10× is *exploding*, anything flatter is *stable*. An overflow is exploding, "
               "an underflow to exactly 0 is vanishing. Computed in float64.")
    if "rnn" in flows:
        act = src.model.config.nonlinearity if use_lab else ss[state.GF_ACT]
        init = "trained" if use_lab else ss[state.GF_INIT]
        st.markdown("\n".join(f"- {line}" for line in V.theory_lines(
            flows["rnn"], act, init, None if use_lab else ss[state.GF_RHO])))

elif view == V.VIEWS[1]:
    T = next(iter(flows.values())).grad_norm.size
    H = src.model.config.hidden_size if use_lab else int(ss[state.GF_HIDDEN])
    steps, jkinds, note = V.jacobian_plan(T, H, kinds)
    if note:
        st.info(note)
    if jkinds:
        jd = (lab_jac_cached(id(job), src.step, steps, src, flows) if use_lab
              else jac_cached(setup, jkinds, steps))
        st.plotly_chart(V.product_fig(jd), key="gf_products")
        st.caption("Solid: the norm of J_(T−1)…J_(t+1), J_k = ∂s_k/∂s_(k−1) (s = h; LSTM: s = [h, c]), "
                   "how much of a change at step t survives to the end. Dashed and dotted: the product "
                   "of the gate on each gated cell's direct path. LSTM: c_k = f_k⊙c_(k−1) + i_k⊙g_k, "
                   "so ∂c_T/∂c_t = diag(∏ f_k) along the cell state (the constant error carousel). "
                   "GRU as torch defines it: h_k = (1 − z_k)⊙n_k + z_k⊙h_(k−1), so the direct path "
                   "carries ∏ z_k (the update gate z, not 1 − z).")
        st.plotly_chart(V.singular_fig(jd), key="gf_singular")
        st.caption("Every factor's singular values: when σ_max stays under 1 the product must "
                   "shrink; factors above 1 can make it grow.")

elif view == V.VIEWS[2]:
    st.markdown("An exploding configuration, Le et al. (2015)'s **IRNN** (ReLU, W_hh = I, ρ = 1) "
                "forecasting a sine wave (T = 50, H = 32) with SGD + momentum: trained twice from "
                "the same initialisation on the same data, without and with gradient clipping.")
    c = st.columns([1, 1, 1, 1])
    c[0].select_slider("Learning rate", (0.003, 0.01, 0.02, 0.03), key=state.GF_CLIP_LR)
    c[1].select_slider("Clip threshold", (0.1, 0.3, 1.0, 3.0, 10.0), key=state.GF_CLIP_THRESHOLD)
    c[2].select_slider("Steps per run", (50, 100, 150, 200, 300), key=state.GF_CLIP_STEPS)
    clip_setup = G.ClipSetup(lr=float(ss[state.GF_CLIP_LR]), clip=float(ss[state.GF_CLIP_THRESHOLD]),
                             steps=int(ss[state.GF_CLIP_STEPS]))
    if c[3].button("Train both", icon=":material/play_arrow:", type="primary", key="gf_clip_run"):
        with st.spinner("Training without and with clipping…"):
            ss[state.GF_CLIP_RESULT] = (clip_setup, G.run_clipping_comparison(clip_setup))
    res = ss[state.GF_CLIP_RESULT]
    if res is None:
        st.info("Press **Train both** (a few seconds).")
    else:
        used, r = res
        if used != clip_setup:
            st.caption("Settings changed: **Train both** reruns the comparison.")
        f1, f2 = V.clipping_figs(r)
        c = st.columns(2)
        c[0].plotly_chart(f1, key="gf_clip_loss")
        c[1].plotly_chart(f2, key="gf_clip_grad")
        s = V.clipping_summary(r)
        m = st.columns(4)
        m[0].metric("Loss, last 20 steps, no clipping", f"{s['loss_plain']:.3g}")
        m[1].metric(f"Loss, last 20 steps, clipped at {r.clip:g}", f"{s['loss_clip']:.3g}")
        m[2].metric("Largest gradient norm, no clipping", f"{s['max_grad_plain']:.3g}")
        m[3].metric("Steps clipped", f"{s['clipped_steps']} of {len(r.steps)}")
        st.caption(f"Clipping rescales the whole gradient to norm {r.clip:g} when it is longer: the "
                   "direction is kept, the step size is bounded. Steps whose loss overflowed are rolled "
                   f"back ({s['diverged_plain']} without clipping). Both runs took {s['seconds']:.1f} s.")

elif view == V.VIEWS[3]:
    st.markdown("Pascanu et al.'s single unit: **x_t = w·σ(x_(t−1)) + b**, x_0 = 0.5, loss "
                "(x_50 − 0.7)². Where the map turns bistable a tiny change of (w, b) flips x_50 to "
                "the other branch: a wall in the loss surface whose gradient is huge.")
    c = st.columns(6)
    c[0].selectbox("σ", ("sigmoid", "tanh"), key=state.GF_CLIFF_SIGMA)
    c[1].number_input("start w", *V.CLIFF_W, step=0.5, key=state.GF_CLIFF_W0)
    c[2].number_input("start b", *V.CLIFF_B, step=0.5, key=state.GF_CLIFF_B0)
    c[3].select_slider("step size", (0.001, 0.003, 0.01, 0.03, 0.1), key=state.GF_CLIFF_LR)
    c[4].select_slider("steps", (50, 100, 200, 400), key=state.GF_CLIFF_STEPS)
    c[5].select_slider("clip at", (0.5, 1.0, 2.0, 5.0, 10.0), key=state.GF_CLIFF_CLIP)
    cd = cliff_cached(ss[state.GF_CLIFF_SIGMA], float(ss[state.GF_CLIFF_W0]), float(ss[state.GF_CLIFF_B0]),
                      float(ss[state.GF_CLIFF_LR]), int(ss[state.GF_CLIFF_STEPS]),
                      float(ss[state.GF_CLIFF_CLIP]))
    surf, lossf = V.cliff_figs(cd)
    c = st.columns([3, 2])
    c[0].plotly_chart(surf, key="gf_cliff")
    c[1].plotly_chart(lossf, key="gf_cliff_loss")
    jp, kp = V.largest_jump(cd.plain)
    jc, _ = V.largest_jump(cd.clipped)
    c[1].markdown(f"- Largest single step without clipping: **{jp:.3g}** (step {kp}), gradient norm up to "
                  f"**{cd.plain.grad_norm.max():.3g}**.\n- With clipping every step is at most step size × "
                  f"threshold = **{ss[state.GF_CLIFF_LR] * ss[state.GF_CLIFF_CLIP]:.3g}** "
                  f"(largest: {jc:.3g}).\n- Final loss: {cd.plain.loss[-1]:.3g} without, "
                  f"{cd.clipped.loss[-1]:.3g} with clipping.")
