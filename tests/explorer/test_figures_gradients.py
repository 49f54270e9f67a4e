"""Figure builders of the Gradient flow lab: traces, log axes, values, payload size."""

import numpy as np
import pytest

from explorer.figures import clipping as FC
from explorer.figures import gradients as FG
from explorer.figures.common import CELL_COLORS


def _size(fig) -> int:
    return len(fig.to_json())


def _y(trace) -> np.ndarray:
    return np.asarray(trace.y, dtype=np.float64)


def test_flow_figure_curves_bound_fits_badges():
    T = 1000
    t = np.arange(T)
    grads = {"rnn": 0.5 ** (T - 1 - t) * 0.3, "lstm": np.full(T, 0.2), "gru": 1.01 ** (T - 1 - t)}
    grads["rnn"][:10] = 0.0  # underflow: a gap, not a point at 0
    bound = np.log10(0.3) + (T - 1 - t) * np.log10(1.8)  # runs off to 1e+255
    fig = FG.flow_figure(grads, fits={"lstm": (0.0, np.log10(0.2), 0, 994)}, bound_log10=bound,
                         badges=[("rnn", "vanishing", "RNN: vanishing"), ("lstm", "stable", "LSTM: stable")])
    names = [tr.name for tr in fig.data]
    assert names[:3] == ["RNN", "LSTM", "GRU"]
    assert [tr.line.color for tr in fig.data[:3]] == [CELL_COLORS[k] for k in ("rnn", "lstm", "gru")]
    assert fig.layout.yaxis.type == "log"
    rnn = _y(fig.data[0])
    assert np.isnan(rnn[:10]).all() and rnn[-1] == pytest.approx(0.3)
    assert _y(fig.data[1])[500] == pytest.approx(0.2)
    dashed = [tr for tr in fig.data if tr.line.dash == "dash"]
    assert len(dashed) == 1  # the bound
    by = _y(dashed[0])
    assert np.all(np.isfinite(by)) and by.max() < 1e10  # cut where it leaves the view
    assert [tr for tr in fig.data if tr.line.dash == "dot"][0].name == "LSTM fitted rate"
    texts = [a.text for a in fig.layout.annotations]
    assert any("RNN: vanishing" in s for s in texts) and any("LSTM: stable" in s for s in texts)
    lo, hi = fig.layout.yaxis.range
    assert lo < np.log10(rnn[np.isfinite(rnn)].min()) and hi > np.log10(np.nanmax(_y(fig.data[2])))
    assert fig.layout.uirevision is not None and fig.layout.font.size >= 14
    assert _size(fig) < 1_000_000


def test_flow_figure_keeps_float64_extremes():
    g = np.array([1e-200, 1e-100, 1.0, 1e120])
    fig = FG.flow_figure({"rnn": g})
    np.testing.assert_allclose(_y(fig.data[0]), g, rtol=1e-12)


def test_product_and_singular_figures():
    lp = {"RNN: ||∏ J||": -np.arange(99, -1, -1) * 0.3, "LSTM: ∏ f": np.zeros(100)}
    fig = FG.product_figure(lp, styles={"LSTM: ∏ f": ("#0072B2", "dash")})
    assert len(fig.data) == 2 and fig.layout.yaxis.type == "log"
    assert _y(fig.data[0])[0] == pytest.approx(10 ** (-29.7))
    assert fig.data[1].line.dash == "dash"
    sv = np.sort(np.random.default_rng(0).uniform(0.1, 2, (50, 8)), axis=1)[:, ::-1]
    f2 = FG.singular_value_figure({"rnn": sv, "gru": sv * 0.5})
    assert len(f2.data) == 7  # 3 per cell + the line at 1
    np.testing.assert_allclose(_y(f2.data[0]), sv[:, 0], rtol=1e-6)
    np.testing.assert_allclose(_y(f2.data[2]), sv[:, -1], rtol=1e-6)
    assert _y(f2.data[-1]).tolist() == [1.0, 1.0]


def test_clipping_figures_mark_diverged_steps_and_threshold():
    n = 50
    steps = np.arange(1, n + 1)
    lp = np.full(n, 10.0)
    lp[[5, 9]] = np.nan
    gp = np.full(n, 100.0)
    gp[9] = np.inf
    loss, grad = FC.clipping_figures(steps, lp, np.linspace(1, 0.01, n), gp, np.full(n, 2.0), 1.0,
                                     baseline=0.5)
    assert loss.layout.yaxis.type == "log" and grad.layout.yaxis.type == "log"
    crosses = [tr for tr in loss.data if tr.mode == "markers"]
    assert len(crosses) == 1 and list(crosses[0].x) == [6, 10]
    thr = [tr for tr in grad.data if tr.name == "threshold"][0]
    assert list(thr.y) == [1.0, 1.0]
    assert [tr.name for tr in loss.data[:1]] == ["no clipping"]


def test_cliff_figure_heatmap_paths_and_offscreen_arrow():
    w = np.linspace(0, 12, 161)
    b = np.linspace(-7, 3, 161)
    L = np.add.outer(b ** 2, w)  # (nb, nw)
    paths = {"no clipping": np.array([[5.0, -2.5], [4.5, -2.3], [26.0, 32.0]]),
             "clipped at 5": np.array([[5.0, -2.5], [4.9, -2.4]])}
    fig = FC.cliff_figure(w, b, L, paths)
    assert fig.data[0].type == "heatmap"
    z = np.asarray(fig.data[0].z, dtype=np.float64)
    assert z.shape == (161, 161) and z[10, 20] == pytest.approx(np.log10(L[10, 20] + 1e-8), rel=1e-5)
    lines = [tr for tr in fig.data[1:] if tr.mode == "lines+markers"]
    assert [tr.line.color for tr in lines] == [FG.PLAIN_COLOR, FG.CLIPPED_COLOR]
    assert any("thrown to (26" in a.text for a in fig.layout.annotations)
    assert _size(fig) < 1_000_000
    f2 = FC.path_loss_figure({"no clipping": np.array([1.0, 10.0, 0.1])})
    assert f2.layout.yaxis.type == "log" and len(f2.data) == 1


def test_empty_inputs_give_messages():
    assert len(FG.flow_figure({}).data) == 0
    assert len(FG.product_figure({}).data) == 0
    assert len(FG.singular_value_figure({}).data) == 0


def _texts(fig) -> list[str]:
    """Title, axis titles, colorbar titles, legend names and annotations of a figure."""
    lay = fig.layout
    out = [lay.title.text, lay.xaxis.title.text, lay.yaxis.title.text]
    out += [a.text for a in lay.annotations or ()]
    for tr in fig.data:
        out.append(tr.name)
        cb = getattr(tr, "colorbar", None)
        if cb is not None and cb.title is not None:
            out.append(cb.title.text)
    return [s for s in out if s]


def test_builders_speak_korean_and_keep_english_by_default():
    from explorer.app.i18n import HANGUL
    from tests.i18n_check import untranslated_ko

    T = 60
    g = 0.9 ** np.arange(T - 1, -1, -1.0)
    n = 20
    steps = np.arange(1, n + 1)
    w, b = np.linspace(0, 12, 21), np.linspace(-7, 3, 21)
    L = np.add.outer(b ** 2, w)
    paths = {"자르기 없음": np.array([[5.0, -2.5], [30.0, 40.0]]), "5에서 자름": np.array([[5.0, -2.5], [4.9, -2.4]])}
    colors = {"자르기 없음": FG.PLAIN_COLOR, "5에서 자름": FG.CLIPPED_COLOR}
    sv = np.ones((T, 4))

    def build(lang):
        return [FG.flow_figure({"rnn": g}, fits={"rnn": (np.log10(1 / 0.9), 0.0, 0, T - 6)},
                               bound_log10=np.arange(T)[::-1] * 2.0, lang=lang),
                FG.product_figure({"RNN": np.zeros(T)}, lang=lang),
                FG.singular_value_figure({"rnn": sv}, lang=lang),
                *FC.clipping_figures(steps, np.full(n, np.nan), np.ones(n), np.full(n, 5.0), np.ones(n), 1.0,
                                     baseline=0.5, lang=lang),
                FC.cliff_figure(w, b, L, paths, colors=colors, lang=lang),
                FC.path_loss_figure({k: np.array([1.0, 0.1]) for k in paths}, colors=colors, lang=lang),
                FG.flow_figure({}, lang=lang), FG.product_figure({}, lang=lang),
                FG.singular_value_figure({}, lang=lang)]

    ko, en = build("ko"), build("en")
    for fig in ko:
        assert HANGUL.search(fig.layout.title.text), fig.layout.title.text
        assert [s for s in _texts(fig) if untranslated_ko(s)] == []
    flow = ko[0]
    assert flow.layout.xaxis.title.text == "시간 단계 t (손실은 끝에서 읽음)"
    assert [tr.name for tr in flow.data][1:] == ["RNN 맞춘 비율", "Pascanu 상한 η^(T−1−t) (보기 범위 위로 벗어남)"]
    loss_ko, grad_ko = ko[3], ko[4]
    assert [tr.name for tr in loss_ko.data if tr.showlegend is not False] == ["자르기 없음", "1에서 자름", "최선의 상수 예측"]
    assert any(tr.name == "임계값" for tr in grad_ko.data) and "단계" in grad_ko.data[0].hovertemplate
    cliff = ko[5]
    assert cliff.data[0].colorbar.title.text == "log₁₀ 손실"
    assert any("튕겨 나감" in a.text for a in cliff.layout.annotations)
    # the colours follow the explicit mapping, not the (English) names
    assert [tr.line.color for tr in cliff.data[1:] if tr.mode == "lines+markers"] == [FG.PLAIN_COLOR, FG.CLIPPED_COLOR]
    assert [tr.line.color for tr in ko[6].data] == [FG.PLAIN_COLOR, FG.CLIPPED_COLOR]
    # English: the same figures with exactly the old English words
    assert en[0].layout.title.text == "Gradient norm ||∂L/∂h_t|| flowing back from the loss"
    assert en[0].layout.xaxis.title.text == "time step t (the loss is read at the end)"
    assert en[0].data[-1].name == "Pascanu bound η^(T−1−t) (runs above the view)"
    assert en[2].layout.yaxis.title.text == "singular value" and en[2].data[1].name == "RNN median σ"
    assert en[3].layout.title.text == "Training loss" and en[4].layout.title.text == "Global gradient norm (before clipping)"
    assert [tr.name for tr in en[3].data if tr.showlegend is not False] == ["no clipping", "clipped at 1", "best constant"]
    assert en[5].layout.title.text == "The cliff: log₁₀ loss over (w, b) and gradient-descent paths"
    assert en[5].layout.xaxis.title.text == "w (recurrent weight)"
    assert en[7].layout.annotations[0].text == "No gradient to show"
    for fig in en:
        assert not any(HANGUL.search(s) for s in _texts(fig) if s not in paths and not s.startswith(tuple(paths)))
