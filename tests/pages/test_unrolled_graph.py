"""AppTest of the Unrolled graph page: the graph re-wires with the widgets, backward mode shows the
gradient, and the accumulation numbers equal an independent autograd computation."""
import re

import pytest
import torch

from explorer.views import unrolled_graph as V
from explorer.app import state
from tests.pages.conftest import chart_specs, open_page, plot_array, press

PAGE = "pages/unrolled_graph.py"


@pytest.fixture
def at():
    a = open_page(PAGE)
    assert not a.exception
    return a


def _graph(at):
    return chart_specs(at)[0]


def _names(spec):
    return [d.get("name", "") for d in spec["data"]]


def _node_labels(spec):
    out = []
    for d in spec["data"]:
        if d.get("name") in ("nodes (coloured)", "nodes", "loss nodes"):
            out += list(d["text"])
    return out


def test_default_graph_and_length_slider(at):
    names = _names(_graph(at))
    T = at.session_state[state.GRAPH_LENGTH]
    assert f"W_hh: one shared matrix, used {T - 1}×" in names
    assert f"W_xh: one shared matrix, used {T}×" in names
    at.slider(key=state.GRAPH_LENGTH).set_value(12).run()
    assert not at.exception
    spec = _graph(at)
    assert "W_hh: one shared matrix, used 11×" in _names(spec)
    assert sum(lab.startswith("L") for lab in _node_labels(spec)) == 12


def test_structure_rewires_the_graph(at):
    at.selectbox(key=state.GRAPH_STRUCTURE).select("many-to-one").run()
    labels = _node_labels(_graph(at))
    assert sum(lab.startswith("L") for lab in labels) == 1 and sum(lab.startswith("y") for lab in labels) == 1
    at.checkbox(key=state.GRAPH_ATTN).check().run()
    assert not at.exception
    spec = _graph(at)
    assert "attention (α_t h_t)" in _names(spec) and "c" in _node_labels(spec)
    at.selectbox(key=state.GRAPH_STRUCTURE).select("encoder-decoder").run()
    assert not at.exception
    spec = _graph(at)
    assert any(n.startswith("W_hh of the decoder") for n in _names(spec))
    at.checkbox(key=state.GRAPH_BIDIR).check().run()
    assert any(n.startswith("W̃_hh (backward chain)") for n in _names(_graph(at)))
    at.selectbox(key=state.GRAPH_STRUCTURE).select("one-to-many").run()
    labels = _node_labels(_graph(at))
    assert sum(lab.startswith("x") for lab in labels) == 1
    assert not at.exception


def test_backward_mode_draws_gradient_levels(at):
    at.radio(key=state.GRAPH_MODE).set_value("backward").run()
    assert not at.exception
    spec = _graph(at)
    levels = [d for d in spec["data"] if d.get("name", "").startswith("gradient level")]
    assert levels and "colorbar" in [d for d in spec["data"] if d.get("name") == "nodes (coloured)"][0]["marker"]
    at.radio(key=state.GRAPH_KIND).set_value("lstm").run()
    assert not at.exception
    assert "LSTM" in " ".join(c.value for c in at.caption)


def test_accumulation_numbers_equal_autograd(at):
    at.slider(key=state.GRAPH_LENGTH).set_value(10).run()
    at.radio(key=state.GRAPH_KIND).set_value("gru").run()
    text = [m.value for m in at.markdown if "max |Σ_t contributions − autograd|" in m.value][0]
    err = float(text.rsplit("= ", 1)[1])
    assert err < 1e-6
    auto = float(re.search(r"‖autograd‖ = ([0-9.e+-]+)", text).group(1))
    ss = at.session_state
    task = V.task_for(ss[state.GRAPH_STRUCTURE], ss[state.GRAPH_LENGTH], False)
    model = V.untrained_model(task, ss[state.GRAPH_KIND], ss[state.GRAPH_HIDDEN], ss[state.GRAPH_BIDIR],
                              ss[state.GRAPH_SEED])
    b = V.sample(task, ss[state.GRAPH_SEED])
    (g,) = torch.autograd.grad(task.loss(model(b.x), b.y), model.rnn.weight_hh_l0)
    assert auto == pytest.approx(float(g.norm()), rel=1e-5)
    bars = chart_specs(at)[1]["data"]
    assert len(plot_array(bars[0]["y"])) == 10
    sum_bar, auto_bar = plot_array(bars[2]["y"])
    assert sum_bar == pytest.approx(auto_bar, abs=1e-6)


def test_long_sequences_are_summarised(at):
    at.slider(key=state.GRAPH_LENGTH).set_value(50).run()
    assert not at.exception
    assert "gap" in _names(_graph(at))
    assert any("summarised" in c.value for c in at.caption)
    assert len(plot_array(chart_specs(at)[1]["data"][0]["y"])) == 50


def test_training_lab_model(at):
    at.radio(key=state.GRAPH_SOURCE).set_value("lab").run()
    assert any("No Training lab run" in i.value for i in at.info)
    at.switch_page("pages/training_lab.py").run()
    at.selectbox(key=state.LAB_TASK).select("adding").run()
    at.select_slider(key=state.LAB_HIDDEN).set_value(4).run()
    press(at, state.LAB_BTN_STEP)
    assert not at.exception
    at.switch_page(PAGE).run()
    at.radio(key=state.GRAPH_SOURCE).set_value("lab").run()
    assert not at.exception
    assert any("Training lab model" in m.value for m in at.markdown)
    labels = _node_labels(_graph(at))
    assert sum(lab.startswith("L") for lab in labels) == 1  # adding is many-to-one
    text = [m.value for m in at.markdown if "max |Σ_t contributions − autograd|" in m.value][0]
    assert float(text.rsplit("= ", 1)[1]) < 1e-5


def test_presenter_mode_hides_secondary_controls(at):
    at.session_state[state.PRESENTER] = True
    at.run()
    assert not at.exception
    keys = {w.key for w in at.number_input}
    assert state.GRAPH_SEED not in keys
    assert chart_specs(at)
