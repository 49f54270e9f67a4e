"""AppTest of the RNN cell page: widgets change the figures, the equations show engine numbers."""
import numpy as np
import pytest
import torch

from core import tiny_rnn as tr
from tests.latex_check import parse_bmatrices
from explorer.views import rnn_cell as V
from explorer.app import state
from tests.pages.conftest import chart_specs, open_page, plot_array


@pytest.fixture
def at():
    a = open_page("pages/rnn_cell.py")
    assert not a.exception
    return a


def _charts(at):
    return chart_specs(at)


def _fused(at):
    """An independent computation: the fused torch kernel with the page's weights and input."""
    ss = at.session_state
    H, F = ss[state.CELL_HIDDEN], V.effective_input_size(ss[state.CELL_PRESET], ss[state.CELL_INPUTS])
    spec = V.spec_from({k: ss[k] for k in state.CELL_ENTRIES.values()}, H, F, ss[state.CELL_ACT])
    x = V.make_input(ss[state.CELL_PRESET], ss[state.CELL_LENGTH], F, ss[state.CELL_NOISE_SEED],
                     ss[state.CELL_TYPED_INPUT]).x
    model = tr.build_tiny(spec)
    with torch.no_grad():
        h, _ = model.rnn(torch.tensor(x)[None])
        y = model(torch.tensor(x)[None])
    return h[0].numpy(), y[0].numpy()


def _shown(at):
    hid = parse_bmatrices(at.latex[0].value)
    out = parse_bmatrices(at.latex[1].value)
    return hid[-1][:, 0], out[-1][:, 0], hid


def test_equation_numbers_equal_the_fused_kernel(at):
    for t in (3, 7, 12):
        at.slider(key=state.CELL_STEP).set_value(t).run()
        assert not at.exception
        h, y = _fused(at)
        h_shown, y_shown, hid = _shown(at)
        assert f"h_{{{t}}}" in at.latex[0].value
        np.testing.assert_allclose(h_shown, h[t], atol=6e-4)
        np.testing.assert_allclose(y_shown, y[t], atol=6e-4)
        np.testing.assert_allclose(hid[3][:, 0], h[t - 1], atol=6e-4)  # h_{t-1}


def test_time_slider_moves_the_marker(at):
    at.slider(key=state.CELL_STEP).set_value(9).run()
    series = _charts(at)[0]
    cur = [tr_ for tr_ in series["data"] if tr_.get("name") == "current h"][0]
    assert cur["x"] == [9, 9]
    assert series["layout"]["shapes"][0]["x0"] == 9


def test_weight_slider_changes_the_phase_plane_and_numbers(at):
    before = _charts(at)[1]
    assert "Phase plane" in before["layout"]["title"]["text"]
    at.slider(key=state.CELL_ENTRIES[("W_hh", 0, 0)]).set_value(0.3).run()
    at.slider(key=state.CELL_ENTRIES[("W_hh", 1, 1)]).set_value(0.3).run()
    assert not at.exception
    after = _charts(at)[1]
    names = [d.get("name") for d in after["data"]]
    assert "stable fixed point" in names  # a contracting W_hh: the origin region becomes stable
    assert before["data"][1]["z"] != after["data"][1]["z"]
    h, _ = _fused(at)
    np.testing.assert_allclose(_shown(at)[0], h[at.session_state[state.CELL_STEP]], atol=6e-4)


def test_hidden_size_switches_the_dynamical_view(at):
    at.radio(key=state.CELL_HIDDEN).set_value(1).run()
    assert not at.exception
    fig = _charts(at)[1]
    assert fig["layout"]["title"]["text"].startswith("Cobweb")
    at.radio(key=state.CELL_HIDDEN).set_value(3).run()
    assert _charts(at)[1]["data"][0]["type"] == "scatter3d"
    h, _ = _fused(at)
    assert len(_shown(at)[0]) == 3
    np.testing.assert_allclose(_shown(at)[0], h[at.session_state[state.CELL_STEP]], atol=6e-4)


def test_love_hate_preset_and_sentiment_unit(at):
    at.button(key="cell.sentiment_button").click().run()
    assert not at.exception
    assert at.session_state[state.CELL_PRESET] == "love/hate"
    at.slider(key=state.CELL_STEP).set_value(1).run()  # "love"
    series = _charts(at)[0]
    assert series["layout"]["xaxis"]["ticktext"][1] == "love"
    assert any("love" in m.value and "W_xh" in m.value for m in at.markdown)
    hid = _shown(at)[2]
    np.testing.assert_allclose(hid[1][:, 0], [1.0, 0.0])  # x_1 = love = (1, 0)
    a_love = hid[-2][0, 0]
    at.slider(key=state.CELL_STEP).set_value(7).run()  # "hate"
    assert at.session_state[state.CELL_STEP] == 7
    hid = _shown(at)[2]
    np.testing.assert_allclose(hid[1][:, 0], [0.0, 1.0])
    # unit 1 reads love up and hate down: its W_xh contribution flips sign
    assert a_love > 0 and (hid[0] @ hid[1])[0, 0] < 0


def test_typed_matrices_and_relu(at):
    at.radio(key=state.CELL_WEIGHT_MODE).set_value("typed").run()
    at.text_input(key=state.CELL_TEXT["W_hh"]).input("0.5, 0; 0, 0.5").run()
    at.radio(key=state.CELL_ACT).set_value("relu").run()
    assert not at.exception
    hid = _shown(at)[2]
    np.testing.assert_allclose(hid[2], [[0.5, 0.0], [0.0, 0.5]])
    assert r"\mathrm{ReLU}" in at.latex[0].value
    h, _ = _fused(at)
    np.testing.assert_allclose(_shown(at)[0], h[at.session_state[state.CELL_STEP]], atol=6e-4)
    at.text_input(key=state.CELL_TEXT["W_hh"]).input("1, 2").run()
    assert not at.exception and any("row" in e.value for e in at.error)


def test_typed_input_sequence(at):
    at.selectbox(key=state.CELL_PRESET).select("typed").run()
    at.text_input(key=state.CELL_TYPED_INPUT).input("1, 0, 0, 2").run()
    assert not at.exception
    series = _charts(at)[0]
    assert len(plot_array(series["data"][0]["y"])) == 4
    assert at.session_state[state.CELL_STEP] <= 3
    at.slider(key=state.CELL_STEP).set_value(3).run()
    assert parse_bmatrices(at.latex[0].value)[1][0, 0] == 2.0


def test_presenter_mode_hides_the_table(at):
    assert len(at.table) == 1
    at.session_state[state.PRESENTER] = True
    at.run()
    assert not at.exception and len(at.table) == 0
