"""Figures and view logic of the RNN cell page."""

import numpy as np
import pytest

from core import tiny_rnn as tr
from explorer.app.settings import DEFAULTS
from explorer.views import rnn_cell as V
from explorer.app import state
from tests.latex_check import parse_bmatrices
from explorer.figures import cell as cf


def _rec(H=2, F=1, preset="sine", act="tanh"):
    spec = V.spec_from(DEFAULTS, H, F, act)
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
    assert "(h₃, h₄)" in by_name, list(by_name)


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
    # the current state's entry writes its step as the others do (a subscript, not "h_3")
    names = [t.name for t in fig.data if t.name]
    assert "h₃" in names and not any("h_" in n for n in names), names
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
    mats = parse_bmatrices(eq.hidden)
    # W_xh, x_t, W_hh, h_{t-1}, b_h, a_t, h_t
    assert len(mats) == 7
    np.testing.assert_allclose(mats[0], np.array(spec.w_xh), atol=5e-4)
    np.testing.assert_allclose(mats[3][:, 0], rec.h[3], atol=5e-4)
    np.testing.assert_allclose(mats[-1][:, 0], rec.h[4], atol=5e-4)
    np.testing.assert_allclose(np.tanh(mats[-2][:, 0]), mats[-1][:, 0], atol=2e-3)
    out = parse_bmatrices(eq.output)
    np.testing.assert_allclose(out[-1][:, 0], rec.y[4], atol=5e-4)
    assert r"\mathrm{ReLU}" in V.equations(V.spec_from(DEFAULTS, 2, 1, "relu"), rec, 0).hidden


def test_matrices_follow_the_state_keys():
    vals = dict(DEFAULTS)
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


# ---- Korean ---------------------------------------------------------------------------------------

def _fig_texts(fig) -> list[str]:
    """Title, axis titles, annotations and legend names of a figure."""
    lay = fig.to_plotly_json()["layout"]
    out = [lay.get("title", {}).get("text", "")]
    for k, v in lay.items():
        if isinstance(v, dict) and isinstance(v.get("title"), dict):
            out.append(v["title"].get("text", ""))
    for ax in ("xaxis", "yaxis", "zaxis"):
        out.append(lay.get("scene", {}).get(ax, {}).get("title", {}).get("text", ""))
    out += [a.get("text", "") for a in lay.get("annotations", [])]
    out += [t.name for t in fig.data if t.name]
    return [s for s in out if s]


def _same_numbers(a, b):
    """Two builds of one figure in two languages: the same traces and data."""
    assert len(a.data) == len(b.data)
    for ta, tb in zip(a.data, b.data):
        for k in ("x", "y", "z"):
            va, vb = getattr(ta, k, None), getattr(tb, k, None)
            if va is not None:
                np.testing.assert_array_equal(np.asarray(va, float), np.asarray(vb, float))


def test_cell_figures_in_korean():
    from tests.i18n_check import has_hangul, untranslated_ko

    spec, rec, seq = _rec(H=2, F=2, preset="love/hate")
    fp = tr.fixed_points(spec, rec.x[3])
    spec1 = tr.TinySpec.from_arrays([[1.0]], [[1.5]], [0.0], [[1.0]], [0.0])
    rec1 = tr.run_steps(tr.build_tiny(spec1), tr.preset_input("pulse", 10, 1).x)
    fp1 = tr.fixed_points(spec1, rec1.x[4])
    _, rec3, _ = _rec(H=3)
    builds = {
        "series": lambda lang: cf.series_figure(rec.x, rec.h, rec.y, 3, seq.words, lang=lang),
        "phase": lambda lang: V.phase_plane(spec, rec, 3, fp, n_arrows=9, n_null=21, lang=lang),
        "cobweb": lambda lang: V.cobweb(spec1, rec1, 4, fp1, lang=lang),
        "3d": lambda lang: cf.trajectory3d_figure(rec3.h, 6, lang=lang),
    }
    for name, build in builds.items():
        en, ko = build("en"), build("ko")
        texts = _fig_texts(ko)
        assert [s for s in texts if untranslated_ko(s)] == [], name
        assert not any(has_hangul(s) for s in _fig_texts(en)), name
        _same_numbers(en, ko)
    ko = builds["cobweb"]("ko")
    assert ko.layout.title.text == "거미줄 그림: 시간 단계 4의 hₜ = F(hₜ₋₁, u)"
    names = {t.name for t in ko.data}
    assert {"안정 고정점", "불안정 고정점", "t = 4까지의 궤적"} <= names
    # the fixed points' hover names their verdict in Korean too
    stable = [t for t in ko.data if t.name == "안정 고정점"][0]
    assert set(stable.text) == {"안정"}
    series = builds["series"]("ko")
    assert series.layout.xaxis.title.text == "시간 단계 t에서 읽은 단어"
    assert [a.text for a in series.layout.annotations] == ["입력 x_t", "은닉 상태 h_t", "출력 y_t"]
    assert "위상 평면" in builds["phase"]("ko").layout.title.text


def test_fixed_point_rows_in_korean():
    spec = tr.TinySpec.from_arrays([[1.0]], [[1.5]], [0.0], [[1.0]], [0.0])
    fp = tr.fixed_points(spec, [0.0])
    rows = V.fixed_point_rows(fp, "ko")
    assert list(rows[0]) == ["h*", "∂F/∂h의 고윳값", "최대 |λ|", "판정"]
    assert [r["판정"] for r in rows] == ["안정", "불안정", "안정"]
    assert [r["최대 |λ|"] for r in rows] == [r["max |λ|"] for r in V.fixed_point_rows(fp)]


@pytest.mark.parametrize("label", ["stable", "stable spiral", "unstable", "unstable spiral", "saddle", "marginal"])
def test_every_verdict_has_words(label):
    from explorer.app.i18n import has
    from tests.i18n_check import has_hangul

    assert V.verdict(label, "en") == label
    assert has("cell.verdict." + label.replace(" ", "_"), "ko") and has_hangul(V.verdict(label, "ko"))


def test_input_errors_in_both_languages():
    from explorer.app.i18n import text
    from tests.i18n_check import has_hangul

    # the catalogue's English is the engine's message, word for word
    for code, msg in tr.INPUT_MESSAGES.items():
        assert text(f"cell.error.{code}", "en") == msg
    cases = [(lambda: tr.parse_sequence("", 1), "empty"), (lambda: tr.parse_sequence("1 2", 1), "wrong_count"),
             (lambda: tr.parse_sequence("a b", 2), "not_numbers_or_word"),
             (lambda: tr.parse_sequence("x", 1), "not_numbers"),
             (lambda: tr.parse_sequence(";".join(["1"] * 61), 1), "too_many_steps"),
             (lambda: tr.parse_matrix("1, 2", (2, 2)), "matrix_shape"),
             (lambda: tr.parse_matrix("a", (1,)), "not_matrix"),
             (lambda: tr.parse_matrix("1000", (1,)), "matrix_range")]
    for call, code in cases:
        with pytest.raises(tr.InputError) as info:
            call()
        e = info.value
        assert e.code == code
        assert V.error_text(e, "en") == str(e)
        ko = V.error_text(e, "ko")
        assert has_hangul(ko) and ko != str(e)
        for v in e.values.values():  # the typed text and the numbers are kept
            assert str(v) in ko
    # any other ValueError keeps its message
    assert V.error_text(ValueError("boom"), "ko") == "boom"
