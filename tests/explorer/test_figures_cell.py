"""Figures and view logic of the RNN cell page."""

import numpy as np
import pytest

from core import tiny_rnn as tr
from explorer import cell_views as V
from explorer import state
from explorer.figures import cell as cf


def _rec(H=2, F=1, preset="sine", act="tanh"):
    spec = V.spec_from(state.DEFAULTS, H, F, act)
    seq = V.make_input(preset, 16, F, 0, "")
    return spec, tr.run_steps(tr.build_tiny(spec), seq.x), seq


def test_series_figure_marks_the_current_step():
    spec, rec, _ = _rec()
    fig = cf.series_figure(rec.x, rec.h, rec.y, 5)
    names = [t.name for t in fig.data]
    assert names == ["x", "current x", "h[1]", "h[2]", "current h", "y", "current y"]
    cur = fig.data[names.index("current h")]
    np.testing.assert_allclose(cur.y, rec.h[5], atol=1e-6)
    assert list(cur.x) == [5, 5]
    np.testing.assert_allclose(np.asarray(fig.data[2].y, float), rec.h[:, 0], atol=1e-6)
    assert fig.layout.shapes[0].x0 == 5
    assert {t.yaxis for t in fig.data} == {"y", "y2", "y3"}


def test_series_figure_names_the_words():
    spec, rec, seq = _rec(F=2, preset="love/hate")
    fig = cf.series_figure(rec.x, rec.h, rec.y, 1, seq.words)
    assert list(fig.layout.xaxis.ticktext)[:2] == ["I", "love"]


def test_cobweb_figure_draws_the_map_and_fixed_points():
    spec = tr.TinySpec.from_arrays([[1.0]], [[1.5]], [0.0], [[1.0]], [0.0])
    rec = tr.run_steps(tr.build_tiny(spec), tr.preset_input("pulse", 10, 1).x)
    fp = tr.fixed_points(spec, rec.x[4])
    fig = V.cobweb(spec, rec, 4, fp)
    grid, f = np.asarray(fig.data[1].x, float), np.asarray(fig.data[1].y, float)
    np.testing.assert_allclose(f, np.tanh(1.5 * grid), atol=1e-6)
    stair = fig.data[2]
    assert len(stair.x) == 1 + 2 * 5  # h_-1 = 0, then two points per step 0..4
    assert stair.y[-1] == pytest.approx(rec.h[4, 0], abs=1e-6)
    by_name = {t.name: t for t in fig.data}
    assert len(by_name["stable fixed point"].x) == 2 and len(by_name["unstable fixed point"].x) == 1
    assert fig.layout.yaxis.scaleanchor == "x"


def test_phase_figure_has_field_nullclines_and_fixed_points():
    spec, rec, _ = _rec()
    fp = tr.fixed_points(spec, rec.x[3])
    fig = V.phase_plane(spec, rec, 3, fp, n_arrows=9, n_null=21)
    types = [t.type for t in fig.data]
    assert types.count("contour") == 2
    field = fig.data[0]
    assert len(field.x) == 7 * 81  # 7 points per arrow, 9 x 9 arrows (none has zero speed)
    # the nullcline surfaces are F_i(h, u) - h_i on the grid
    z1 = np.asarray(fig.data[1].z, float)
    g = np.asarray(fig.data[1].x, float)
    u = rec.x[3]
    expect = tr.state_map_np(spec, np.array([[g[4], g[7]]]), u)[0, 0] - g[4]
    assert z1[7, 4] == pytest.approx(expect, abs=1e-5)
    traj = [t for t in fig.data if t.name == "trajectory to t = 3"][0]
    np.testing.assert_allclose(np.asarray(traj.x, float)[1:], rec.h[:4, 0], atol=1e-6)
    assert len(fp.points) >= 1
    for name, sel in (("stable fixed point", fp.stable), ("unstable fixed point", ~fp.stable)):
        tr_ = [t for t in fig.data if t.name == name]
        assert len(tr_) == int(sel.any())
        if sel.any():
            np.testing.assert_allclose(tr_[0].x, fp.points[sel, 0])
    assert len(fig.to_json()) < 1_000_000


def test_trajectory3d():
    spec, rec, _ = _rec(H=3)
    fig = cf.trajectory3d_figure(rec.h, 6)
    assert fig.data[0].type == "scatter3d" and len(fig.data[0].x) == 8


def test_equations_show_the_engine_numbers():
    spec, rec, _ = _rec(H=2, F=1)
    eq = V.equations(spec, rec, 4)
    mats = V.parse_bmatrices(eq.hidden)
    # W_xh, x_t, W_hh, h_{t-1}, b_h, a_t, h_t
    assert len(mats) == 7
    np.testing.assert_allclose(mats[0], np.array(spec.w_xh), atol=5e-4)
    np.testing.assert_allclose(mats[3][:, 0], rec.h[3], atol=5e-4)
    np.testing.assert_allclose(mats[-1][:, 0], rec.h[4], atol=5e-4)
    np.testing.assert_allclose(np.tanh(mats[-2][:, 0]), mats[-1][:, 0], atol=2e-3)
    out = V.parse_bmatrices(eq.output)
    np.testing.assert_allclose(out[-1][:, 0], rec.y[4], atol=5e-4)
    assert r"\mathrm{ReLU}" in V.equations(V.spec_from(state.DEFAULTS, 2, 1, "relu"), rec, 0).hidden


def test_matrices_follow_the_state_keys():
    vals = dict(state.DEFAULTS)
    vals[state.CELL_ENTRIES[("W_hh", 1, 0)]] = 0.25
    m = V.matrices_from(vals, 2, 1)
    assert m["W_hh"].shape == (2, 2) and m["W_hh"][1, 0] == 0.25
    assert m["W_xh"].shape == (2, 1) and m["b_y"].shape == (1,)
    assert V.effective_input_size("love/hate", 1) == 2


def test_fixed_point_rows():
    spec = tr.TinySpec.from_arrays([[1.0]], [[1.5]], [0.0], [[1.0]], [0.0])
    rows = V.fixed_point_rows(tr.fixed_points(spec, [0.0]))
    assert [r["verdict"] for r in rows] == ["stable", "unstable", "stable"]
    assert rows[1]["max |λ|"] == "1.500"
