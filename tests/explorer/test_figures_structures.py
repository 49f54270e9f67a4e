"""Wiring diagrams and example figures of the I/O structures page."""
import json

import numpy as np
import pytest

from explorer.figures.common import CELL_COLORS, WEIGHT_COLORS
from explorer.figures.structures import (STRUCTURES, diagram_spec, function_figure, sequence_strip,
                                         waveform_figure, wiring_diagram)


def _roles(nodes):
    out = {}
    for n in nodes:
        out[n.role] = out.get(n.role, 0) + 1
    return out


@pytest.mark.parametrize("structure, roles, n_edges", [
    ("one_to_one", {"input": 1, "hidden": 1, "output": 1}, 2),
    ("one_to_many", {"input": 1, "hidden": 4, "output": 4}, 1 + 3 + 4),
    ("many_to_one", {"input": 4, "hidden": 4, "output": 1}, 4 + 3 + 1),
    ("many_to_many", {"input": 4, "hidden": 4, "output": 4}, 4 + 3 + 4),
    ("encoder_decoder", {"input": 4, "hidden": 4, "decoder": 4, "output": 4}, 4 + 3 + 1 + 3 + 4),
    ("bidirectional", {"input": 4, "hidden": 4, "backward": 4, "output": 4}, 4 + 4 + 3 + 3 + 8),
    ("attention", {"input": 4, "hidden": 4, "context": 1, "output": 1}, 4 + 3 + 4 + 2),
])
def test_diagram_spec_counts(structure, roles, n_edges):
    nodes, edges = diagram_spec(structure, 4)
    assert _roles(nodes) == roles
    assert len(edges) == n_edges
    ids = {n.id for n in nodes}
    assert all(e.src in ids and e.dst in ids for e in edges)


def test_recurrent_edges_point_forward_and_backward():
    nodes, edges = diagram_spec("bidirectional", 5)
    x = {n.id: n.x for n in nodes}
    fwd = [e for e in edges if e.role == "W_hh" and e.src.startswith("h")]
    bwd = [e for e in edges if e.role == "W_hh" and e.src.startswith("b")]
    assert fwd and all(x[e.dst] > x[e.src] for e in fwd)
    assert bwd and all(x[e.dst] < x[e.src] for e in bwd)
    # encoder-decoder: the decoder starts from the last encoder state only
    _, ed = diagram_spec("encoder_decoder", 3)
    assert [e.src for e in ed if e.dst == "s1"] == ["h3"]


def test_unknown_structure_raises():
    with pytest.raises(ValueError, match="choose one of"):
        diagram_spec("many_to_few")


@pytest.mark.parametrize("structure", STRUCTURES)
def test_wiring_diagram_traces_and_arrows(structure):
    nodes, edges = diagram_spec(structure, 4)
    fig = wiring_diagram(structure, 4, title="t")
    node_traces = [t for t in fig.data if t.mode == "markers+text"]
    assert sum(len(t.x) for t in node_traces) == len(nodes)
    assert len(fig.layout.annotations) == len(edges)
    hidden = next(t for t in node_traces if t.meta == "hidden")
    assert hidden.marker.color == CELL_COLORS["rnn"]
    # arrows of one weight matrix share its colour (parameter sharing)
    hh = [a.arrowcolor for a, e in zip(fig.layout.annotations, edges) if e.role == "W_hh"]
    if structure != "one_to_one":  # one step: no recurrent arrow
        assert hh and set(hh) == {WEIGHT_COLORS["W_hh"]}
    assert fig.layout.uirevision is not None
    assert fig.layout.font.size >= 14
    assert len(fig.to_json()) < 1_000_000


def test_one_to_one_draws_a_single_step():
    fig = wiring_diagram("one_to_one", 6)
    assert sum(len(t.x) for t in fig.data if t.mode == "markers+text") == 3


def test_sequence_strip_text_and_status():
    fig = sequence_strip({"input": ["a", " ", "c"], "target": ["", "", "x"], "output": ["", "", "y"]},
                         {"output": [0, 0, 2]}, title="s")
    hm = fig.data[0]
    assert list(hm.y) == ["input", "target", "output"]
    assert hm.text[0] == ["a", "␣", "c"]  # spaces made visible
    np.testing.assert_array_equal(np.asarray(hm.z), [[0, 0, 0], [0, 0, 0], [0, 0, 2]])
    assert list(hm.x) == [1, 2, 3]
    with pytest.raises(ValueError):
        sequence_strip({"a": ["1"], "b": ["1", "2"]})


def test_waveform_figure_data():
    tgt = np.sin(np.arange(1, 11) * 0.3)
    out = tgt + 0.1
    fig = waveform_figure(tgt, out, {"amplitude": 0.5, "frequency": 0.25})
    names = [t.name for t in fig.data]
    assert names == ["input (t = 0 only)", "target", "output"]
    assert list(fig.data[0].x) == [0]
    assert "amplitude 0.50" in fig.data[0].text[0]
    spec = json.loads(fig.to_json())
    assert len(fig.data[1].x) == 10
    np.testing.assert_allclose(np.asarray(fig.data[2].y, dtype=float), out, atol=1e-6)
    assert spec["layout"]["xaxis"]["title"]["text"] == "time step t"


def test_function_figure_sorted_and_highlight():
    u = np.array([0.5, -0.5, 0.0])
    fig = function_figure(u, np.sin(3 * u), np.zeros(3), highlight=0)
    np.testing.assert_allclose(np.asarray(fig.data[0].x, float), [-0.5, 0.0, 0.5])
    assert fig.data[2].name == "selected example" and fig.data[2].x[0] == 0.5
    assert len(function_figure(u, u, u).data) == 2


def test_figures_in_korean():
    from tests.i18n_check import has_hangul, untranslated_ko
    fig = wiring_diagram("attention", 4, title="t", lang="ko")
    names = [t.name for t in fig.data]
    assert "은닉 상태 h_t" in names and "어텐션 가중치 a_t" in names
    assert not any(untranslated_ko(n) for n in names)
    context = next(t for t in fig.data if t.meta == "context")
    assert list(context.text) == ["문맥"]
    assert wiring_diagram("attention", 4).data[2].text[0] == "context"  # English unchanged
    strip = sequence_strip({"입력": ["a"]}, lang="ko")
    assert strip.layout.xaxis.title.text == "시간 단계 t"
    assert sequence_strip({"a": ["1"]}, x_title="x", lang="ko").layout.xaxis.title.text == "x"
    wave = waveform_figure(np.zeros(3), np.zeros(3), {"진폭": 0.5}, lang="ko")
    assert [t.name for t in wave.data] == ["입력 (t = 0에만)", "목표값", "출력"]
    assert wave.layout.yaxis.title.text == "값"
    fn = function_figure(np.arange(3.0), np.zeros(3), np.zeros(3), highlight=1, lang="ko")
    assert [t.name for t in fn.data] == ["목표값", "출력", "선택한 예제"]
    assert has_hangul(fn.layout.xaxis.title.text) and has_hangul(fn.layout.yaxis.title.text)
    assert has_hangul(sequence_strip({}, lang="ko").layout.annotations[0].text)
