"""The LSTM/GRU views of the RNN cell page without Streamlit: the diagram shows every gate with its
value and every wire with its value, the product chart plots the products, the equations carry the
engine's numbers, and the play control's state transitions."""
import numpy as np
import pytest

from core import gated_cell as gc
from core import tiny_rnn as tr
from explorer.app.settings import DEFAULTS
from explorer.views import rnn_cell_gated as GV
from explorer.app import state
from explorer.app.settings import GATED_RANGE
from tests.latex_check import parse_bmatrices
from explorer.figures import gated_cell as gf
from explorer.app.widgets import presenter_figure


def _values(**over):
    v = dict(DEFAULTS)
    v.update(over)
    return v


def _record(kind, H=2, F=2, T=14, sentiment=False):
    vals = _values()
    if sentiment:
        vals.update(GV.sentiment_values(vals, kind))
    spec = GV.spec_from(vals, kind, H, F)
    x = tr.preset_input("love/hate", T, 2).x[:, :F] if F == 2 else tr.preset_input("pulse", T, 1).x
    return spec, gc.run_gated(spec, x)


def _named(fig, prefix):
    return {a.name: a.text for a in fig.layout.annotations if a.name and a.name.startswith(prefix)}


@pytest.mark.parametrize("kind", gc.KINDS)
@pytest.mark.parametrize("H", [1, 2, 3])
def test_diagram_shows_every_gate_with_its_value(kind, H):
    spec, rec = _record(kind, H=H, sentiment=True)
    t = 7
    fig = GV.diagram(rec, t)
    gates = _named(fig, "gate.")
    for g in gc.GATES[kind]:
        assert f"gate.{g}" in gates  # the box's title
        for u in range(H):
            shown = float(gates[f"gate.{g}.{u}"].replace("<b>", "").replace("</b>", "").replace("−", "-"))
            assert shown == pytest.approx(rec.gates[g][t, u], abs=0.006)
    # a sigmoid gate's box is filled in proportion to its opening
    g = gc.DIRECT_GATE[kind]
    fills = [s for s in fig.layout.shapes if s.type == "rect" and s.opacity == 0.45]
    heights = sorted(round(s.y1 - s.y0, 6) for s in fills)
    assert round(float(rec.gates[g][t, 0]) * gf.BOX_H, 6) in heights


def test_lstm_diagram_labels_the_wires_with_their_values():
    spec, rec = _record("lstm", H=3, sentiment=True)
    t = 7
    fig = GV.diagram(rec, t)
    wires = _named(fig, "wire.")
    G = {g: v[t] for g, v in rec.gates.items()}
    want = {"wire.c_prev": rec.c_prev[t], "wire.c_t": rec.c[t], "wire.h_t": rec.h[t], "wire.h_prev": rec.h_prev[t],
            "wire.fc": G["f"] * rec.c_prev[t], "wire.ig": G["i"] * G["g"], "wire.tanh_c": np.tanh(rec.c[t]),
            "wire.x": rec.x[t]}
    for name, v in want.items():
        assert wires[name].endswith(gf.vec_text(v)), name
    assert wires["wire.c_t"].startswith("c₇ = ") and wires["wire.c_prev"].startswith("c₆ = ")
    assert gf.sub(0 - 1) == "₋₁"
    assert gf.vec_text([0.954, -0.5, 0.0]) == "[0.95, −0.50, 0.00]" and gf.vec_text([0.5]) == "0.50"
    ops = {a.name: a.text for a in fig.layout.annotations if a.name and a.name.startswith("node.")}
    assert ops["node.forget"] == "<b>×</b>" and ops["node.add"] == "<b>+</b>"


def test_gru_diagram_shows_the_mix_with_torchs_convention():
    spec, rec = _record("gru", H=2, sentiment=True)
    t = 4
    fig = GV.diagram(rec, t)
    wires = _named(fig, "wire.")
    z, n, r = rec.gates["z"][t], rec.gates["n"][t], rec.gates["r"][t]
    assert wires["wire.zh"].endswith(gf.vec_text(z * rec.h_prev[t]))
    assert wires["wire.one_minus_z"].endswith(gf.vec_text(1 - z))
    assert wires["wire.mix"].endswith(gf.vec_text((1 - z) * n))
    assert wires["wire.r_hn"].endswith(gf.vec_text(r * rec.wh["n"][t]))
    assert wires["wire.h_t"].endswith(gf.vec_text(rec.h[t]))
    np.testing.assert_allclose((1 - z) * n + z * rec.h_prev[t], rec.h[t], atol=1e-12)


def test_diagram_is_readable_on_a_projector():
    _, rec = _record("lstm", H=3)
    fig = GV.diagram(rec, 3)
    sizes = [a.font.size for a in fig.layout.annotations if a.text]
    assert min(sizes) >= 14
    big = presenter_figure(fig)
    assert min(a.font.size for a in big.layout.annotations if a.text) >= 19
    assert GV.diagram(rec, 3, lang="ko").layout.title.text == "시간 단계 3의 LSTM 셀"


@pytest.mark.parametrize("kind", gc.KINDS)
def test_product_chart_plots_the_products_up_to_the_step(kind):
    _, rec = _record(kind, H=2)
    t = 5
    fig = GV.product_figure(rec, t)
    P = gc.direct_path_product(rec.direct)
    solid = [d for d in fig.data if d.name and d.name.startswith("P")]
    assert [d.name for d in solid] == ["P[1]", "P[2]"]
    for u, d in enumerate(solid):
        np.testing.assert_allclose(np.asarray(d.y, float), P[:t + 1, u], rtol=1e-6)
        assert list(d.x) == list(range(t + 1))
    np.testing.assert_allclose(P[1:, 0], np.cumprod(rec.direct[1:, 0]))
    assert ("f" if kind == "lstm" else "z") in fig.layout.yaxis.title.text
    cap = GV.product_caption(rec, t)
    assert gf.vec_text(P[t]) in cap
    assert ("convention" in cap) == (kind == "gru")


@pytest.mark.parametrize("kind", gc.KINDS)
def test_equations_carry_the_engines_numbers(kind):
    spec, rec = _record(kind, H=2, sentiment=True)
    t = 4
    eqs = GV.equations(spec, rec, t)
    assert list(eqs) == (["i", "f", "g", "o", "c", "h"] if kind == "lstm" else ["r", "z", "n", "h"])
    for g in gc.GATES[kind]:
        mats = parse_bmatrices(eqs[g])
        assert eqs[g].startswith(r"\begin{aligned}" + f"{g}_{{{t}}}")
        np.testing.assert_allclose(mats[-1][:, 0], rec.gates[g][t], atol=6e-4)  # the value
        np.testing.assert_allclose(mats[-2][:, 0], rec.pre[g][t], atol=6e-4)  # its argument
        np.testing.assert_allclose(mats[0], spec.block(g, "W_x"), atol=6e-4)
    h_mats = parse_bmatrices(eqs["h"])
    np.testing.assert_allclose(h_mats[-1][:, 0], rec.h[t], atol=6e-4)
    if kind == "lstm":
        np.testing.assert_allclose(parse_bmatrices(eqs["c"])[-1][:, 0], rec.c[t], atol=6e-4)
    else:
        assert r"(1 - z_{4}) \odot n_{4} + z_{4} \odot h_{3}" in eqs["h"]
        assert r"r_{4} \odot (W_{hn}\,h_{3} + b_{hn})" in eqs["n"]


def test_sentiment_values_change_only_unit_one():
    vals = _values()
    new = GV.sentiment_values(vals, "gru")
    changed = {k for k, v in new.items() if v != vals[k]}
    assert changed and all(".0." in k for k in changed)  # row 0 only
    assert new[state.CELL_GATED_ENTRIES[("gru", "z", "W_x", 0, 0)]] == -6.0
    lo, hi = GATED_RANGE
    assert all(lo <= v <= hi for v in new.values())  # within the sliders' range


def test_play_control_state_transitions():
    # start, advance one step per tick, stop at the end
    step, playing = GV.press_play(3, 6, False)
    assert (step, playing) == (3, True)
    seen = []
    while playing:
        step, playing = GV.advance(step, 6, playing)
        seen.append(step)
    assert seen == [4, 5] and step == 5
    # play from the end starts over; stop keeps the step; a stopped player does not move
    assert GV.press_play(5, 6, False) == (0, True)
    assert GV.press_play(2, 6, True) == (2, False)
    assert GV.advance(2, 6, False) == (2, False)
    assert GV.press_play(0, 1, False) == (0, False)  # one step: nothing to play


def test_typed_texts_follow_the_values():
    vals = _values()
    texts = GV.typed_texts(vals, "lstm", 2, 1)
    assert texts[state.CELL_GATED_TEXT[("lstm", "i", "W_x")]] == "3; 2"
    assert texts[state.CELL_GATED_TEXT[("lstm", "f", "b")]] == "2.5, 1"
    assert len(texts) == 12 and len(GV.typed_texts(vals, "gru", 2, 1)) == 10
    assert state.CELL_TEXT["W_hh"] in GV.typed_texts(vals, "rnn", 2, 1)
