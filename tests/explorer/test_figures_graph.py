"""Figures and view logic of the Unrolled graph page: the drawing, and the numbers against autograd."""
import re

import numpy as np
import pytest
import torch

from core import trace
from core.graph import STRUCTURES, build_graph
from explorer.views import unrolled_graph as V
from explorer.figures import graph as gf


def _data(structure="many-to-many", kind="rnn", T=6, bidirectional=False, attention=False, H=3):
    task = V.task_for(structure, T, attention)
    model = V.untrained_model(task, kind, H, bidirectional, 0)
    batch = V.sample(task, 1)
    return model, task, batch, V.graph_data(model, task, batch)


def test_forward_figure_draws_each_shared_weight_once_in_its_colour():
    g = build_graph("many-to-many", 5, bidirectional=True)
    fig = gf.graph_figure(g.nodes, g.edges, mode="forward", node_color={"h0": 0.5, "x1": -0.2})
    lines = {t.name: t for t in fig.data if t.mode == "lines"}
    assert "W_hh: one shared matrix, used 4×" in lines
    assert "W_xh: one shared matrix, used 5×" in lines
    assert "W_hy: one shared matrix, used 10×" in lines
    assert "W̃_hh (backward chain): one shared matrix, used 4×" in lines
    assert lines["W_hh: one shared matrix, used 4×"].line.color == gf.WEIGHT_COLORS["W_hh"]
    # 4 W_hh segments: 3 points each (start, end, gap)
    assert len(lines["W_hh: one shared matrix, used 4×"].x) == 12
    colored = [t for t in fig.data if t.name == "nodes (coloured)"][0]
    assert list(colored.text) == ["x₁", "h₀"] or sorted(colored.text) == ["h₀", "x₁"]
    assert len(fig.to_json()) < 1_000_000


def test_backward_figure_widths_follow_the_gradient():
    g = build_graph("many-to-many", 4)
    grads = [float(i + 1) for i in range(len(g.edges))]
    fig = gf.graph_figure(g.nodes, g.edges, mode="backward", edge_grad=grads, node_color={"h0": 1.0})
    levels = [t for t in fig.data if t.name.startswith("gradient level")]
    widths = [t.line.width for t in levels]
    assert widths == sorted(widths) and len(levels) >= 2
    top = levels[-1]
    # the largest gradient (the last edge) sits in the widest level
    last = g.edges[-1]
    pos_src = [n for n in g.nodes if n.id == last.src][0]
    assert pos_src.col in [v for v in top.x if v is not None]
    # arrowheads keep the weights' colours and name them in the legend
    arrows = [t for t in fig.data if t.mode == "markers" and t.showlegend]
    assert any("W_hh" in t.name and t.marker.color == gf.WEIGHT_COLORS["W_hh"] for t in arrows)


def test_summarised_graph_draws_the_gap():
    g = build_graph("many-to-many", 80)
    fig = gf.graph_figure(g.nodes, g.edges)
    gap = [t for t in fig.data if t.name == "gap"][0]
    assert list(gap.text) == ["⋯"]


def test_contributions_figure_sums_the_bars():
    norm = np.array([0.0, 1.0, 2.0])
    entry = np.array([0.0, -0.5, 0.25])
    fig = gf.contributions_figure(norm, entry, -0.25, "W_hh[1, 1]")
    assert [t.name for t in fig.data] == ["‖share_t‖", "share_t", "Σ_t vs autograd"]
    np.testing.assert_allclose(np.asarray(fig.data[2].y, float), [-0.25, -0.25])
    assert list(fig.data[2].x) == [4, 5]


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_graph_data_contributions_sum_to_autograd(structure, kind):
    model, task, batch, d = _data(structure, kind)
    assert d.max_err < 1e-6
    np.testing.assert_allclose(d.contrib_entry.sum(), d.autograd_entry, atol=1e-6)
    W = model.rnn.weight_hh_l0
    (gw,) = torch.autograd.grad(task.loss(model(batch.x), batch.y), W)
    assert d.autograd_norm == pytest.approx(float(gw.norm()), rel=1e-6)
    assert d.graph.structure == structure
    # every value node has a value; every state node has a gradient
    for n in d.graph.nodes:
        if n.kind in ("x", "h", "y", "s", "L"):
            assert n.id in d.values, n.id
        if n.kind in ("h", "y", "s"):
            assert n.id in d.grad and np.isfinite(d.grad[n.id]), n.id


def test_hidden_values_and_gradients_come_from_the_trace():
    model, task, batch, d = _data("many-to-many", "gru", T=7)
    tr = trace(model, batch.x, batch.y, task, grad_h=True)
    for t in range(7):
        np.testing.assert_allclose(d.values[f"h{t}"], tr.hidden[0, t])
        assert d.grad[f"h{t}"] == pytest.approx(float(tr.grad_h_norm[t]), rel=1e-5)


def test_backward_chain_and_decoder_gradients_match_autograd():
    model, task, batch, d = _data("many-to-many", "rnn", T=5, bidirectional=True)
    x = batch.x.clone()
    # finite-difference-free check: perturb h̃_t's gradient through an independent autograd run
    from core.unroll import unroll
    u = unroll(model.rnn, x)
    out, _ = model.head_forward(u.output_btd, u.h_n, u.c_n, None, n_steps=5)
    gs = torch.autograd.grad(task.loss(out, batch.y), u.hidden[0][1])
    for t in range(5):
        assert d.grad[f"hb{t}"] == pytest.approx(float(gs[t].norm()), rel=1e-5)
    model, task, batch, d = _data("encoder-decoder", "lstm", T=4)
    # decoder states, read out, give the model's own output
    states = torch.tensor(np.stack([d.values[f"s{k}"] for k in range(4)]))[None]
    with torch.no_grad():
        np.testing.assert_allclose(model.readout(states).numpy(), model(batch.x).numpy(), atol=1e-5)
    assert all(d.grad[f"s{k}"] > 0 for k in range(4))


def test_attention_context_and_edges():
    model, task, batch, d = _data("many-to-one", "rnn", T=6, attention=True)
    assert d.graph.attention and "ctx" in d.values and d.grad["ctx"] > 0
    eg = V.edge_grads(d)
    assert len(eg) == len(d.graph.edges)
    assert all(v is not None for v in eg)


def test_long_sequence_is_summarised_but_every_step_has_a_bar():
    model, task, batch, d = _data("many-to-many", "rnn", T=45)
    assert d.graph.summarised and len(d.contrib_norm) == 45
    assert np.isfinite(d.grad["gap_h"])
    assert "not drawn" in d.hover["gap_h"]


def test_text_reports_the_check():
    *_, d = _data()
    txt = V.accumulation_text(d)
    assert "max |Σ_t contributions − autograd| = " in txt
    assert float(txt.rsplit("= ", 1)[1]) == pytest.approx(d.max_err, rel=0.1, abs=1e-12)


# ---- Korean ---------------------------------------------------------------------------------------

def _visible_texts(fig) -> list[str]:
    """What a reader sees: title, axis titles and tick labels, annotations, colour-bar titles,
    legend names and hover texts."""
    js = fig.to_plotly_json()
    lay = js["layout"]
    out = [lay.get("title", {}).get("text", "")]
    for v in lay.values():
        if isinstance(v, dict):
            out.append((v.get("title") or {}).get("text", "") if isinstance(v.get("title"), dict) else "")
            out += [str(s) for s in v.get("ticktext", [])]
    out += [a.get("text", "") for a in lay.get("annotations", [])]
    for tr in js["data"]:
        if tr.get("showlegend", True):
            out.append(tr.get("name", ""))
        bar = tr.get("marker", {}).get("colorbar", {})
        out.append(bar.get("title", {}).get("text", ""))
        ht = tr.get("hovertext")
        out += [str(h) for h in (ht if isinstance(ht, (list, tuple)) else [])]
        out.append(tr.get("hovertemplate", "").replace("%{", "{"))
    return [_plain(s) for s in out if s.strip()]


def _plain(s: str) -> str:
    """Text without HTML tags (<br>, <extra></extra>)."""
    return re.sub(r"<[^>]*>", " ", s)


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_graph_figure_in_korean(mode):
    from tests.i18n_check import has_hangul, untranslated_ko

    model, task, batch, d_en = _data("encoder-decoder", "gru", T=40, bidirectional=True)
    d = V.graph_data(model, task, batch, lang="ko")
    g = d.graph
    kw = dict(mode=mode, node_color=V.node_colors(d, mode), edge_grad=V.edge_grads(d) if mode == "backward" else None)
    ko = gf.graph_figure(g.nodes, g.edges, title=V.graph_title(d, "ko"), node_hover=d.hover, lang="ko", **kw)
    en = gf.graph_figure(g.nodes, g.edges, title=V.graph_title(d_en), node_hover=d_en.hover, **kw)
    texts = _visible_texts(ko)
    assert [s for s in texts if untranslated_ko(s)] == []
    assert ko.layout.title.text.startswith("인코더-디코더, T = 40, 양방향 — 손실 L = ")
    assert list(ko.layout.yaxis.ticktext) == ["입력 x", "은닉 h", "역방향 h̃", "출력 y", "손실 L"]
    names = [t.name for t in ko.data if t.showlegend is not False]
    n_hh, n_dec = g.uses("W_hh"), g.uses("W_hh_dec")
    assert f"W_hh: 공유 행렬 하나, {n_hh}번 사용" in names
    assert f"디코더의 W_hh: 공유 행렬 하나, {n_dec}번 사용" in names
    assert not any(has_hangul(s) for s in _visible_texts(en))
    # the same drawing in both languages
    assert len(en.data) == len(ko.data)
    for a, b in zip(en.data, ko.data):
        assert list(a.x) == list(b.x) and list(a.y) == list(b.y) and a.line.width == b.line.width


def test_contributions_figure_in_korean():
    from tests.i18n_check import untranslated_ko

    model, task, batch, d = _data("many-to-many", "lstm", T=8)
    dk = V.graph_data(model, task, batch, lang="ko")
    assert dk.entry_label.endswith(" 블록)" + d.entry_label.split(" block)")[1])
    ko = gf.contributions_figure(d.contrib_norm, d.contrib_entry, d.autograd_entry, dk.entry_label, lang="ko")
    en = gf.contributions_figure(d.contrib_norm, d.contrib_entry, d.autograd_entry, d.entry_label)
    assert [s for s in _visible_texts(ko) if untranslated_ko(s)] == []
    assert [t.name for t in ko.data] == ["‖기여분ₜ‖", "기여분ₜ", "Σₜ 대 자동 미분"]
    assert list(ko.layout.xaxis2.ticktext)[-2:] == ["Σₜ", "자동 미분"]
    assert ko.layout.xaxis2.title.text == "시간 단계 t"
    np.testing.assert_array_equal(np.asarray(en.data[2].y, float), np.asarray(ko.data[2].y, float))


def test_graph_views_text_in_korean():
    from tests.i18n_check import has_hangul, untranslated_ko

    for args in (("many-to-one", "lstm", 6, True, True), ("encoder-decoder", "rnn", 40, False, False)):
        structure, kind, T, bidir, attn = args
        model, task, batch, d_en = _data(structure, kind, T=T, bidirectional=bidir, attention=attn)
        d = V.graph_data(model, task, batch, lang="ko")
        assert d.max_err == d_en.max_err and d.grad == d_en.grad  # the numbers do not depend on the language
        words = [h for h in d.hover.values() if untranslated_ko(_plain(h))]
        assert words == []
        assert any(has_hangul(h) for h in d.hover.values())
        acc = V.accumulation_text(d, "ko")
        assert "기여분" in acc and acc.endswith(f"= {d.max_err:.1e}")
        assert V.accumulation_text(d_en) == V.accumulation_text(d, "en")
    assert "그리지 않았습니다" in d.hover["gap_h"]
    assert V.graph_title(d, "ko").startswith("인코더-디코더, T = 40 — 손실 L = ")
    # two layers: the note is Korean too
    task = V.task_for("many-to-many", 5)
    from core import build_model
    model = build_model("rnn", task.input_size, 4, task.output_size, num_layers=2, head=task.head, seed=0)
    d = V.graph_data(model, task, V.sample(task, 0), lang="ko")
    assert d.notes == ["모델의 층이 2개입니다. 그래프는 맨 위 층을 보여 줍니다."]


def test_task_and_cell_labels():
    from core import TASKS, get_task
    from tests.i18n_check import has_hangul

    for name in TASKS:  # English is the engine's title: what widgets.task_title shows
        t = get_task(name)
        assert V.task_label(name, t.io) == f"{t.title} ({t.io})"
        assert has_hangul(V.task_label(name, t.io, "ko"))
    assert V.task_label("upload:my data", "many-to-one", "ko") == "업로드: my data"
    assert V.cell_label("rnn") == "Vanilla RNN" and V.cell_label("rnn", "ko") == "기본 RNN"
    ko = [V.structure_label(s, "ko") for s in STRUCTURES]
    assert ko == ["일대일", "일대다", "다대일", "다대다", "인코더-디코더"]
