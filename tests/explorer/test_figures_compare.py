"""Figure builders of the comparison lab: traces, shared ranges, values, payload size."""
import numpy as np
import pytest

from explorer.figures import compare as FC
from explorer.figures.common import CELL_COLORS


def _dict(fig):
    return fig.to_plotly_json()


def _arr(v):
    """A plotly array (maybe base64-typed after to_plotly_json) as numpy."""
    if isinstance(v, dict) and "bdata" in v:
        import base64
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        return a.reshape([int(n) for n in str(shape).split(",")]) if shape else a
    return np.asarray(v)


def test_common_range():
    assert FC.common_range([np.array([1.0, 2.0]), np.array([[0.5, np.nan], [3.0, np.inf]])], pad=0) == (0.5, 3.0)
    lo, hi = FC.common_range([np.array([1e-3, 0.0, -1.0]), np.array([10.0])], log=True, pad=0)
    assert (lo, hi) == pytest.approx((-3.0, 1.0))
    assert FC.common_range([np.array([np.nan])]) is None


def test_overlay_curves_one_colour_per_cell_and_baseline():
    s = np.arange(1, 11)
    curves = {k: (s, np.linspace(1, 0.1 * (i + 1), 10)) for i, k in enumerate(("rnn", "lstm", "gru"))}
    vals = {k: (s[::5], v[::5]) for k, (_, v) in curves.items()}
    fig = FC.overlay_curves_figure(curves, val_curves=vals, baseline=0.167, title="t", y_title="MSE",
                                   log_y=True, y_range=(-2, 0.5))
    assert len(fig.data) == 7
    for k in ("rnn", "lstm", "gru"):
        mine = [t for t in fig.data if t.legendgroup == k]
        assert len(mine) == 2 and all(t.line.color == CELL_COLORS[k] for t in mine)
    base = fig.data[-1]
    assert list(base.y) == [0.167, 0.167] and base.line.dash == "dash"
    assert fig.layout.yaxis.type == "log" and tuple(fig.layout.yaxis.range) == (-2, 0.5)
    np.testing.assert_allclose(_arr(_dict(fig)["data"][2]["y"]), curves["lstm"][1], rtol=1e-6)
    lin = FC.overlay_curves_figure({"rnn": (s, s - 5.0)}, title="t", y_title="y", log_y=True)
    assert lin.layout.yaxis.type == "linear"  # negative values: no log axis
    assert FC.overlay_curves_figure({}, title="t", y_title="y").layout.annotations  # empty message


def test_grad_heatmaps_share_one_colour_scale():
    rng = np.random.default_rng(0)
    rows = {"rnn": (np.arange(4) * 50, 10 ** rng.uniform(-8, 0, (4, 30))),
            "lstm": (np.arange(4) * 50, 10 ** rng.uniform(-2, 0, (4, 30))),
            "gru": (np.arange(4) * 50, 10 ** rng.uniform(-3, 0, (4, 30)))}
    zr = FC.common_range([g for _, g in rows.values()], log=True, pad=0)
    fig = FC.grad_heatmaps_figure(rows, zrange=zr)
    hm = [t for t in fig.data if t.type == "heatmap"]
    assert len(hm) == 3 and {t.coloraxis for t in hm} == {"coloraxis"}
    assert fig.layout.coloraxis.cmin == pytest.approx(zr[0]) and fig.layout.coloraxis.cmax == pytest.approx(zr[1])
    assert zr[0] < -7.5  # the RNN's vanishing end sets the bottom of the common scale
    np.testing.assert_allclose(_arr(_dict(fig)["data"][0]["z"]), np.log10(rows["rnn"][1]), rtol=1e-5)


def test_trajectories_same_ranges_each_panel():
    p = {k: np.random.default_rng(i).normal(size=(3, 20, 2)) for i, k in enumerate(("rnn", "lstm", "gru"))}
    fig = FC.trajectories_figure(p, xy_range=(-4, 4), explained={k: np.array([0.6, 0.3]) for k in p})
    assert len(fig.data) == 3 * (3 + 1)
    for ax in ("xaxis", "xaxis2", "xaxis3", "yaxis", "yaxis2", "yaxis3"):
        assert tuple(fig.layout[ax].range) == (-4, 4)
    assert fig.layout.xaxis.title.text == "PC1 (60%)"


def test_gate_heatmaps_scales():
    T, H = 25, 6
    rng = np.random.default_rng(1)
    g = {"input": rng.uniform(0, 1, (T, H)), "forget": rng.uniform(0, 1, (T, H)),
         "cell": rng.uniform(-1, 1, (T, H)), "c": rng.normal(0, 3, (T, H))}
    fig = FC.gate_heatmaps_figure(g, title="LSTM")
    axes = [t.coloraxis for t in fig.data]
    assert axes == ["coloraxis", "coloraxis", "coloraxis2", "coloraxis2"]
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, 1.0)
    m = float(np.abs(g["c"]).max())
    assert fig.layout.coloraxis2.cmin == pytest.approx(-m) and fig.layout.coloraxis2.cmax == pytest.approx(m)
    z = _arr(_dict(fig)["data"][1]["z"])
    np.testing.assert_allclose(z, g["forget"].T, rtol=1e-6)  # units x time


def test_gate_means_figure():
    fig = FC.gate_means_figure({"reset": np.full(10, 0.2), "update": np.full(10, 0.8)}, title="GRU")
    assert [t.name for t in fig.data] == ["reset gate r_t", "update gate z_t"]
    assert tuple(fig.layout.yaxis.range) == (0.0, 1.0)


def test_saturation_figure_fractions():
    v = np.array([0.01, 0.02, 0.05, 0.5, 0.95, 0.99, 0.6, 0.3, 0.2, 0.97])
    fig = FC.saturation_figure({"forget": v, "input": np.full(8, 0.5)}, title="t", y_max=0.8)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 2
    assert float(np.sum(bars[0].y)) == pytest.approx(1.0)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "forget gate f_t: 30% < 0.1, 30% > 0.9"
    assert titles[1].startswith("input gate i_t: 0% < 0.1, 0% > 0.9")
    assert tuple(fig.layout.yaxis.range) == (0, 0.8)


def test_memory_figure():
    fig = FC.memory_figure(np.array([2, 4, 8]), {"rnn": [1, 0.5, 0.25], "lstm": [1, 1, 0.9]}, title="m",
                           x_title="delay", y_title="accuracy", chance=0.25, y_range=(0, 1.05))
    assert [t.name for t in fig.data] == ["Vanilla RNN", "LSTM", "chance"]
    assert fig.data[1].line.color == CELL_COLORS["lstm"]


def test_big_inputs_stay_under_a_megabyte():
    T, H, S = 1000, 512, 300
    rng = np.random.default_rng(2)
    rows = {k: (np.arange(S), rng.uniform(0.001, 1, (S, T))) for k in ("rnn", "lstm", "gru")}
    gates = {n: rng.uniform(0, 1, (T, H)).astype(np.float32) for n in ("input", "forget", "output", "cell")}
    gates["c"] = rng.normal(size=(T, H)).astype(np.float32)
    figs = [FC.grad_heatmaps_figure(rows, zrange=(-3, 0)),
            FC.gate_heatmaps_figure(gates, title="LSTM"),
            FC.saturation_figure({n: gates[n] for n in ("input", "forget", "output")}, title="s"),
            FC.trajectories_figure({k: rng.normal(size=(6, T, 2)) for k in ("rnn", "lstm", "gru")}),
            FC.overlay_curves_figure({k: (np.arange(100_000), rng.uniform(size=100_000)) for k in ("rnn", "lstm")},
                                     title="l", y_title="y")]
    for f in figs:
        assert len(f.to_json()) < 1_000_000


# ---- languages ----------------------------------------------------------------------------------

def _texts(fig) -> list[str]:
    """Every piece of text a reader sees in ``fig``: titles, axis and colour-bar titles, panel
    titles and annotations, legend names, and the words of the hover labels."""
    import re
    d = _dict(fig)
    lay = d["layout"]
    out = [lay.get("title", {}).get("text", "")]
    for k, v in lay.items():
        if k.startswith(("xaxis", "yaxis")):
            out.append(v.get("title", {}).get("text", ""))
        if k.startswith("coloraxis"):
            out.append(v.get("colorbar", {}).get("title", {}).get("text", ""))
    out += [a.get("text", "") for a in lay.get("annotations", [])]
    for tr in d["data"]:
        if tr.get("showlegend", True) and tr.get("name"):
            out.append(tr["name"])
        # hover: drop plotly's %{...} fields and the tags, keep the words
        out.append(re.sub(r"%\{[^}]*\}|<[^>]*>", " ", tr.get("hovertemplate", "")))
    return [s for s in out if s and s.strip()]


def _all_figures(lang):
    rng = np.random.default_rng(3)
    s = np.arange(1, 11)
    kinds = ("rnn", "lstm", "gru")
    curves = {k: (s, np.linspace(1, 0.1, 10)) for k in kinds}
    gates = {n: rng.uniform(0, 1, (12, 4)) for n in ("input", "forget", "output")}
    gates.update(cell=rng.uniform(-1, 1, (12, 4)), c=rng.normal(size=(12, 4)))
    return {
        "overlay": FC.overlay_curves_figure(curves, val_curves={k: (s[::5], v[::5]) for k, (_, v) in curves.items()},
                                            baseline=0.2, title="x", y_title="y", log_y=True, lang=lang),
        "overlay_empty": FC.overlay_curves_figure({}, title="x", y_title="y", lang=lang),
        "grad": FC.grad_heatmaps_figure({k: (s, rng.uniform(0.01, 1, (10, 8))) for k in kinds}, zrange=(-2, 0),
                                        lang=lang),
        "traj": FC.trajectories_figure({k: rng.normal(size=(2, 8, 2)) for k in kinds},
                                       explained={k: np.array([0.5, 0.2]) for k in kinds}, lang=lang),
        "traj_no_ev": FC.trajectories_figure({"gru": rng.normal(size=(2, 8, 2))}, lang=lang),
        "gates": FC.gate_heatmaps_figure(gates, title="x", lang=lang),
        "gru_gates": FC.gate_heatmaps_figure({n: rng.uniform(0, 1, (12, 4)) for n in ("reset", "update", "new")},
                                             title="x", lang=lang),
        "means": FC.gate_means_figure({n: np.full(5, 0.5) for n in ("input", "forget")}, title="x", lang=lang),
        "means_empty": FC.gate_means_figure({}, title="x", lang=lang),
        "saturation": FC.saturation_figure({"forget": rng.uniform(size=50), "update": rng.uniform(size=50)},
                                           title="x", lang=lang),
        "memory": FC.memory_figure(np.array([2, 4]), {k: [1.0, 0.5] for k in kinds}, title="x", x_title="x",
                                   y_title="y", chance=0.25, lang=lang),
    }


def test_builders_speak_korean():
    from tests.i18n_check import has_hangul, untranslated_ko
    ko = _all_figures("ko")
    for name, fig in ko.items():
        texts = [s for s in _texts(fig) if s != "x" and s != "y"]  # the callers' own titles
        assert texts and [s for s in texts if untranslated_ko(s)] == [], name
        assert any(has_hangul(s) for s in texts), name
    assert ko["grad"].layout.title.text.startswith("시간 단계마다")
    assert ko["grad"].layout.xaxis.title.text == "시간 단계 t"
    assert ko["grad"].layout.coloraxis.colorbar.title.text == "log₁₀ 노름"
    assert [t.name for t in ko["overlay"].data][:2] == ["기본 RNN (학습)", "기본 RNN (검증)"]
    assert ko["overlay"].data[-1].name == "기준선" and ko["overlay"].layout.xaxis.title.text == "학습 단계"
    assert ko["traj"].layout.xaxis.title.text == "주성분 1 (50%)"
    assert ko["traj_no_ev"].layout.yaxis.title.text == "주성분 2"
    assert [a.text for a in ko["gates"].layout.annotations][:2] == ["입력 게이트 i_t", "망각 게이트 f_t"]
    assert ko["gates"].layout.coloraxis2.colorbar.title.text == "값"
    assert ko["saturation"].layout.annotations[0].text.startswith("망각 게이트 f_t: ")
    assert ko["memory"].data[-1].name == "우연 수준"
    assert has_hangul(ko["means_empty"].layout.annotations[0].text)  # the empty message


def test_builders_english_unchanged():
    en = _all_figures("en")
    assert [t.name for t in en["overlay"].data][:2] == ["Vanilla RNN (train)", "Vanilla RNN (held-out)"]
    assert en["overlay"].data[1].hovertemplate == "step %{x}<br>%{y:.4g}<extra>Vanilla RNN held-out</extra>"
    assert en["overlay"].data[-1].hovertemplate == "trivial baseline (best constant): %{y:.4g}<extra></extra>"
    assert en["grad"].layout.title.text == ("Gradient ||∂L/∂h_t|| reaching each time step, during training "
                                            "(log₁₀, one colour scale)")
    assert en["grad"].data[0].hovertemplate == ("step %{y}<br>t %{x}<br>log₁₀ norm %{z:.2f}"
                                                "<extra>Vanilla RNN</extra>")
    assert en["traj"].data[0].hovertemplate == "sequence 1<br>PC1 %{x:.2f}<br>PC2 %{y:.2f}<extra></extra>"
    assert en["gates"].data[1].hovertemplate == "t %{x}<br>unit %{y}<br>%{z:.3f}<extra>forget</extra>"
    assert en["gates"].layout.coloraxis.colorbar.title.text == "gate"
    assert en["overlay_empty"].layout.annotations[0].text == "No steps yet"
    assert en["means"].layout.yaxis.title.text == "mean activation"
    assert en["memory"].data[-1].name == "chance"
    assert FC.cell_name("rnn") == "Vanilla RNN" and FC.cell_name("rnn", "ko") == "기본 RNN"
    assert FC.cell_name("other", "ko") == "other"
