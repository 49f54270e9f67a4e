"""Figures of the Bidirectional & attention page."""
import numpy as np
import pytest

from explorer.figures.attention import (attention_heatmap, comparison_bars, direction_states_figure,
                                        lookahead_figure)


def test_attention_heatmap_values_and_marks():
    w = np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
    fig = attention_heatmap(w, [1, 0], step=42)
    hm, marks = fig.data
    np.testing.assert_allclose(np.asarray(hm.z, float), w, atol=1e-6)
    assert list(hm.x) == [1, 2, 3] and list(hm.y) == ["seq 1", "seq 2"]
    assert list(marks.x) == [2, 1] and list(marks.y) == ["seq 1", "seq 2"]  # t is 1-based
    assert "step 42" in fig.layout.title.text
    assert fig.layout.font.size >= 14 and fig.layout.uirevision is not None


def test_attention_heatmap_skips_missing_marks_and_handles_empty():
    fig = attention_heatmap(np.full((2, 4), 0.25), [-1, 3])
    assert list(fig.data[1].x) == [4]
    empty = attention_heatmap(np.zeros((0, 0)))
    assert len(empty.data) == 0 and empty.layout.annotations[0].text == "No attention weights yet"


def test_direction_states_side_by_side():
    f = np.arange(12, dtype=float).reshape(4, 3) - 6
    b = -f
    fig = direction_states_figure(f, b)
    assert len(fig.data) == 2
    np.testing.assert_allclose(np.asarray(fig.data[0].z, float), f.T)
    np.testing.assert_allclose(np.asarray(fig.data[1].z, float), b.T)
    assert fig.data[0].xaxis == "x" and fig.data[1].xaxis == "x2"  # two panels
    assert fig.data[0].zmin == -6 and fig.data[0].zmax == 6  # one symmetric scale
    with pytest.raises(ValueError):
        direction_states_figure(f, f[:2])


def test_lookahead_figure_traces():
    x = np.array([1.0, -1.0, 2.0, -0.5])
    fig = lookahead_figure(x, [1, 0, 1, 1], [0.9, 0.1, 0.8, 0.7], [0.5, 0.5, 0.5, 0.5], shift=2)
    assert [t.name for t in fig.data] == ["input x_t", "target", "bidirectional", "one-way"]
    np.testing.assert_allclose(np.asarray(fig.data[0].y, float), x)
    assert fig.data[0].marker.color[1] != fig.data[0].marker.color[0]  # sign colours
    assert "t+2" in fig.layout.annotations[1].text


def test_comparison_bars_before_after_baseline():
    fig = comparison_bars(["bi", "uni"], [0.5, 0.5], [0.9, 0.5], baseline=0.5, y_title="acc")
    assert [t.name for t in fig.data] == ["before training", "after training"]
    assert list(fig.data[1].y) == [0.9, 0.5]
    assert fig.layout.shapes[0].y0 == 0.5  # the baseline line
    assert "higher is better" in fig.layout.yaxis.title.text
    fig2 = comparison_bars(["a", "b"], [0.2, 0.3], [0.01, 0.2], higher_is_better=False)
    assert "lower is better" in fig2.layout.yaxis.title.text and not fig2.layout.shapes


def test_figures_in_korean():
    from tests.i18n_check import has_hangul, untranslated_ko
    fig = attention_heatmap(np.full((2, 3), 1 / 3), [0, 1], step=1500, lang="ko")
    assert fig.layout.title.text.endswith(", 1,500 단계") and has_hangul(fig.layout.title.text)
    assert list(fig.data[0].y) == ["시퀀스 1", "시퀀스 2"] and fig.data[1].name == "표시된 단계"
    assert fig.layout.xaxis.title.text == "입력 단계 t"
    assert has_hangul(attention_heatmap(np.zeros((0, 0)), lang="ko").layout.annotations[0].text)
    ds = direction_states_figure(np.ones((3, 2)), -np.ones((3, 2)), lang="ko")
    assert [t.name for t in ds.data] == ["순방향", "역방향"]
    assert all(has_hangul(a.text) for a in ds.layout.annotations)
    assert ds.layout.yaxis.title.text == "은닉 유닛" and "유닛" in ds.data[0].hovertemplate
    la = lookahead_figure(np.ones(4), [1, 1, 1, 1], [0.5] * 4, [0.5] * 4, shift=3, lang="ko")
    assert [t.name for t in la.data] == ["입력 x_t", "목표값", "양방향", "단방향"]
    assert "t+3" in la.layout.annotations[1].text and has_hangul(la.layout.annotations[1].text)
    bars = comparison_bars(["a", "b"], [0.5, 0.5], [0.9, 0.6], baseline=0.5, y_title="정확도", lang="ko")
    assert [t.name for t in bars.data] == ["학습 전", "학습 후"]
    assert bars.layout.yaxis.title.text == "정확도 (높을수록 좋음)"
    assert not any(untranslated_ko(a.text) for a in bars.layout.annotations)
    low = comparison_bars(["a"], [0.2], [0.1], higher_is_better=False, lang="ko")
    assert low.layout.yaxis.title.text.endswith("(낮을수록 좋음)")
