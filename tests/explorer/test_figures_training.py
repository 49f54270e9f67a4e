"""Tests of the pure figure builders in explorer.figures (no streamlit, no torch)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import pytest

from explorer.figures.training import CURVE_POINTS, MAX_HELD_OUT_POINTS
from explorer.figures import (
    CELL_COLORS,
    TIME_COLORSCALE,
    WEIGHT_COLORS,
    base_layout,
    class_prob_figure,
    downsample_index,
    figure_to_html,
    grad_norm_curve,
    grad_norm_curves,
    grad_norm_heatmap,
    hidden_heatmap,
    loss_figure,
    metric_figure,
    minmax_downsample,
    prediction_figure,
    trajectory_figure,
)

T_BIG, H_BIG = 1000, 512
MB = 1_000_000


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _n_points(fig: go.Figure) -> int:
    return sum(len(tr.x) for tr in fig.data if tr.x is not None)


def _annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


# ----------------------------------------------------------------------------- common


def test_figures_package_imports_neither_streamlit_nor_torch():
    code = "import sys, explorer.figures; print('streamlit' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_palettes_are_distinct():
    assert set(CELL_COLORS) == {"rnn", "lstm", "gru"}
    assert len(set(CELL_COLORS.values())) == 3
    assert set(WEIGHT_COLORS) == {"W_xh", "W_hh", "W_hy"}
    assert len(set(WEIGHT_COLORS.values())) == 3


@pytest.mark.parametrize("n, m", [(0, 5), (3, 5), (5, 5), (6, 5), (1000, 7), (10_001, 2000)])
def test_downsample_index(n, m):
    idx = downsample_index(n, m)
    assert idx.size == min(n, m)
    if n:
        assert idx[0] == 0 and idx[-1] == n - 1
        assert np.all(np.diff(idx) > 0)
    if n <= m:
        np.testing.assert_array_equal(idx, np.arange(n))


def test_minmax_downsample_keeps_spike_and_dip():
    n = 100_000
    x = np.arange(n)
    y = np.exp(-x / 30_000.0)
    y[54_321] = 1e6  # a divergence spike striding would almost surely miss
    y[77_777] = -5.0
    xd, yd = minmax_downsample(x, y, 500)
    assert xd.size <= 500
    assert yd.max() == 1e6 and xd[np.argmax(yd)] == 54_321
    assert yd.min() == -5.0
    assert xd[0] == 0 and xd[-1] == n - 1
    assert np.all(np.diff(xd) > 0)
    # Striding the same budget loses the spike: the test above is not vacuous.
    assert y[downsample_index(n, 500)].max() < 1e6


def test_minmax_downsample_short_input_unchanged():
    x, y = np.arange(10), np.linspace(0, 1, 10)
    xd, yd = minmax_downsample(x, y, 2000)
    np.testing.assert_array_equal(xd, x)
    np.testing.assert_array_equal(yd, y)


def test_base_layout_is_readable_and_keeps_zoom():
    import streamlit  # noqa: F401  (as in the app: importing it makes its small template plotly's default)
    fig = base_layout(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), title="T", x_title="a", y_title="b")
    assert fig.layout.uirevision == "keep"
    assert fig.layout.font.size >= 14
    # no template in the app (Streamlit's theme styles it; a template costs ~30 ms a figure)
    assert fig.layout.template.layout.paper_bgcolor is None
    assert fig.layout.title.text == "T"
    assert fig.layout.xaxis.title.text == "a" and fig.layout.yaxis.title.text == "b"
    # Legend outside the plot area (above it), so it never covers data.
    assert fig.layout.legend.y > 1


def test_figure_to_html_embeds_plotlyjs():
    html = figure_to_html(loss_figure(np.arange(10), np.linspace(1, 0.1, 10)))
    assert '"paper_bgcolor":"white"' in html  # a standalone file gets the plotly_white template
    # plotly.js's own source mentions cdn.plot.ly (a default topojson URL used only by
    # geo maps), so check that nothing is *loaded* from a CDN rather than the bare string.
    assert '<script src="https://cdn.plot.ly' not in html
    assert "src=\"http" not in html and "src='http" not in html
    assert "plotly.js v" in html.lower()
    assert len(html) > 1_000_000  # the library itself is inlined, not linked
    assert html.lstrip().lower().startswith("<!doctype html>")


# ------------------------------------------------------------------------------- loss


def test_loss_figure_traces_log_axis_and_baseline():
    steps = np.arange(1, 501)
    loss = 2.0 / np.sqrt(steps)
    fig = loss_figure(steps, loss, np.arange(0, 501, 50), np.linspace(2, 0.3, 11), baseline=1.5)
    assert [tr.mode for tr in fig.data] == ["lines", "lines+markers", "lines"]
    assert fig.layout.yaxis.type == "log"
    base = fig.data[2]
    assert base.line.dash == "dash"
    assert tuple(base.y) == (1.5, 1.5)
    assert base.x[0] <= 0 and base.x[-1] >= 500  # spans train and held-out steps
    (ann,) = [a for a in fig.layout.annotations if a.text == "trivial baseline (best constant)"]
    assert ann.y == pytest.approx(np.log10(1.5))  # log axis: annotation in log units
    assert fig.layout.uirevision == "keep"


def test_a_single_step_is_drawn_as_a_marker():
    fig = loss_figure(np.array([1]), np.array([0.47]), np.array([1]), np.array([0.44]), baseline=0.5)
    assert fig.data[0].mode == "markers" and list(fig.data[0].y) == [0.47]
    assert loss_figure(np.arange(2), np.array([0.5, 0.4])).data[0].mode == "lines"


def test_loss_figure_linear_when_values_not_positive():
    fig = loss_figure(np.arange(5), np.array([1.0, 0.5, 0.0, 0.2, 0.1]), baseline=0.3)
    assert fig.layout.yaxis.type == "linear"
    (ann,) = fig.layout.annotations
    assert ann.y == pytest.approx(0.3)
    assert loss_figure(np.arange(3), np.ones(3), log_y=False).layout.yaxis.type == "linear"


def test_loss_figure_drops_nan_and_inf():
    loss = np.array([1.0, np.nan, 0.5, np.inf, 0.25, -np.inf])
    fig = loss_figure(np.arange(6), loss)
    assert list(fig.data[0].x) == [0, 2, 4]
    assert list(fig.data[0].y) == [1.0, 0.5, 0.25]
    assert fig.layout.yaxis.type == "log"


@pytest.mark.parametrize("steps, loss", [([], []), ([0, 1], [np.nan, np.inf])])
def test_loss_figure_empty(steps, loss):
    fig = loss_figure(np.array(steps), np.array(loss), baseline=1.0)
    assert len(fig.data) == 0
    assert "No steps yet" in _annotation_texts(fig)


def test_loss_figure_downsamples_but_keeps_spike():
    n = 50_000
    loss = np.full(n, 0.5)
    loss[31_337] = 1e4
    fig = loss_figure(np.arange(n), loss, max_points=2000)
    assert len(fig.data[0].x) <= 2000
    assert max(fig.data[0].y) == 1e4


def test_live_curves_stay_cheap_to_redraw_in_a_long_run():
    """A long run's held-out curve loses its markers and is thinned; the train curve is bounded."""
    n = 200_000
    steps = np.arange(n)
    loss = 1.0 / (1.0 + steps / 1000.0)
    few = loss_figure(steps[:2000], loss[:2000], steps[:2000:50], loss[:2000:50], baseline=2.0)
    assert few.data[1].mode == "lines+markers"  # 40 measurements: each one visible
    many = loss_figure(steps, loss, steps[::50], loss[::50], baseline=2.0)
    assert many.data[1].mode == "lines"
    assert 0 < len(many.data[1].x) <= MAX_HELD_OUT_POINTS
    assert many.data[1].x[-1] == steps[::50][-1]  # the latest measurement is always drawn
    assert len(many.data[0].x) <= CURVE_POINTS
    for fig in (few, many, metric_figure(steps, loss, name="accuracy")):
        # fixed angle and margins: the browser does not measure labels for them on every redraw
        for ax in (fig.layout.xaxis, fig.layout.yaxis):
            assert ax.tickangle == 0 and ax.automargin is False and ax.ticklabeloverflow == "allow"
        assert fig.layout.margin.l >= 70 and fig.layout.margin.b >= 50


def test_metric_figure_linear_with_baseline():
    fig = metric_figure(np.arange(100), np.linspace(0.1, 0.9, 100), name="accuracy", baseline=0.5,
                        val_steps=np.arange(0, 100, 10), val_values=np.linspace(0.1, 0.8, 10))
    assert fig.layout.yaxis.type == "linear"
    assert len(fig.data) == 3
    assert tuple(fig.data[2].y) == (0.5, 0.5)
    assert "higher is better" in fig.layout.yaxis.title.text
    fig = metric_figure(np.arange(3), np.ones(3), name="mse", higher_is_better=False)
    assert "lower is better" in fig.layout.yaxis.title.text


# ------------------------------------------------------------------------ predictions


def test_prediction_figure_per_step(rng):
    n, T, O = 6, T_BIG, 2
    fig = prediction_figure(rng.normal(size=(n, T, O)), rng.normal(size=(n, T, O)),
                            channel_names=["a", "b"], max_points=300)
    assert len(fig.data) == 4 * O * 2  # at most 4 rows, target + prediction per channel
    assert all(isinstance(tr, go.Scatter) and len(tr.x) <= 300 for tr in fig.data)
    targets = [tr for tr in fig.data if tr.name.endswith("target")]
    preds = [tr for tr in fig.data if tr.name.endswith("predicted")]
    assert all(tr.line.dash is None for tr in targets)
    assert all(tr.line.dash == "dash" for tr in preds)
    for t_tr, p_tr in zip(targets, preds):
        assert t_tr.line.color == p_tr.line.color
    assert targets[0].line.color != targets[1].line.color
    assert {tr.yaxis for tr in fig.data} == {"y", "y2", "y3", "y4"}
    assert sum(bool(tr.showlegend) for tr in fig.data) == 2 * O  # legend once per channel


def test_prediction_figure_many_to_one_scatter(rng):
    tgt = rng.normal(size=(50, 1))
    fig = prediction_figure(tgt, tgt + 0.1)
    identity, points = fig.data
    assert identity.mode == "lines" and tuple(identity.x) == tuple(identity.y)
    assert points.mode == "markers" and len(points.x) == 50
    assert fig.layout.xaxis.title.text == "target" and fig.layout.yaxis.title.text == "predicted"


def test_prediction_figure_shape_mismatch_raises():
    with pytest.raises(ValueError):
        prediction_figure(np.zeros((2, 5, 1)), np.zeros((2, 4, 1)))


# ---------------------------------------------------------------------- probabilities


def test_class_prob_heatmap_marks_target(rng):
    T, C = 40, 5
    probs = rng.dirichlet(np.ones(C), size=T)
    target = rng.integers(0, C, T)
    names = list("abcde")
    fig = class_prob_figure(probs, target, names)
    heat, marks = fig.data
    assert isinstance(heat, go.Heatmap)
    assert np.asarray(heat.z).shape == (C, T)
    np.testing.assert_allclose(np.asarray(heat.z), probs.T, rtol=1e-6)
    assert (heat.zmin, heat.zmax) == (0, 1)
    assert list(marks.y) == [names[c] for c in target]
    assert marks.marker.color == "white"


def test_class_prob_bars_many_to_one(rng):
    probs = rng.dirichlet(np.ones(4), size=10)
    target = np.array([2, 0, 1, 3, 0, 0, 1, 1, 2, 3])
    for fig in (class_prob_figure(probs, target, many_to_one=True),
                class_prob_figure(probs[:, None, :], target)):
        assert fig.layout.barmode == "group"
        assert all(isinstance(tr, go.Bar) for tr in fig.data)
        assert len(fig.data) == 6  # a few examples, not all ten
        for i, tr in enumerate(fig.data):
            widths = np.asarray(tr.marker.line.width)
            assert np.argmax(widths) == target[i] and widths.max() > 0
            assert np.count_nonzero(widths) == 1


def test_class_prob_ambiguous_batch_raises(rng):
    with pytest.raises(ValueError):
        class_prob_figure(rng.random((3, 7, 4)))


# ------------------------------------------------------------------------ trajectories


def test_trajectory_2d_time_colouring(rng):
    proj = rng.normal(size=(32, T_BIG, 2)).cumsum(axis=1)
    fig = trajectory_figure(proj, explained=[0.523, 0.2], max_points=5000)
    assert _n_points(fig) <= 5000
    assert all(isinstance(tr, go.Scatter) for tr in fig.data)
    paths = fig.data[0]
    assert paths.name == "trajectories" and len(fig.data) == 3
    x = np.asarray(paths.x, dtype=float)
    assert np.count_nonzero(np.isnan(x)) == 31  # a gap between each pair of sequences
    assert paths.connectgaps is False
    # Markers coloured by the time step through the shared colour axis.
    t = np.asarray(paths.marker.color)
    assert paths.marker.coloraxis == "coloraxis"
    assert t[0] == 0 and t[np.flatnonzero(np.isnan(x))[0] - 1] == T_BIG - 1
    np.testing.assert_allclose(x[:3], proj[0, np.asarray(paths.customdata)[:3, 1], 0], rtol=1e-5)
    assert fig.layout.coloraxis.colorbar.title.text == "t"
    assert fig.layout.coloraxis.colorscale == go.layout.Coloraxis(colorscale=TIME_COLORSCALE).colorscale
    start, end = fig.data[-2:]
    assert (start.name, start.marker.symbol) == ("start", "circle")
    assert (end.name, end.marker.symbol) == ("end", "x")
    np.testing.assert_allclose(start.x, proj[:, 0, 0], rtol=1e-5)
    np.testing.assert_allclose(end.y, proj[:, -1, 1], rtol=1e-5)
    assert fig.layout.xaxis.title.text == "PC1 (52.3%)"
    assert fig.layout.yaxis.title.text == "PC2 (20.0%)"
    assert fig.layout.xaxis.range is None  # autoscale unless ranges are given


def test_trajectory_3d_labels_and_ranges(rng):
    proj = rng.normal(size=(9, 200, 3))
    labels = np.array([0, 1, 2] * 3)
    ranges = ((-5, 5), (-4, 4), (-3, 3))
    fig = trajectory_figure(proj, color_by="label", labels_n=labels, ranges=ranges)
    assert all(isinstance(tr, go.Scatter3d) for tr in fig.data)
    legend = [tr.name for tr in fig.data if tr.showlegend is not False]
    assert legend == ["label 0", "label 1", "label 2", "start", "end"]
    colors = {tr.name: tr.line.color for tr in fig.data if tr.name.startswith("label")}
    assert len(set(colors.values())) == 3
    # Each label's trace holds exactly that label's sequences (read back from the hover data).
    for tr in fig.data[:3]:
        seqs = set(np.asarray(tr.customdata)[:, 0])
        assert {int(labels[i]) for i in seqs} == {int(tr.name.split()[-1])}
        assert len(seqs) == 3
    assert tuple(fig.layout.scene.zaxis.range) == (-3, 3)
    assert tuple(fig.layout.scene.xaxis.range) == (-5, 5)
    assert fig.layout.scene.xaxis.title.text == "PC1"


def test_trajectory_many_sequences_respects_budget(rng):
    fig = trajectory_figure(rng.normal(size=(3000, 50, 2)), max_points=1000)
    assert _n_points(fig) <= 1000


def test_trajectory_bad_input():
    with pytest.raises(ValueError):
        trajectory_figure(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError):
        trajectory_figure(np.zeros((2, 5, 2)), color_by="label")
    with pytest.raises(ValueError):
        trajectory_figure(np.zeros((2, 5, 2)), color_by="label", labels_n=[0, 1, 2])


# ------------------------------------------------------------------------ hidden state


def test_hidden_heatmap_respects_maxima(rng):
    fig = hidden_heatmap(rng.normal(size=(T_BIG, H_BIG)), max_units=128, max_steps=500)
    (heat,) = fig.data
    z = np.asarray(heat.z)
    assert z.shape == (128, 500)
    assert len(heat.x) == 500 and len(heat.y) == 128
    assert heat.zmid == 0
    assert fig.layout.xaxis.title.text == "time step t"
    assert fig.layout.yaxis.title.text == "unit"


def test_hidden_heatmap_small_is_exact_and_average_is_right():
    h = np.arange(12, dtype=float).reshape(4, 3)  # (T=4, H=3)
    z = np.asarray(hidden_heatmap(h).data[0].z)
    np.testing.assert_allclose(z, h.T)
    # T=4 into 2 columns: each column is the mean of two consecutive steps.
    heat = hidden_heatmap(h, max_steps=2).data[0]
    np.testing.assert_allclose(np.asarray(heat.z), np.stack([h[:2].mean(0), h[2:].mean(0)], axis=1))
    np.testing.assert_allclose(heat.x, [0.5, 2.5])


# --------------------------------------------------------------------------- gradients


def test_grad_norm_curve_log_axis_and_clipping():
    g = np.array([1.0, 0.1, 0.0, 1e-4, -1.0])
    fig = grad_norm_curve(g, label="rnn")
    assert fig.layout.yaxis.type == "log"
    y = np.asarray(fig.data[0].y, dtype=float)
    assert np.all(y > 0)
    np.testing.assert_allclose(y[[0, 1, 3]], g[[0, 1, 3]], rtol=1e-6)
    assert y[2] < 1e-4  # a vanished gradient stays below every real value
    assert "||∂L/∂h_t||" in fig.layout.title.text
    assert fig.data[0].line.color == CELL_COLORS["rnn"]
    assert grad_norm_curve(g, log_y=False).layout.yaxis.type == "linear"


def test_grad_norm_curves_one_trace_per_cell():
    t = np.arange(100)
    curves = {"rnn": 0.9**t, "lstm": 0.99**t, "gru": np.r_[0.98 ** t[:50], np.zeros(50)]}
    fig = grad_norm_curves(curves)
    assert [tr.name for tr in fig.data] == ["rnn", "lstm", "gru"]
    assert [tr.line.color for tr in fig.data] == [CELL_COLORS[k] for k in curves]
    assert fig.layout.yaxis.type == "log"
    assert all(np.all(np.asarray(tr.y, dtype=float) > 0) for tr in fig.data)
    fig = grad_norm_curves({"a": 0.5**t}, colors={"a": "#123456"})
    assert fig.data[0].line.color == "#123456"


def test_grad_norm_heatmap_log10_and_maxima(rng):
    S = 2000
    g = np.exp(-rng.random((S, T_BIG)) * 10)
    fig = grad_norm_heatmap(np.arange(S) * 10, g)
    (heat,) = fig.data
    z = np.asarray(heat.z)
    assert z.shape == (300, 500)
    assert heat.y[0] == 0 and heat.y[-1] == (S - 1) * 10
    assert heat.x[0] == 0 and heat.x[-1] == T_BIG - 1
    np.testing.assert_allclose(z[0, 0], np.log10(g[0, 0]), rtol=1e-5)
    np.testing.assert_allclose(z[-1, -1], np.log10(g[-1, -1]), rtol=1e-5)
    assert fig.layout.xaxis.title.text == "time step t"
    assert fig.layout.yaxis.title.text == "training step"


def test_grad_norm_heatmap_small_exact():
    g = np.array([[1.0, 0.1], [10.0, 0.0]])
    z = np.asarray(grad_norm_heatmap(np.array([5, 6]), g).data[0].z, dtype=float)
    assert z.shape == (2, 2)
    np.testing.assert_allclose(z[[0, 0, 1], [0, 1, 0]], [0.0, -1.0, 1.0], atol=1e-6)
    assert np.isfinite(z[1, 1]) and z[1, 1] < -1.0  # zero clipped below the smallest value


# ------------------------------------------------------------------------ payload size


def test_every_figure_under_1mb_at_t1000_h512(rng):
    T, H, n = T_BIG, H_BIG, 32
    steps = np.arange(20_000)
    figs = {
        "loss": loss_figure(steps, np.exp(-steps / 5000) + rng.random(steps.size),
                            np.arange(0, 20_000, 100), rng.random(200), baseline=1.0),
        "metric": metric_figure(steps, rng.random(steps.size), name="accuracy", baseline=0.1),
        "prediction": prediction_figure(rng.normal(size=(n, T, 4)), rng.normal(size=(n, T, 4))),
        "prediction_m2o": prediction_figure(rng.normal(size=(5000, 2)), rng.normal(size=(5000, 2))),
        "class_heatmap": class_prob_figure(rng.dirichlet(np.ones(65), size=T), rng.integers(0, 65, T)),
        "class_bars": class_prob_figure(rng.dirichlet(np.ones(100), size=n), rng.integers(0, 100, n),
                                        many_to_one=True),
        "trajectory_2d": trajectory_figure(rng.normal(size=(n, T, 2)).cumsum(1)),
        "trajectory_3d": trajectory_figure(rng.normal(size=(n, T, 3)).cumsum(1)),
        "hidden": hidden_heatmap(rng.normal(size=(T, H))),
        "grad_curve": grad_norm_curve(np.exp(-np.arange(T) / 50)),
        "grad_curves": grad_norm_curves({k: rng.random(T) for k in CELL_COLORS}),
        "grad_heatmap": grad_norm_heatmap(np.arange(5000), np.exp(-rng.random((5000, T)) * 20)),
    }
    sizes = {name: len(fig.to_json()) for name, fig in figs.items()}
    assert all(size < MB for size in sizes.values()), sizes
    assert all(fig.layout.uirevision == "keep" for fig in figs.values())


# ---------------------------------------------------------------------------- languages


def _figure_words(fig: go.Figure) -> list[str]:
    """Every piece of text a reader sees in ``fig``: titles (figure, axes, 3-D scene, colour bars),
    annotations (subplot titles too), legend names and the words of hover templates."""
    import re

    spec = fig.to_plotly_json()
    lay = spec["layout"]
    out = [str(lay.get("title", {}).get("text", ""))]
    for k, v in lay.items():
        if k.startswith(("xaxis", "yaxis")) and isinstance(v, dict):
            out.append(str(v.get("title", {}).get("text", "")))
    for ax in lay.get("scene", {}).values():
        if isinstance(ax, dict):
            out.append(str(ax.get("title", {}).get("text", "")))
    out.append(str(lay.get("coloraxis", {}).get("colorbar", {}).get("title", {}).get("text", "")))
    out += [str(a.get("text", "")) for a in lay.get("annotations", [])]
    for tr in spec["data"]:
        if tr.get("showlegend", True) and isinstance(tr.get("name"), str):
            out.append(tr["name"])
        out.append(str(tr.get("colorbar", {}).get("title", {}).get("text", "")))
        # hover words: drop the %{...} fields and tags, keep the words around them
        out.append(re.sub(r"%\{[^}]*\}|<[^>]*>", " ", str(tr.get("hovertemplate", ""))))
    return [s for s in out if s.strip()]


def _korean_figures(rng) -> dict[str, go.Figure]:
    n, T = 3, 20
    steps = np.arange(1, 51)
    return {
        "loss": loss_figure(steps, np.exp(-steps / 20), steps[::10], np.exp(-steps[::10] / 25), baseline=0.5,
                            lang="ko"),
        "loss_empty": loss_figure(np.array([]), np.array([]), lang="ko"),
        "metric": metric_figure(steps, rng.random(50), name="정확도", baseline=0.25, val_steps=steps[::10],
                                val_values=rng.random(5), lang="ko"),
        "metric_lower": metric_figure(steps, rng.random(50), name="MSE", higher_is_better=False, lang="ko"),
        "prediction": prediction_figure(rng.normal(size=(n, T, 2)), rng.normal(size=(n, T, 2)), lang="ko"),
        "prediction_m2o": prediction_figure(rng.normal(size=(40, 1)), rng.normal(size=(40, 1)), lang="ko"),
        "prediction_empty": prediction_figure(np.zeros((0, 3, 1)), np.zeros((0, 3, 1)), lang="ko"),
        "class_heatmap": class_prob_figure(rng.dirichlet(np.ones(4), size=T), rng.integers(0, 4, T), lang="ko"),
        "class_bars": class_prob_figure(rng.dirichlet(np.ones(3), size=n), rng.integers(0, 3, n),
                                        many_to_one=True, lang="ko"),
        "trajectory_2d": trajectory_figure(rng.normal(size=(n, T, 2)), explained=[0.5, 0.2], lang="ko"),
        "trajectory_3d": trajectory_figure(rng.normal(size=(n, T, 3)), lang="ko"),
        "trajectory_labels": trajectory_figure(rng.normal(size=(n, T, 2)), color_by="label",
                                               labels_n=np.arange(n), lang="ko"),
        "hidden": hidden_heatmap(rng.normal(size=(T, 8)), lang="ko"),
        "hidden_empty": hidden_heatmap(np.zeros((0, 4)), lang="ko"),
        "grad_curve": grad_norm_curve(np.exp(-np.arange(T) / 5), lang="ko"),
        "grad_curves": grad_norm_curves({k: rng.random(T) for k in CELL_COLORS}, lang="ko"),
        "grad_heatmap": grad_norm_heatmap(np.arange(5), rng.random((5, T)), lang="ko"),
        "grad_heatmap_empty": grad_norm_heatmap(np.arange(0), np.zeros((0, 0)), lang="ko"),
    }


def test_builders_in_korean_have_no_untranslated_text(rng):
    from tests.i18n_check import has_hangul, untranslated_ko

    for name, fig in _korean_figures(rng).items():
        words = _figure_words(fig)
        assert has_hangul(fig.layout.title.text or "") or name.startswith("metric_lower"), name
        assert [w for w in words if untranslated_ko(w)] == [], name


def test_korean_titles_axes_and_names(rng):
    figs = _korean_figures(rng)
    loss = figs["loss"]
    assert loss.layout.title.text == "손실"
    assert loss.layout.xaxis.title.text == "학습 단계" and loss.layout.yaxis.title.text == "손실"
    assert [tr.name for tr in loss.data] == ["학습 손실", "검증 손실", "단순 기준선 (최적 상수)"]
    assert loss.data[0].hovertemplate.startswith("단계 %{x}")
    assert "아직 학습 단계가 없습니다" in _annotation_texts(figs["loss_empty"])
    assert figs["metric"].layout.yaxis.title.text == "정확도 (높을수록 좋음)"
    assert figs["metric_lower"].layout.yaxis.title.text == "MSE (낮을수록 좋음)"
    pred = figs["prediction"]
    assert {tr.name for tr in pred.data} == {"y0 목표값", "y0 예측", "y1 목표값", "y1 예측"}
    assert pred.layout.xaxis3.title.text == "시간 단계 t"
    assert "시퀀스 0" in _annotation_texts(pred)
    assert figs["prediction_m2o"].layout.xaxis.title.text == "목표값"
    assert "아직 예측이 없습니다" in _annotation_texts(figs["prediction_empty"])
    bars = figs["class_bars"]
    assert bars.data[0].name.startswith("예시 0 (정답: ")
    assert bars.layout.yaxis.title.text == "확률"
    traj = figs["trajectory_2d"]
    assert traj.layout.title.text == "은닉 상태 궤적 (PCA)"
    assert [tr.name for tr in traj.data] == ["궤적", "시작", "끝"]
    assert traj.layout.xaxis.title.text == "주성분 1 (50.0%)"
    assert figs["trajectory_3d"].layout.scene.zaxis.title.text == "주성분 3"
    assert figs["trajectory_labels"].data[0].name == "레이블 0"
    assert figs["hidden"].layout.yaxis.title.text == "유닛"
    assert figs["grad_curve"].layout.title.text == "시간 단계별 기울기 노름 ||∂L/∂h_t||"
    assert figs["grad_heatmap"].layout.title.text == "학습 중 기울기 ||∂L/∂h_t||"
    assert figs["grad_heatmap"].layout.yaxis.title.text == "학습 단계"


def test_english_is_the_default_and_unchanged(rng):
    steps = np.arange(1, 11)
    for lang in ({}, {"lang": "en"}):
        fig = loss_figure(steps, np.ones(10), baseline=0.5, **lang)
        assert fig.layout.title.text == "Loss" and fig.layout.xaxis.title.text == "training step"
        assert [tr.name for tr in fig.data] == ["train loss", "trivial baseline (best constant)"]
    assert trajectory_figure(rng.normal(size=(2, 5, 2)), explained=[0.5, 0.2]).layout.xaxis.title.text == "PC1 (50.0%)"
    assert grad_norm_heatmap(np.arange(2), np.ones((2, 3))).layout.title.text == "Gradient ||∂L/∂h_t|| during training"


def test_empty_figure_message_from_the_catalogue():
    from explorer.figures.common import empty_figure, no_data_text

    assert _annotation_texts(empty_figure()) == ["No steps yet"] == [no_data_text()]
    assert _annotation_texts(empty_figure(lang="ko")) == ["아직 학습 단계가 없습니다"]
    assert _annotation_texts(empty_figure("직접 쓴 안내", lang="en")) == ["직접 쓴 안내"]  # a given message wins


def test_task_catalogue_matches_the_engine_in_english():
    from core import TASKS, get_task
    from explorer.app.i18n import catalogue, text

    for name in TASKS:
        task = get_task(name)
        assert text(f"tasks.{name}.title") == task.title
        assert text(f"tasks.{name}.description") == task.description
        assert f"tasks.io.{task.io}" in catalogue("ko")
        assert text(f"tasks.{name}.title", "ko") != task.title


def test_a_test_files_curve_is_drawn_beside_the_validation_curve():
    from explorer.figures.training import loss_figure, metric_figure
    steps, vals, test = np.arange(1, 41), np.linspace(0.5, 0.9, 8), np.linspace(0.5, 0.7, 8)
    vs = np.arange(5, 45, 5)
    fig = metric_figure(steps, np.full(40, 0.6), name="accuracy", val_steps=vs, val_values=vals,
                        test_steps=vs, test_values=test, percent=True)
    by = {t.name: t for t in fig.data}
    assert {"validation accuracy", "test accuracy"} <= set(by) and "held-out accuracy" not in by
    assert np.allclose(np.asarray(by["test accuracy"].y, float), test)
    assert np.allclose(np.asarray(by["validation accuracy"].y, float), vals)
    # without a test file: the held-out curve keeps its name and no test curve appears
    plain = metric_figure(steps, np.full(40, 0.6), name="accuracy", val_steps=vs, val_values=vals,
                          test_steps=vs, test_values=np.full(8, np.nan))
    assert [t.name for t in plain.data][1:] == ["held-out accuracy"]
    ko = loss_figure(steps, np.ones(40), vs, vals, test_steps=vs, test_loss=test, lang="ko")
    assert {"검증 분할 손실", "테스트 손실"} <= {t.name for t in ko.data}
