"""Figure builders of the Dynamics lab (traces, values, axes, payload) and the page logic they are fed by."""
import math

import numpy as np
import pytest
import torch

from core.analysis import fit_pca, project
from core.dynamics import FlipFlopRecipe, all_corners
from explorer.views import dynamics_chaos as CHV
from explorer.views import dynamics as V
from explorer.app.i18n import text
from explorer.figures import dynamics as FD


def _arr(v):
    if isinstance(v, dict) and "bdata" in v:
        import base64
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def _by_name(fig):
    return {t.name: t for t in fig.data}


def test_eigenvalue_figure_unit_circle_values_and_equal_axes():
    eig = np.array([0.5 + 0.5j, 0.5 - 0.5j, -1.6 + 0j])
    fig = FD.eigenvalue_figure([FD.EigenSet("W", eig, "#000000")], title="t")
    names = [t.name for t in fig.data]
    assert names[0].startswith("unit circle") and names[1] == "W"
    circ = fig.data[0]
    np.testing.assert_allclose(np.hypot(_arr(circ.x), _arr(circ.y)), 1.0, atol=1e-6)
    np.testing.assert_allclose(_arr(fig.data[1].x), eig.real, atol=1e-6)
    np.testing.assert_allclose(_arr(fig.data[1].y), eig.imag, atol=1e-6)
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.range[1] >= 1.6 and fig.layout.yaxis.range[0] <= -1.6  # the outlier is inside
    assert fig.layout.uirevision is not None


@pytest.mark.parametrize("k", [2, 3])
def test_state_space_figure_fixed_points_and_directions(k):
    rng = np.random.default_rng(0)
    proj = rng.standard_normal((5, 20, k))
    coords = rng.standard_normal((3, k))
    segs = np.stack([coords - 0.1, coords + 0.1], 1)
    segs[0] = np.nan  # the stable one has no direction
    marks = FD.FixedPointMarks(coords, np.array([True, False, False]), segs, ("+-+", "", ""))
    fig = FD.state_space_figure(proj, color_values=np.tile(np.arange(20.0), (5, 1)), fixed=marks,
                                explained=[0.5, 0.3, 0.1])
    t = _by_name(fig)
    assert {"paths", "states", "stable fixed point", "unstable fixed point", "unstable direction"} <= set(t)
    assert (fig.data[0].type == "scatter3d") == (k == 3)
    np.testing.assert_allclose(_arr(t["stable fixed point"].x), coords[:1, 0], atol=1e-6)
    assert list(t["stable fixed point"].text) == ["+-+"]
    np.testing.assert_allclose(_arr(t["unstable fixed point"].x), coords[1:, 0], atol=1e-6)
    xs = _arr(t["unstable direction"].x)
    assert len(xs) == 2 * 3 and np.isnan(xs[2])  # two segments of 2 ends, NaN between
    np.testing.assert_allclose(xs[[0, 1]], segs[1, :, 0], atol=1e-6)
    assert _arr(t["states"].marker.color).max() == pytest.approx(19)
    title = fig.layout.scene.xaxis.title.text if k == 3 else fig.layout.xaxis.title.text
    assert title == "PC1 (50.0% var.)"


def test_state_space_figure_categories_and_budget():
    proj = np.zeros((100, 400, 2))
    labels = np.array([["+", "-"][i % 2] for i in range(100 * 400)]).reshape(100, 400)
    fig = FD.state_space_figure(proj, color_labels=labels, max_points=2000)
    t = _by_name(fig)
    assert set(t) == {"paths", "+", "-"}
    n_pts = len(_arr(t["+"].x)) + len(_arr(t["-"].x))
    assert n_pts <= 2000
    assert t["+"].marker.color != t["-"].marker.color
    assert len(fig.to_json()) < 1_000_000


def test_growth_and_chaos_figures():
    y = np.log(1e-6) + 0.2 * np.arange(30.0)
    y[-1] = -np.inf
    fig = FD.growth_figure(y, 5, fit=(0.2, math.log(1e-6), 0, 20), lyapunov_qr=0.19)
    assert len(fig.data) == 2
    np.testing.assert_allclose(_arr(fig.data[0].x), 5 + np.arange(29))  # the -inf point is dropped
    np.testing.assert_allclose(_arr(fig.data[1].y), [math.log(1e-6), math.log(1e-6) + 4.0])
    assert "+0.200" in fig.data[1].name and "+0.190" in fig.data[1].name
    r = np.linspace(0.5, 2, 7)
    lam = np.log(r) - 0.05
    fig = FD.chaos_figure(r, lam, current=(1.5, 0.1))
    t = _by_name(fig)
    np.testing.assert_allclose(_arr(t["ln ρ (linear network)"].y), np.log(r))
    assert list(t["this network"].x) == [1.5]
    assert any(s.y0 == 0 and s.y1 == 0 for s in fig.layout.shapes)  # the zero line


# ---- page logic --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_job():
    torch.set_num_threads(1)
    job = V.make_flipflop_job(FlipFlopRecipe(kind="lstm", hidden=16, lr=1e-2, steps=200))
    job.run_sync(200)
    return job


def test_analysis_targets_and_projection(trained_job):
    a = V.analyse(trained_job)
    n, T, H = a.hidden.shape
    assert (n, T, H) == (V.N_SEQUENCES, 100, 16)
    assert a.states.shape == (n * T, 2 * H)  # LSTM: fixed points live in [h, c]
    assert set(np.unique(a.color_labels)) <= {c.replace("-", V.MINUS) for c in all_corners(3)}
    vb = trained_job.trainer.validation_batch(256)
    first = "".join("+" if v > 0 else V.MINUS for v in vb.y[0, 0].tolist())
    assert a.color_labels[0, 0] == first
    fig = V.state_space_fig(a, None, dims=2, color_by="time")
    ref = project(fit_pca(a.hidden.reshape(-1, H), 3), a.hidden)[..., :2]
    xs = _arr(fig.data[0].x)
    np.testing.assert_allclose(np.abs(xs[:T]), np.abs(ref[0, :, 0]), atol=1e-4)


def test_fixed_points_summary_and_figures(trained_job):
    a = V.analyse(trained_job)
    fp = V.fixed_points(a)
    s = V.summarise(a, fp)
    assert s.n_points == len(fp) and s.n_stable == int(fp.stable.sum())
    assert len(s.labels) == len(fp)
    assert len(s.corners) >= 6  # 200 fast steps: most of the 8 memories are held already
    fig = V.state_space_fig(a, fp, dims=3, color_by="target", labels=s.labels)
    t = _by_name(fig)
    assert len(_arr(t["stable fixed point"].x)) == s.n_stable
    jac = V.jacobian_eig_fig(fp, a.step)
    total = sum(len(_arr(tr.x)) for tr in jac.data[1:])
    assert total == fp.eigenvalues.size
    rows = V.fixed_point_table(fp, s.labels)
    assert [r["stable"] for r in rows] == fp.stable.tolist()
    assert rows[0]["max |λ|"] == pytest.approx(np.abs(fp.eigenvalues[0]).max())
    assert V.corners_text(s).count("green-badge") == len(s.corners)


def test_fp_due_cadence():
    assert V.fp_due(None, 1, 0, 0.0, True)
    c = {"job": 1, "step": 10, "time": 100.0}
    assert not V.fp_due(c, 1, 10, 200.0, True)  # same step: nothing new
    assert not V.fp_due(c, 1, 20, 101.0, True)  # new step but too soon while training
    assert V.fp_due(c, 1, 20, 100.0 + V.FP_INTERVAL_S, True)
    assert V.fp_due(c, 1, 20, 101.0, False)  # training stopped: catch up at once
    assert V.fp_due(c, 2, 10, 101.0, True)  # another job
    assert V.fp_due(c, 1, 10, 101.0, True, forced=True)


def test_target_colors_of_a_classification_and_a_regression_task():
    from core import get_task
    task = get_task("parity", seq_len=10)
    b = task.sample(4, torch.Generator().manual_seed(0))
    lab, val, _ = V.target_colors(task, b.y.numpy(), 10)
    assert val is None and lab.shape == (4, 10)
    task = get_task("sine", seq_len=12)
    b = task.sample(3, torch.Generator().manual_seed(0))
    lab, val, title = V.target_colors(task, b.y.numpy(), b.x.shape[1])
    assert lab is None and val.shape == (3, b.x.shape[1]) and title == "channel1"
    assert text(f"fig.dynamics.color.{title}", "en") == "target (channel 1)"
    assert text(f"fig.dynamics.color.{title}", "ko") == "목표값 (채널 1)"


def test_update_fixed_points_searches_in_the_background_while_training(trained_job):
    a = V.analyse(trained_job)
    c = V.update_fixed_points(None, trained_job.id, a, active=True, now=0.0)  # nothing yet: at once
    assert c["pending"] is None and c["entry"]["step"] == a.step
    later = V.Analysis(**{**a.__dict__, "step": a.step + 50})
    c2 = V.update_fixed_points(c, trained_job.id, later, active=True, now=c["entry"]["time"] + 0.5)
    assert c2["pending"] is None and c2["entry"] is c["entry"]  # too soon
    c3 = V.update_fixed_points(c, trained_job.id, later, active=True, now=c["entry"]["time"] + 10)
    assert c3["pending"] is not None and c3["entry"] is c["entry"]  # started, old one still shown
    c4 = V.update_fixed_points(c3, trained_job.id, later, active=False, now=c["entry"]["time"] + 11)
    assert c4["pending"] is None and c4["entry"]["step"] == a.step + 50  # stopped: collected
    assert len(c4["entry"]["fp"]) == len(c["entry"]["fp"])  # same model: same points


# ---- Korean ------------------------------------------------------------------------------------


def _texts(fig):
    """Every word a reader sees: titles, axis and colour-bar titles, legend names, annotations, hover words."""
    import re
    d = fig.to_plotly_json()
    lay = d["layout"]
    out = [lay.get("title", {}).get("text", "")]
    for key, v in lay.items():
        if key.startswith(("xaxis", "yaxis")):
            out.append(v.get("title", {}).get("text", ""))
        if key == "scene":
            out += [v.get(a, {}).get("title", {}).get("text", "") for a in ("xaxis", "yaxis", "zaxis")]
    out += [a.get("text", "") for a in lay.get("annotations", [])]
    for tr in d["data"]:
        if tr.get("showlegend", True):
            out.append(tr.get("name") or "")
        out.append(re.sub(r"%\{[^}]*\}", " ", tr.get("hovertemplate") or ""))
        out.append(((tr.get("marker") or {}).get("colorbar") or {}).get("title", {}).get("text", ""))
    return [s for s in (re.sub(r"<[^>]+>", " ", str(x)) for x in out) if s.strip()]


def _korean(fig):
    from tests.i18n_check import has_hangul, untranslated_ko
    texts = _texts(fig)
    assert texts and [s for s in texts if untranslated_ko(s)] == [], texts
    return texts, has_hangul


def test_figure_builders_in_korean():
    rng = np.random.default_rng(0)
    fig = FD.eigenvalue_figure([FD.EigenSet("W", np.array([0.5 + 0.5j]), "#000000")], title="t", lang="ko")
    texts, hangul = _korean(fig)
    assert fig.data[0].name == "단위원 |λ| = 1" and fig.layout.xaxis.title.text == "Re λ (실수부)"
    assert "실수부" in fig.data[1].hovertemplate
    for k in (2, 3):
        marks = FD.FixedPointMarks(rng.standard_normal((2, k)), np.array([True, False]),
                                   rng.standard_normal((2, 2, k)), ("+-+", ""))
        fig = FD.state_space_figure(rng.standard_normal((3, 10, k)), color_values=np.tile(np.arange(10.0), (3, 1)),
                                    color_title="시간", fixed=marks, explained=[0.5, 0.3, 0.1], lang="ko")
        texts, hangul = _korean(fig)
        names = {t.name for t in fig.data}
        assert {"경로", "상태", "안정 고정점", "불안정 고정점", "불안정 방향"} <= names
        assert fig.layout.title.text == "은닉 상태 궤적 (PCA)"
        title = fig.layout.scene.xaxis.title.text if k == 3 else fig.layout.xaxis.title.text
        assert title == "PC1 (분산 50.0%)"
    fig = FD.state_space_figure(np.zeros((2, 5, 2)), lang="ko")
    assert fig.layout.xaxis.title.text == "주성분 1"
    y = np.log(1e-6) + 0.2 * np.arange(30.0)
    fig = FD.growth_figure(y, 5, fit=(0.2, math.log(1e-6), 0, 20), lyapunov_qr=0.19, lang="ko")
    _korean(fig)
    assert fig.layout.title.text == "h_k 섭동에 대한 민감도" and fig.layout.xaxis.title.text == "시간 단계 t"
    assert fig.data[1].name == "직선 맞춤: 기울기 λ = 단계당 +0.200; QR 방법: +0.190"
    r = np.linspace(0.5, 2, 7)
    fig = FD.chaos_figure(r, np.log(r), current=(1.5, 0.1), lang="ko")
    texts, hangul = _korean(fig)
    assert {t.name for t in fig.data} == {"λ_max (tanh RNN)", "ln ρ (선형 네트워크)", "이 네트워크"}
    assert all(hangul(a.text) for a in fig.layout.annotations)
    assert fig.layout.yaxis.title.text == "단계당 λ_max"
    # English stays as it was
    fig = FD.chaos_figure(r, np.log(r), current=(1.5, 0.1))
    assert fig.layout.title.text == "Edge of chaos: largest Lyapunov exponent against the spectral radius"
    assert fig.layout.xaxis.title.text == "spectral radius ρ of W_hh"


def test_page_logic_in_korean(trained_job):
    from tests.i18n_check import has_hangul, untranslated_ko
    a = V.analyse(trained_job)
    fp = V.fixed_points(a)
    s = V.summarise(a, fp)
    for dims, color in ((2, "target"), (3, "time")):
        fig = V.state_space_fig(a, fp, dims=dims, color_by=color, labels=s.labels, lang="ko")
        _korean(fig)
        assert fig.layout.title.text.startswith(f"{a.step:,} 단계의 LSTM 상태")
    _korean(V.jacobian_eig_fig(fp, a.step, lang="ko"))
    _korean(V.jacobian_eig_fig(None, a.step, lang="ko"))
    fig = V.whh_eig_fig_from(np.array([0.9, 0.5j]), "lstm", 120, np.array([0.3]), lang="ko")
    _korean(fig)
    assert {t.name for t in fig.data[1:]} == {"0 단계", "120 단계"} and "후보 값 블록" in fig.layout.title.text
    sens = CHV.untrained_sensitivity(1.8, 10, 1e-6)
    _korean(CHV.growth_fig(sens, "학습 전 tanh RNN", lang="ko"))
    lam = np.linspace(-0.2, 0.2, len(CHV.CHAOS_RADII))
    _korean(CHV.chaos_fig(lam, (1.0, 0.0), lang="ko"))
    lines = [V.describe(trained_job, "ko"), CHV.sensitivity_text(sens, "ko"), CHV.chaos_text(lam, "ko"),
             V.corners_text(V.FixedPointSummary(0, 0, (), (), 0.0), "ko"), *V.table_labels("ko").values()]
    assert [x for x in lines if untranslated_ko(x)] == [] and all(has_hangul(x) for x in lines[:4])
    assert V.describe(trained_job, "ko") == "LSTM, H = 16, 과제: 3비트 플립플롭"
    assert V.describe(trained_job) == "LSTM, H = 16, task 3-bit flip-flop"
    # steps without a target and class words are shown in Korean; English labels stay as they are
    assert V.label_text(V.NO_TARGET, "ko") == "(목표값 없음)" and V.label_text("'even'", "ko") == "'짝수'"
    assert V.label_text("'even'") == "'even'" and V.label_text("'x'", "ko") == "'x'"


@pytest.mark.parametrize("lq, verdict", [(0.007, "marginal"), (-0.007, "marginal"), (0.02, "grows"), (-0.02, "decays")])
def test_the_sensitivity_verdict_uses_the_sweeps_edge(lq, verdict):
    """λ_QR = +0.007 read "chaos" while the edge-of-chaos chart (onset at λ > 0.01) placed the same
    network at the edge: one threshold for both."""
    from core.dynamics import GrowthFit, Sensitivity
    s = Sensitivity(k=3, delta=1e-6, log_dist=np.zeros(10), fit=GrowthFit(0.001, -13.0, 0, 9), lyapunov_qr=lq)
    assert text(f"dynamics.sens.{verdict}", "en") in CHV.sensitivity_text(s)
    lam = np.array([0.0, lq, 1.0])
    edge_rho = CHV.CHAOS_RADII[1] if lq > CHV.EDGE_LAMBDA else CHV.CHAOS_RADII[2]
    assert f"{edge_rho:.2f}" in CHV.chaos_text(np.concatenate([lam, np.ones(len(CHV.CHAOS_RADII) - 3)]))
