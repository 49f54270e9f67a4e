"""AppTest of the RNN cell page with the LSTM and the GRU: every gate's equation with the numbers of
torch's own cell, the diagram and the product chart, the sentiment unit, typed weights, the play
control, links and both languages."""
import numpy as np
import pytest
import torch

from core import gated_cell as gc
from tests.latex_check import parse_bmatrices
from explorer.views import rnn_cell as V
from explorer.views import rnn_cell_gated as GV
from explorer.app import state
from tests.i18n_check import untranslated_ko
from tests.pages.conftest import APP, chart_specs, keyed_chart_specs, open_page, press
from tests.pages.test_i18n_pages import open_in, page_texts

PAGE = "pages/rnn_cell.py"
SYMBOLS = {"lstm": ("i", "f", "g", "o", "c", "h"), "gru": ("r", "z", "n", "h")}


def _open(kind, lang="en"):
    at = open_in(PAGE, lang) if lang != "en" else open_page(PAGE)
    at.radio(key=state.CELL_KIND).set_value(kind).run()
    assert not at.exception, at.exception
    return at


def _torch_states(at, kind):
    """h_t (and c_t) from torch's nn.LSTMCell / nn.GRUCell with the page's weights and input."""
    ss = at.session_state
    H, F = ss[state.CELL_HIDDEN], V.effective_input_size(ss[state.CELL_PRESET], ss[state.CELL_INPUTS])
    spec = GV.spec_from({k: ss[k] for k in state.CELL_GATED_ENTRIES.values()}, kind, H, F)
    x = V.make_input(ss[state.CELL_PRESET], ss[state.CELL_LENGTH], F, ss[state.CELL_NOISE_SEED],
                     ss[state.CELL_TYPED_INPUT]).x
    cell = (torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell)(F, H).double()
    with torch.no_grad():
        for name, v in (("weight_ih", spec.w_ih), ("weight_hh", spec.w_hh), ("bias_ih", spec.b_ih),
                        ("bias_hh", spec.b_hh)):
            getattr(cell, name).copy_(torch.tensor(v, dtype=torch.float64))
        h = c = torch.zeros(1, H, dtype=torch.float64)
        hs, cs = [], []
        for t in range(len(x)):
            xt = torch.tensor(x[t:t + 1], dtype=torch.float64)
            if kind == "lstm":
                h, c = cell(xt, (h, c))
            else:
                h = cell(xt, h)
            hs.append(h[0].numpy())
            cs.append(c[0].numpy())
    return np.array(hs), np.array(cs)


def _equations(at, kind):
    """Symbol -> the LaTeX on the page (in page order)."""
    latex = [x.value.strip("$\n").replace(r"\begin{aligned}", "") for x in at.latex]  # st.latex adds $$
    assert len(latex) == len(SYMBOLS[kind])
    return dict(zip(SYMBOLS[kind], latex))


@pytest.mark.parametrize("kind", gc.KINDS)
def test_every_gate_equation_shows_torchs_numbers(kind):
    at = _open(kind)
    for t in (2, 5):
        at.slider(key=state.CELL_STEP).set_value(t).run()
        assert not at.exception
        eqs = _equations(at, kind)
        h, c = _torch_states(at, kind)
        for sym in SYMBOLS[kind]:
            assert eqs[sym].startswith(f"{sym}_{{{t}}}"), sym
        np.testing.assert_allclose(parse_bmatrices(eqs["h"])[-1][:, 0], h[t], atol=6e-4)
        if kind == "lstm":
            np.testing.assert_allclose(parse_bmatrices(eqs["c"])[-1][:, 0], c[t], atol=6e-4)
            np.testing.assert_allclose(parse_bmatrices(eqs["c"])[1][:, 0], c[t - 1], atol=6e-4)  # c_{t-1}
        else:
            np.testing.assert_allclose(parse_bmatrices(eqs["h"])[-2][:, 0], h[t - 1], atol=6e-4)  # h_{t-1}
    ids = [k for k, _ in keyed_chart_specs(at)]
    assert any(i.endswith("cell_diagram") for i in ids) and any(i.endswith("cell_product") for i in ids)
    diagram = chart_specs(at)[0]
    names = {a.get("name") for a in diagram["layout"]["annotations"]}
    assert {f"gate.{g}.0" for g in gc.GATES[kind]} <= names


@pytest.mark.parametrize("kind", gc.KINDS)
def test_sentiment_unit_and_typed_weights(kind):
    at = _open(kind)
    press(at, state.CELL_BTN_SENTIMENT)
    assert not at.exception
    assert at.session_state[state.CELL_PRESET] == "love/hate"
    at.slider(key=state.CELL_STEP).set_value(1).run()  # "love"
    assert any("**“love”**" in m.value for m in at.markdown)
    h_love = parse_bmatrices(_equations(at, kind)["h"])[-1][0, 0]
    at.slider(key=state.CELL_STEP).set_value(3).run()  # "film": kept
    h_film = parse_bmatrices(_equations(at, kind)["h"])[-1][0, 0]
    at.slider(key=state.CELL_STEP).set_value(7).run()  # "hate", after "but"
    eq_h = parse_bmatrices(_equations(at, kind)["h"])
    h_hate, h_but = eq_h[-1][0, 0], eq_h[-2 if kind == "gru" else -1][0, 0]
    if kind == "lstm":  # h_{t-1} is not in the LSTM's h equation: read it from the gates' equations
        h_but = parse_bmatrices(_equations(at, kind)["i"])[3][0, 0]
    assert h_love > 0.5 and abs(h_film - h_love) < 0.05 and h_hate < h_but - 0.2
    h, _ = _torch_states(at, kind)
    np.testing.assert_allclose(h_hate, h[7, 0], atol=6e-4)

    at.radio(key=state.CELL_WEIGHT_MODE).set_value("typed").run()
    box = state.CELL_GATED_TEXT[(kind, gc.DIRECT_GATE[kind], "b")]
    assert at.text_input(key=box).value.startswith("5" if kind == "lstm" else "4")
    at.text_input(key=box).input("0, 0").run()
    assert not at.exception and not at.error
    g = gc.DIRECT_GATE[kind]
    eq = _equations(at, kind)[g]
    assert parse_bmatrices(eq)[-3][:, 0].tolist() == [0.0, 0.0]  # the bias shown
    np.testing.assert_allclose(parse_bmatrices(_equations(at, kind)["h"])[-1][:, 0], _torch_states(at, kind)[0][7],
                               atol=6e-4)
    at.text_input(key=box).input("1, 2, 3").run()
    assert not at.exception and any("row" in e.value for e in at.error)


@pytest.mark.parametrize("kind", ("rnn", "lstm"))
def test_play_button_starts_and_stops_and_only_the_timer_steps(kind):
    """The timer's runs (a run_every fragment) do not fire in AppTest: the stepping itself is tested
    as a state transition (tests/explorer/test_figures_gated_cell.py) and in the browser."""
    at = _open(kind)
    at.slider(key=state.CELL_STEP).set_value(19).run()
    press(at, state.CELL_BTN_PLAY)  # play from the last step starts over
    assert at.session_state[state.CELL_PLAYING] is True and at.session_state[state.CELL_STEP] == 0
    assert at.button(key=state.CELL_BTN_PLAY).label == "⏸ Stop"
    at.session_state[state.CELL_PLAY_TICK] = 0.0  # a tick long overdue ...
    at.run()
    assert not at.exception
    assert at.session_state[state.CELL_STEP] == 0  # ... but a whole-page run never steps
    h_eq = at.latex[0].value if kind == "rnn" else _equations(at, kind)["h"]
    assert "h_{0}" in h_eq.split("=")[0]
    press(at, state.CELL_BTN_PLAY)
    assert at.session_state[state.CELL_PLAYING] is False
    assert at.button(key=state.CELL_BTN_PLAY).label == "▶ Play"
    assert state.CELL_PLAYING not in at.query_params  # playing never goes into a link


def test_a_link_opens_the_gru_with_its_weights():
    from streamlit.testing.v1 import AppTest
    entry = state.CELL_GATED_ENTRIES[("gru", "z", "b", 0, 0)]
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in {state.CELL_KIND: "gru", state.CELL_HIDDEN: "3", entry: "4.5"}.items():
        at.query_params[k] = v
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert at.radio(key=state.CELL_KIND).value == "gru" and at.slider(key=entry).value == 4.5
    z = parse_bmatrices(_equations(at, "gru")["z"])
    assert z[-3][0, 0] == 4.5 and z[-1].shape == (3, 1)
    assert at.query_params == {state.CELL_KIND: "gru", state.CELL_HIDDEN: "3", entry: "4.5"}
    assert not at.toast


@pytest.mark.parametrize("kind", gc.KINDS)
def test_gated_page_in_korean_and_presenter_mode(kind):
    at = _open(kind, "ko")
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []
    assert chart_specs(at)[0]["layout"]["title"]["text"].endswith(f"{kind.upper()} 셀")
    press(at, state.CELL_BTN_SENTIMENT)
    assert not at.exception
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []
    assert any("Π" in c.value and "기울기" in c.value for c in at.caption)
    latex_ko = [x.value for x in at.latex]
    at.session_state[state.PRESENTER] = True
    at.session_state[state.LANG] = "en"
    at.run()
    assert not at.exception
    assert [x.value for x in at.latex] == latex_ko  # the same numbers in either language
    sizes = [a["font"]["size"] for a in chart_specs(at)[0]["layout"]["annotations"] if a.get("text")]
    assert min(sizes) >= 19  # presenter mode: the diagram's text scaled up
