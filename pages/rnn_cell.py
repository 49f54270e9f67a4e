"""RNN cell (lecture note sections 1, 2, 7): one step at a time, the equations with live numbers.
Vanilla RNN: the cell as a first-order dynamical system (cobweb for H = 1, phase plane for H = 2).
LSTM and GRU: every gate's equation, the cell diagram, the direct-path product and a play control."""
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()

from core import gated_cell as gc  # noqa: E402
from core import tiny_rnn as tr  # noqa: E402
from explorer.app import settings as ST
from explorer.app import state  # noqa: E402
from explorer.app import widgets as W  # noqa: E402
from explorer.app.lang import current, fmt, t  # noqa: E402
from explorer.figures import cell as cf  # noqa: E402
from explorer.views import rnn_cell as V  # noqa: E402
from explorer.views import rnn_cell_gated as GV  # noqa: E402
from explorer.views import rnn_cell_widgets as CW  # noqa: E402

ss = st.session_state
presenter = ss[state.PRESENTER]
lang = current()
kind = ss[state.CELL_KIND]
gated = kind != "rnn"
st.title(t("nav.rnn_cell.title"))
st.caption(t("cell.caption") if not gated else t(f"cell.gated.caption.{kind}"))

c1, c2, c3 = st.columns([1, 1.3, 1.2])
with c1:
    cells = {k: W.cell_label(k, lang) for k in ST.options(state.CELL_KIND)}
    st.radio(t("cell.kind"), ST.options(state.CELL_KIND), key=state.CELL_KIND, horizontal=True, format_func=cells.get,
             on_change=CW.to_typed)
    st.radio(t("cell.hidden"), ST.options(state.CELL_HIDDEN), key=state.CELL_HIDDEN, horizontal=True, on_change=CW.to_typed)
    words_preset = ss[state.CELL_PRESET] == "love/hate"
    st.radio(t("cell.inputs"), ST.options(state.CELL_INPUTS), key=state.CELL_INPUTS, horizontal=True, disabled=words_preset,
             on_change=CW.to_typed, help=t("cell.inputs_help"))
    if not gated:
        st.radio(t("cell.activation"), ST.options(state.CELL_ACT), key=state.CELL_ACT, horizontal=True)
with c2:
    st.selectbox(t("cell.preset_label"), ST.options(state.CELL_PRESET), key=state.CELL_PRESET, format_func=fmt("cell.preset"))
    if ss[state.CELL_PRESET] == "typed":
        st.text_input(t("cell.typed_input"), key=state.CELL_TYPED_INPUT)
    elif not words_preset:
        st.slider(t("cell.length"), *ST.bounds(state.CELL_LENGTH), key=state.CELL_LENGTH)
        if ss[state.CELL_PRESET] == "noise" and not presenter:
            st.number_input(t("cell.noise_seed"), *ST.bounds(state.CELL_NOISE_SEED), key=state.CELL_NOISE_SEED)
with c3:
    st.radio(t("cell.weight_mode"), ST.options(state.CELL_WEIGHT_MODE), key=state.CELL_WEIGHT_MODE, horizontal=True,
             format_func=fmt("cell.weight_mode_option"), on_change=CW.to_typed)
    st.button(t("cell.sentiment_button"), on_click=CW.load_sentiment, key=state.CELL_BTN_SENTIMENT,
              help=t(f"cell.gated.sentiment_help.{kind}") if gated else t("cell.sentiment_help"))

H = int(ss[state.CELL_HIDDEN])
F = V.effective_input_size(ss[state.CELL_PRESET], int(ss[state.CELL_INPUTS]))
typed = ss[state.CELL_WEIGHT_MODE] == "typed"
with st.expander(t("cell.weights") if not gated else t("cell.gated.weights"), expanded=not (presenter or gated)):
    if not gated:
        for col, name in zip(st.columns(len(V.MATRICES)), V.MATRICES):
            with col:
                CW.block_editor(f"**${V.LATEX_NAMES[name]}$** \u00a0 {V.matrix_shape(name, H, F)}", name,
                                V.matrix_shape(name, H, F), V.entry_keys(name, H, F), state.CELL_TEXT[name],
                                typed=typed, step=0.05, lang=lang)
    else:
        for col, g in zip(st.columns(len(gc.GATES[kind])), gc.GATES[kind]):
            with col:
                st.markdown(t(f"cell.gated.gate.{kind}.{g}"))
                for p in gc.parts(kind, g):
                    shape = gc.part_shape(p, H, F)
                    CW.block_editor(f"${GV.latex_name(kind, g, p)}$ \u00a0 {shape}", GV.plain_name(kind, g, p),
                                    shape, GV.entry_keys(kind, g, p, H, F), state.CELL_GATED_TEXT[(kind, g, p)],
                                    typed=typed, step=GV.GATED_STEP, lang=lang)

try:
    seq = V.make_input(ss[state.CELL_PRESET], int(ss[state.CELL_LENGTH]), F, int(ss[state.CELL_NOISE_SEED]),
                       ss[state.CELL_TYPED_INPUT])
except ValueError as e:
    st.error(t("cell.typed_error", error=V.error_text(e, lang)))
    st.stop()
T = len(seq.x)
ss[state.CELL_STEP] = min(int(ss[state.CELL_STEP]), T - 1)


def word_line(step: int, x) -> None:
    if seq.words is not None:
        st.markdown(t("cell.gated.word_step" if gated else "cell.word_step", t=step, word=seq.words[step],
                      x1=f"{x[0]:g}", x2=f"{x[1]:g}"))


def gated_view(step: int) -> None:
    W.chart(GV.diagram(rec, step, lang=lang), key="cell_diagram")
    st.caption(t(f"cell.gated.diagram_caption.{kind}"))
    eqs = GV.equations(spec, rec, step)
    for sym in eqs:
        st.latex(eqs[sym])
    a, b = st.columns(2)
    W.chart(GV.series(rec, step, seq.words, lang=lang), key="cell_gated_series", where=a)
    W.chart(GV.product_figure(rec, step, lang=lang), key="cell_product", where=b)
    b.caption(GV.product_caption(rec, step, lang))


def vanilla_view(step: int) -> None:
    eq = V.equations(spec, rec, step)
    st.latex(eq.hidden)
    st.latex(eq.output)
    left, right = st.columns([1.1, 1])
    W.chart(cf.series_figure(rec.x, rec.h, rec.y, step, seq.words, lang=lang), key="cell_series", where=left)
    with right:
        fp = tr.fixed_points(spec, rec.x[step]) if H < 3 else None
        if H == 1:
            W.chart(V.cobweb(spec, rec, step, fp, lang=lang), key="cell_dyn")
        elif H == 2:
            W.chart(V.phase_plane(spec, rec, step, fp, lang=lang), key="cell_dyn")
        else:
            W.chart(cf.trajectory3d_figure(rec.h, step, lang=lang), key="cell_dyn")
        if H < 3:
            st.caption(t("cell.map_caption"))
        if not presenter and H < 3:
            st.table(V.fixed_point_rows(fp, lang), hide_index=True)  # static: every column in view, cells wrap
        elif H == 3:
            st.caption(t("cell.three_units"))


if gated:
    spec = GV.spec_from(ss, kind, H, F)
    rec = gc.run_gated(spec, seq.x)
else:
    spec = V.spec_from(ss, H, F, ss[state.CELL_ACT])
    rec = tr.run_steps(tr.build_tiny(spec), seq.x)
playing = bool(ss[state.CELL_PLAYING])
st.columns([1, 4])[0].button(t("cell.stop") if playing else t("cell.play"), key=state.CELL_BTN_PLAY,
                             on_click=CW.press_play, type="primary" if playing else "secondary", disabled=T <= 1,
                             help=t("cell.play_help"), width="stretch")


@st.fragment(run_every=GV.PLAY_SECONDS if playing else None)
def at_step() -> None:
    """Everything that depends on the step: the play timer reruns only this."""
    if CW.play_tick(T):
        st.rerun()  # the end: the whole page, so the timer stops and the button says play
    step = st.slider(t("cell.time_step"), 0, T - 1, key=state.CELL_STEP) if T > 1 else 0
    word_line(step, rec.x[step])
    (gated_view if gated else vanilla_view)(step)


CW.hold_tick()
at_step()
