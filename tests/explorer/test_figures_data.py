"""Data page figures: traces, values, window and split markers, size limits."""
import json

import numpy as np
import pytest

from explorer.figures import data as FD
from explorer.figures.common import figure_to_html


def _y(trace):
    return np.asarray(trace.y, dtype=float)


def test_series_figure_lines_window_and_split():
    v = np.column_stack([np.arange(100.0), -np.arange(100.0)])
    v[10, 0] = np.nan
    fig = FD.series_figure(v, ["a", "b"], window=20, horizon=3, split=80)
    assert [t.name for t in fig.data] == ["a", "b"]
    np.testing.assert_array_equal(_y(fig.data[1]), -np.arange(100.0))
    assert np.isnan(_y(fig.data[0])[10]) and fig.data[0].connectgaps is False  # a gap breaks the line
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(r.x0, r.x1) for r in rects] == [(0.0, 19.0), (19.0, 22.0)]
    assert [ln.x0 for ln in lines] == [80.0]
    texts = [a.text for a in fig.layout.annotations]
    assert texts == ["window: 20 steps in, 3 ahead (red)", "validation →"]
    assert fig.layout.font.size >= 14 and fig.layout.uirevision


def test_series_figure_with_dates_and_downsampling():
    T = 20_000
    t = np.arange("2020-01-01", T, dtype="datetime64[m]")[:T]
    fig = FD.series_figure(np.random.default_rng(0).normal(size=(T, 1)), ["x"], time=t, window=50, split=15_000)
    assert len(fig.data[0].y) <= FD.MAX_SERIES_POINTS
    assert str(fig.layout.shapes[0].x0).startswith("2020-01-01")
    assert len(fig.to_json()) < 1_000_000
    figure_to_html(fig)  # datetimes survive the standalone export


def test_series_figure_without_window_or_data():
    fig = FD.series_figure(np.ones((5, 1)), ["x"])
    assert not fig.layout.shapes and len(fig.data) == 1
    assert len(FD.series_figure(np.zeros((0, 1)), ["x"]).data) == 0


def test_class_sequences_figure_per_class():
    seqs = [np.full((8 + i, 2), float(i)) for i in range(10)]
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 2, 0, 1])
    fig = FD.class_sequences_figure(seqs, labels, ["a", "b", "c"], per_class=3, channel=1)
    names = [t.name for t in fig.data]
    assert names == ["a"] * 3 + ["b"] * 3 + ["c"]
    assert [t.showlegend for t in fig.data] == [True, False, False, True, False, False, True]
    np.testing.assert_array_equal(_y(fig.data[3]), np.full(9, 1.0))  # first sequence of class b (index 1)
    assert len({t.line.color for t in fig.data}) == 3


def test_class_counts_and_lengths():
    fig = FD.class_counts_figure(["x", "y"], [5, 7], [2, 3])
    assert [list(t.y) for t in fig.data] == [[5, 7], [2, 3]] and fig.layout.xaxis.type == "category"
    assert fig.layout.yaxis.range[1] > 7
    L = np.array([3, 3, 4, 10, 10, 10])
    fig = FD.length_figure(L)
    assert sum(fig.data[0].y) == 6
    assert len(FD.length_figure(np.array([5, 5])).data[0].y) == 1


def test_char_figure_counts():
    fig = FD.char_figure("aab b\n", top=3)
    assert list(fig.data[0].x) == ["a", "b", "space"] and list(fig.data[0].y) == [2, 2, 1]


@pytest.mark.parametrize("n", [1, 200])
def test_figures_are_json_and_small(n):
    seqs = [np.random.default_rng(i).normal(size=(2000, 1)) for i in range(n)]
    fig = FD.class_sequences_figure(seqs, np.arange(n) % 4, list("abcd"))
    spec = json.loads(fig.to_json())
    assert len(json.dumps(spec)) < 1_000_000 and len(fig.data) == min(n, 12)


def test_figures_in_korean():
    from tests.i18n_check import has_hangul, untranslated_ko
    v = np.column_stack([np.arange(100.0), -np.arange(100.0)])
    fig = FD.series_figure(v, ["a", "b"], window=20, horizon=3, split=80, lang="ko")
    assert fig.layout.title.text == "시계열"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("시간 단계", "값")
    assert [a.text for a in fig.layout.annotations] == ["창: 20단계 입력, 3단계 뒤 예측 (빨강)", "검증 →"]
    assert FD.series_figure(v, ["a", "b"], lang="en").layout.title.text == "The series"  # English unchanged
    seqs = [np.full((8, 1), float(i)) for i in range(4)]
    figs = [FD.class_sequences_figure(seqs, np.array([0, 1, 0, 1]), ["a", "b"], lang="ko"),
            FD.class_counts_figure(["a", "b"], [2, 2], [1, 1], lang="ko"),
            FD.length_figure(np.array([3, 4, 4]), lang="ko"), FD.char_figure("aab b", lang="ko"),
            FD.series_figure(np.zeros((0, 1)), ["x"], lang="ko")]
    for fig in figs:
        words = [fig.layout.title.text, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text]
        words += [t.name for t in fig.data if t.type == "bar"] + [a.text for a in fig.layout.annotations]
        assert has_hangul(fig.layout.title.text)
        assert [w for w in words if w and untranslated_ko(w)] == []
    assert figs[0].data[0].hovertemplate.startswith("클래스 a, 시퀀스 0<br>")
    assert [t.name for t in figs[1].data] == ["학습 파일", "테스트 파일"]
    assert "공백" in list(figs[3].data[0].x)
