"""Gradient flow lab (lecture note section 6): vanishing and exploding gradients, measured."""
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()
from core import gradients as G
from explorer.app import settings as ST
from explorer.app import state
from explorer.app import widgets as W  # noqa: E402
from explorer.app.lang import current, fmt, t
from explorer.jobs import runtime
from explorer.views import gradient_flow as V
from explorer.views import gradient_flow_story as S
from core.budget import BudgetError
from core.page_costs import check_page, flow_cost
from explorer.app.cache import cached
from explorer.views.data_errors import budget_error_text

ss = st.session_state
lang = current()
runtime.limiter()  # the server-wide resource also pins torch to one intra-op thread (fast for small nets)
st.title(t("nav.gradient_flow.title"))
st.caption(t("gradient.caption"))

# Results go to the server's byte-bounded store (explorer.app.cache); each computation's cost is checked
# first (core.page_costs): a link asking for too much gets a message saying what to reduce.
def checked(cost, key: str, fn, *args, spinner: str, cache_key: tuple = ()):
    try:
        check_page(cost, key=key)
    except BudgetError as e:
        st.warning(budget_error_text(e, lang), icon=":material/speed:")
        st.stop()
    with st.spinner(spinner):
        return cached(fn, *args, key=cache_key)


def trained_flows(setup, kinds):
    """The cells of a setting after a short training (seconds), kept per setting; their flows and losses."""
    models = cached(V.trained_models, setup, kinds)
    return V.model_flows(models, setup), {k: loss for k, (_, loss) in models.items()}


def trained_jacobians(setup, kinds, steps):
    models = cached(V.trained_models, setup, kinds)
    return V.model_jacobians(models, setup, V.model_flows(models, setup), steps)


job = runtime.session_jobs().get("lab")
st.radio(t("gradient.source_label"), ST.options(state.GF_SOURCE), format_func=fmt("gradient.source"), key=state.GF_SOURCE,
         horizontal=True)
use_lab = ss[state.GF_SOURCE] == "lab" and job is not None
trained = ss[state.GF_SOURCE] == "trained"
if ss[state.GF_SOURCE] == "lab" and job is None:
    st.info(t("gradient.no_lab"))

if use_lab:
    src = V.lab_source(job, lang)
    mc = src.model.config
    flows = checked(flow_cost((mc.kind,), src.batch.x.shape[1], mc.hidden_size, batch=src.batch.x.shape[0],
                              layers=mc.num_layers, bidirectional=mc.bidirectional, input_size=mc.input_size,
                              output_size=mc.output_size), "page.lab_flow", V.lab_flow, src,
                    spinner=t("gradient.spinner_lab"), cache_key=("lab", job.id, src.step))
    kinds = tuple(flows)
    setup = None
    st.markdown(t("gradient.lab_model_end" if flows[kinds[0]].many_to_one else "gradient.lab_model_every",
                  label=src.label))
else:
    with st.container(border=True):
        c = st.columns([1.4, 1, 1, 1])  # room for the three cells in the multiselect
        c[0].multiselect(t("gradient.cells"), ST.options(state.GF_CELLS), key=state.GF_CELLS, format_func=V.FG.CELL_NAMES.get)
        c[0].selectbox(t("gradient.activation"), ST.options(state.GF_ACT), key=state.GF_ACT, format_func=fmt("gradient.act"))
        c[0].select_slider(t("gradient.forget_bias"), ST.options(state.GF_FORGET), key=state.GF_FORGET,
                           help=t("gradient.forget_bias_help"),
                           format_func=lambda v, d=t("gradient.forget_bias_default"): d if v == 0 else f"{v:g}")
        c[1].selectbox(t("gradient.init_label"), ST.options(state.GF_INIT), key=state.GF_INIT, format_func=fmt("gradient.init"),
                       help=t("gradient.init_help"))
        c[1].select_slider(t("gradient.rho"), ST.options(state.GF_RHO), key=state.GF_RHO)
        c[2].select_slider(t("gradient.seq_len"), ST.options(state.GF_SEQ_LEN), key=state.GF_SEQ_LEN)
        c[2].select_slider(t("gradient.hidden"), ST.options(state.GF_HIDDEN), key=state.GF_HIDDEN)
        c[3].select_slider(t("gradient.input_scale"), ST.options(state.GF_INPUT_SCALE), key=state.GF_INPUT_SCALE,
                           help=t("gradient.input_scale_help"))
        c[3].number_input(t("gradient.seed"), *ST.bounds(state.GF_SEED), key=state.GF_SEED)
    kinds = tuple(k for k in V.KINDS if k in ss[state.GF_CELLS]) or ("rnn",)
    setup = G.FlowSetup(nonlinearity=ss[state.GF_ACT], spectral_radius=float(ss[state.GF_RHO]),
                        recurrent_init=ss[state.GF_INIT], seq_len=int(ss[state.GF_SEQ_LEN]),
                        hidden_size=int(ss[state.GF_HIDDEN]), input_scale=float(ss[state.GF_INPUT_SCALE]),
                        seed=int(ss[state.GF_SEED]), forget_bias=float(ss[state.GF_FORGET]) or None)
    cost = flow_cost(kinds, setup.seq_len, setup.hidden_size, batch=setup.batch_size)
    if trained:
        flows, train_losses = checked(cost, "page.flow", trained_flows, setup, kinds,
                                      spinner=t("gradient.spinner_training"))
    else:
        flows = checked(cost, "page.flow", V.untrained_flows, setup, kinds, spinner=t("gradient.spinner_flows"))

# One view at a time: only the chosen one is computed (the Jacobians and the clipping runs cost seconds).
view_labels = {v: t(f"gradient.view.{k}") for v, k in V.VIEW_KEYS.items()}  # bound now, not in format_func
view = st.radio(t("gradient.view_label"), ST.options(state.GF_TAB), key=state.GF_TAB, horizontal=True,
                label_visibility="collapsed", format_func=view_labels.get)

if view == V.VIEWS[0]:
    if not use_lab:
        st.caption(t("gradient.flow_caption"))
    fits = V.fits(flows)
    st.toggle(t("gradient.show_bound"), key=state.GF_BOUND)
    for note in V.overflow_notes(flows, lang):
        st.warning(note)
    W.chart(V.flow_fig(flows, fits, ss[state.GF_BOUND], lang=lang), key="gf_flow")
    source = "lab" if use_lab else ss[state.GF_SOURCE]
    st.markdown(S.story(flows, fits, source, 0.0 if use_lab else float(ss[state.GF_FORGET]), V.TRAINING, lang))
    if trained:
        st.caption(V.trained_note(train_losses, lang))
    st.table(V.flow_table(flows, fits, lang), hide_index=True)  # static: every column in view, cells wrap
    st.caption(t("gradient.verdict_caption", skip=G.SKIP_END))
    if "rnn" in flows:
        act = src.model.config.nonlinearity if use_lab else ss[state.GF_ACT]
        init = "trained" if use_lab or trained else ss[state.GF_INIT]
        st.markdown("\n".join(f"- {line}" for line in V.theory_lines(
            flows["rnn"], act, init, None if use_lab or trained else ss[state.GF_RHO], lang=lang)))

elif view == V.VIEWS[1]:
    T = next(iter(flows.values())).grad_norm.size
    H = src.model.config.hidden_size if use_lab else int(ss[state.GF_HIDDEN])
    steps, jkinds, note = V.jacobian_plan(T, H, kinds, lang)
    if note:
        st.info(note)
    if jkinds:
        with st.spinner(t("gradient.spinner_jacobians")):
            jd = (cached(V.lab_jacobians, src, flows, steps, key=("lab", job.id, src.step, steps)) if use_lab
                  else cached(trained_jacobians, setup, jkinds, steps) if trained
                  else cached(V.untrained_jacobians, setup, jkinds, steps))
        W.chart(V.product_fig(jd, lang), key="gf_products")
        st.caption(t("gradient.products_caption"))
        W.chart(V.singular_fig(jd, lang), key="gf_singular")
        st.caption(t("gradient.singular_caption"))

elif view == V.VIEWS[2]:
    st.markdown(t("gradient.clip_intro"))
    c = st.columns([1, 1, 1, 1])
    c[0].select_slider(t("gradient.clip_lr"), ST.options(state.GF_CLIP_LR), key=state.GF_CLIP_LR)
    c[1].select_slider(t("gradient.clip_threshold"), ST.options(state.GF_CLIP_THRESHOLD), key=state.GF_CLIP_THRESHOLD)
    c[2].select_slider(t("gradient.clip_steps"), ST.options(state.GF_CLIP_STEPS), key=state.GF_CLIP_STEPS)
    clip_setup = G.ClipSetup(lr=float(ss[state.GF_CLIP_LR]), clip=float(ss[state.GF_CLIP_THRESHOLD]),
                             steps=int(ss[state.GF_CLIP_STEPS]))
    if c[3].button(t("gradient.train_both"), icon=":material/play_arrow:", type="primary", key="gf_clip_run"):
        with st.spinner(t("gradient.clip_spinner")):
            ss[state.GF_CLIP_RESULT] = (clip_setup, G.run_clipping_comparison(clip_setup))
    res = ss[state.GF_CLIP_RESULT]
    if res is None:
        st.info(t("gradient.clip_press"))
    else:
        used, r = res
        if used != clip_setup:
            st.caption(t("gradient.clip_changed"))
        f1, f2 = V.clipping_figs(r, lang)
        c = st.columns(2)
        W.chart(f1, key="gf_clip_loss", where=c[0])
        W.chart(f2, key="gf_clip_grad", where=c[1])
        s = V.clipping_summary(r)
        m = st.columns(4)
        m[0].metric(t("gradient.metric_loss_plain"), f"{s['loss_plain']:.3g}")
        m[1].metric(t("gradient.metric_loss_clip", clip=r.clip), f"{s['loss_clip']:.3g}")
        m[2].metric(t("gradient.metric_max_grad"), f"{s['max_grad_plain']:.3g}")
        m[3].metric(t("gradient.metric_clipped"),
                    t("gradient.metric_clipped_value", n=s["clipped_steps"], total=len(r.steps)))
        st.caption(t("gradient.clip_caption", clip=r.clip, diverged=s["diverged_plain"], seconds=s["seconds"]))

elif view == V.VIEWS[3]:
    st.markdown(t("gradient.cliff_intro"))
    c = st.columns(6)
    c[0].selectbox(t("gradient.cliff_sigma"), ST.options(state.GF_CLIFF_SIGMA), key=state.GF_CLIFF_SIGMA)
    c[1].number_input(t("gradient.cliff_w0"), *ST.bounds(state.GF_CLIFF_W0), step=0.5, key=state.GF_CLIFF_W0)
    c[2].number_input(t("gradient.cliff_b0"), *ST.bounds(state.GF_CLIFF_B0), step=0.5, key=state.GF_CLIFF_B0)
    c[3].select_slider(t("gradient.cliff_lr"), ST.options(state.GF_CLIFF_LR), key=state.GF_CLIFF_LR)
    c[4].select_slider(t("gradient.cliff_steps"), ST.options(state.GF_CLIFF_STEPS), key=state.GF_CLIFF_STEPS)
    c[5].select_slider(t("gradient.cliff_clip"), ST.options(state.GF_CLIFF_CLIP), key=state.GF_CLIFF_CLIP)
    cd = cached(V.cliff_data, ss[state.GF_CLIFF_SIGMA], float(ss[state.GF_CLIFF_W0]), float(ss[state.GF_CLIFF_B0]),
                      float(ss[state.GF_CLIFF_LR]), int(ss[state.GF_CLIFF_STEPS]),
                      float(ss[state.GF_CLIFF_CLIP]))
    surf, lossf = V.cliff_figs(cd, lang)
    c = st.columns([3, 2])
    W.chart(surf, key="gf_cliff", where=c[0])
    W.chart(lossf, key="gf_cliff_loss", where=c[1])
    jp, kp = V.largest_jump(cd.plain)
    jc, _ = V.largest_jump(cd.clipped)
    c[1].markdown(t("gradient.cliff_summary", jump=jp, step=kp, gmax=cd.plain.grad_norm.max(),
                    bound=ss[state.GF_CLIFF_LR] * ss[state.GF_CLIFF_CLIP], jump_clip=jc,
                    loss_plain=cd.plain.loss[-1], loss_clip=cd.clipped.loss[-1]))
