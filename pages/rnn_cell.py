"""RNN cell (lecture note sections 1, 2): one step at a time, the equations with live numbers,
and the cell as a first-order dynamical system (cobweb for H = 1, phase plane for H = 2)."""
import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()

from core import tiny_rnn as tr  # noqa: E402
from explorer import widgets as W  # noqa: E402
from explorer import cell_views as V  # noqa: E402
from explorer import state  # noqa: E402
from explorer.figures import cell as cf  # noqa: E402
from explorer.lang import current, fmt, t  # noqa: E402

ss = st.session_state
presenter = ss[state.PRESENTER]
lang = current()
st.title(t("nav.rnn_cell.title"))
st.caption(t("cell.caption"))


def _to_typed():
    """Switching to typed matrices: start the text boxes from the slider values."""
    H, F = int(ss[state.CELL_HIDDEN]), V.effective_input_size(ss[state.CELL_PRESET], int(ss[state.CELL_INPUTS]))
    if ss[state.CELL_WEIGHT_MODE] == "typed":
        for name, m in V.matrices_from(ss, H, F).items():
            ss[state.CELL_TEXT[name]] = tr.format_matrix(m)


def _sentiment_weights():
    """The lecture's sentiment unit: row 0 of W_xh reads love up and hate down; W_hh keeps it."""
    ss[state.CELL_PRESET] = "love/hate"
    for key, v in {("W_xh", 0, 0): 2.0, ("W_xh", 0, 1): -2.0, ("W_hh", 0, 0): 1.0, ("b_h", 0, 0): 0.0,
                   ("W_hy", 0, 0): 1.0, ("b_y", 0, 0): 0.0}.items():
        ss[state.CELL_ENTRIES[key]] = v
    for j in (1, 2):  # unit 0 listens only to itself
        ss[state.CELL_ENTRIES[("W_hh", 0, j)]] = 0.0
    _to_typed()


c1, c2, c3 = st.columns([1, 1.3, 1.2])
with c1:
    st.radio(t("cell.hidden"), [1, 2, 3], key=state.CELL_HIDDEN, horizontal=True, on_change=_to_typed)
    words_preset = ss[state.CELL_PRESET] == "love/hate"
    st.radio(t("cell.inputs"), [1, 2], key=state.CELL_INPUTS, horizontal=True, disabled=words_preset,
             on_change=_to_typed, help=t("cell.inputs_help"))
    st.radio(t("cell.activation"), list(tr.ACTIVATIONS), key=state.CELL_ACT, horizontal=True)
with c2:
    st.selectbox(t("cell.preset_label"), list(tr.INPUT_PRESETS), key=state.CELL_PRESET, format_func=fmt("cell.preset"))
    if ss[state.CELL_PRESET] == "typed":
        st.text_input(t("cell.typed_input"), key=state.CELL_TYPED_INPUT)
    elif not words_preset:
        st.slider(t("cell.length"), 3, 40, key=state.CELL_LENGTH)
        if ss[state.CELL_PRESET] == "noise" and not presenter:
            st.number_input(t("cell.noise_seed"), 0, 10_000, key=state.CELL_NOISE_SEED)
with c3:
    st.radio(t("cell.weight_mode"), ["sliders", "typed"], key=state.CELL_WEIGHT_MODE, horizontal=True,
             format_func=fmt("cell.weight_mode_option"), on_change=_to_typed)
    st.button(t("cell.sentiment_button"), on_click=_sentiment_weights, key="cell.sentiment_button",
              help=t("cell.sentiment_help"))

H = int(ss[state.CELL_HIDDEN])
F = V.effective_input_size(ss[state.CELL_PRESET], int(ss[state.CELL_INPUTS]))
with st.expander(t("cell.weights"), expanded=not presenter):
    cols = st.columns(len(V.MATRICES))
    for col, name in zip(cols, V.MATRICES):
        with col:
            st.markdown(f"**${V.LATEX_NAMES[name]}$** \u00a0 {V.matrix_shape(name, H, F)}")  # nbsp: a wider gap
            if ss[state.CELL_WEIGHT_MODE] == "typed":
                if not ss[state.CELL_TEXT[name]]:
                    ss[state.CELL_TEXT[name]] = tr.format_matrix(V.matrices_from(ss, H, F)[name])
                st.text_input(t("cell.matrix_input", name=name), key=state.CELL_TEXT[name],
                              label_visibility="collapsed")
                try:
                    m = tr.parse_matrix(ss[state.CELL_TEXT[name]], V.matrix_shape(name, H, F))
                    for key, v in zip(sum(V.entry_keys(name, H, F), []), m.reshape(-1)):
                        ss[key] = float(v)
                except ValueError as e:
                    st.error(V.error_text(e, lang))
            else:
                for i, row in enumerate(V.entry_keys(name, H, F)):
                    for j, key in enumerate(row):
                        idx = f"{i + 1}" if len(row) == 1 else f"{i + 1},{j + 1}"
                        st.slider(f"{name}[{idx}]", -3.0, 3.0, step=0.05, key=key)

try:
    seq = V.make_input(ss[state.CELL_PRESET], int(ss[state.CELL_LENGTH]), F, int(ss[state.CELL_NOISE_SEED]),
                       ss[state.CELL_TYPED_INPUT])
except ValueError as e:
    st.error(t("cell.typed_error", error=V.error_text(e, lang)))
    st.stop()
spec = V.spec_from(ss, H, F, ss[state.CELL_ACT])
model = tr.build_tiny(spec)
rec = tr.run_steps(model, seq.x)
T = len(seq.x)
ss[state.CELL_STEP] = min(int(ss[state.CELL_STEP]), T - 1)
if T > 1:
    step = st.slider(t("cell.time_step"), 0, T - 1, key=state.CELL_STEP)
else:
    step = 0
if seq.words is not None:
    st.markdown(t("cell.word_step", t=step, word=seq.words[step], x1=f"{rec.x[step, 0]:g}",
                  x2=f"{rec.x[step, 1]:g}"))

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
        st.dataframe(V.fixed_point_rows(fp, lang), hide_index=True, width="stretch")
    elif H == 3:
        st.caption(t("cell.three_units"))
