"""core.tiny_rnn: the hand-set tiny RNN of the cell page, against torch and closed forms."""
import numpy as np
import pytest
import torch

from core import tiny_rnn as tr
from core.analysis import find_fixed_points
from core.cells import cell_weights, state_map


def spec2(act="tanh"):
    return tr.TinySpec.from_arrays([[1.0, -1.0], [0.5, 0.8]], [[1.1, -0.6], [0.6, 1.1]], [0.1, -0.2],
                                   [[1.0, -0.5]], [0.3], act)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_build_tiny_carries_the_numbers_and_matches_the_fused_kernel(act):
    spec = spec2(act)
    model = tr.build_tiny(spec)
    x = tr.preset_input("love/hate", 14, 2).x
    rec = tr.run_steps(model, x)
    with torch.no_grad():
        fused = model(torch.tensor(x)[None])[0].numpy()
        out, _ = model.rnn(torch.tensor(x)[None])
    np.testing.assert_allclose(rec.h, out[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(rec.y, fused, atol=1e-6)
    # closed form, in numpy float64
    W, U, b = np.array(spec.w_hh), np.array(spec.w_xh), np.array(spec.b_h)
    h = np.zeros(2)
    for t in range(len(x)):
        a = U @ x[t] + W @ h + b
        h = np.tanh(a) if act == "tanh" else np.maximum(a, 0)
        np.testing.assert_allclose(rec.pre[t], a, atol=1e-5)
        np.testing.assert_allclose(rec.h[t], h, atol=1e-5)
        np.testing.assert_allclose(rec.wx[t] + rec.wh[t] + b, rec.pre[t], atol=1e-5)
    np.testing.assert_allclose(rec.h_prev[1:], rec.h[:-1])
    assert np.all(rec.h_prev[0] == 0)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="W_hh"):
        tr.TinySpec.from_arrays([[1.0]], [[1.0, 2.0]], [0.0], [[1.0]], [0.0])
    with pytest.raises(ValueError, match="1-3 units"):
        tr.TinySpec.from_arrays(np.ones((4, 1)), np.ones((4, 4)), np.zeros(4), np.ones((1, 4)), [0.0])


def test_bistable_unit_has_three_fixed_points():
    spec = tr.TinySpec.from_arrays([[1.0]], [[1.5]], [0.0], [[1.0]], [0.0])
    fp = tr.fixed_points(spec, [0.0])
    assert len(fp.points) == 3
    np.testing.assert_allclose(fp.points[1], [0.0], atol=1e-9)
    # h* = tanh(1.5 h*) has the positive root where the map crosses the diagonal
    assert np.tanh(1.5 * fp.points[2, 0]) == pytest.approx(fp.points[2, 0], abs=1e-9)
    assert list(fp.stable) == [True, False, True]
    assert fp.labels[1] == "unstable"
    np.testing.assert_allclose(fp.eigenvalues[1].real, [1.5])


@pytest.mark.parametrize("W,u", [([[1.1, -0.6], [0.6, 1.1]], [0.0, 0.0]), ([[2.0, 0.3], [0.2, 1.8]], [0.2, -0.1]),
                                 ([[0.5, 0.2], [-0.3, 0.4]], [1.0, 0.0])])
def test_fixed_points_agree_with_core_analysis_and_autograd_jacobians(W, u):
    spec = tr.TinySpec.from_arrays([[1.0, -1.0], [0.5, 0.8]], W, [0.1, -0.2], [[1.0, 0.0]], [0.0])
    fp = tr.fixed_points(spec, u)
    ref = find_fixed_points(tr.build_tiny(spec), np.array(u, np.float32), n_starts=128, seed=0)
    # every fixed point core.analysis finds is one of ours
    for p in ref.hidden:
        assert np.abs(fp.points - p).max(axis=1).min() < 1e-3
    assert len(fp.points) >= len(ref.hidden)
    w = cell_weights(tr.build_tiny(spec).rnn)
    w64 = type(w)(w.kind, *(t.detach().double() for t in (w.w_ih, w.w_hh, w.b_ih, w.b_hh)), w.nonlinearity)
    for p, e, stable in zip(fp.points, fp.eigenvalues, fp.stable):
        s = torch.tensor(p)[None]
        F = state_map(w64, torch.tensor(u, dtype=torch.float64)[None], s)
        np.testing.assert_allclose(F[0].numpy(), p, atol=1e-8)
        J = torch.func.jacrev(lambda z: state_map(w64, torch.tensor(u, dtype=torch.float64)[None], z[None])[0])(s[0])
        ev = np.linalg.eigvals(J.numpy())
        np.testing.assert_allclose(np.sort(np.abs(ev)), np.sort(np.abs(e)), atol=1e-8)
        assert stable == bool(np.all(np.abs(ev) < 1))


def test_relu_fixed_point_closed_form():
    spec = tr.TinySpec.from_arrays([[0.0], [0.0]], [[0.5, 0.0], [0.0, 0.25]], [1.0, 1.5], [[1.0, 1.0]], [0.0], "relu")
    fp = tr.fixed_points(spec, [0.0])
    np.testing.assert_allclose(fp.points, [[2.0, 2.0]], atol=1e-9)  # h = 0.5 h + 1, h = 0.25 h + 1.5
    assert fp.stable.tolist() == [True]


def test_spiral_classification():
    assert tr.classify(np.array([0.5 + 0.5j, 0.5 - 0.5j])) == "stable spiral"
    assert tr.classify(np.array([1.2 + 0.6j, 1.2 - 0.6j])) == "unstable spiral"
    assert tr.classify(np.array([1.5, 0.3])) == "saddle"


def test_presets_and_words():
    for name in ("step", "pulse", "sine", "noise"):
        for F in (1, 2):
            x = tr.preset_input(name, 12, F, seed=3).x
            assert x.shape == (12, F) and x.dtype == np.float32
    assert tr.preset_input("pulse", 6, 1).x[:, 0].tolist() == [0, 0, 1, 0, 0, 0]
    np.testing.assert_array_equal(tr.preset_input("noise", 5, 1, 1).x, tr.preset_input("noise", 5, 1, 1).x)
    lh = tr.preset_input("love/hate", 20, 1)
    assert lh.x.shape[1] == 2 and lh.words[1] == "love"
    np.testing.assert_array_equal(lh.x[1], [1, 0])
    np.testing.assert_array_equal(lh.x[lh.words.index("hate")], [0, 1])
    np.testing.assert_array_equal(lh.x[0], [0, 0])


def test_parse_sequence_and_matrix():
    assert tr.parse_sequence("0, 1, 0.5", 1).x[:, 0].tolist() == [0, 1, 0.5]
    s = tr.parse_sequence("love; the; hate; 0.5 0.5", 2)
    np.testing.assert_array_equal(s.x, [[1, 0], [0, 0], [0, 1], [0.5, 0.5]])
    assert s.words[0] == "love"
    with pytest.raises(ValueError, match="step 2"):
        tr.parse_sequence("1, x", 1)
    with pytest.raises(ValueError, match="has 3 numbers"):
        tr.parse_sequence("1 2 3", 2)
    m = tr.parse_matrix("1, 2; 3 4", (2, 2))
    np.testing.assert_array_equal(m, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(tr.parse_matrix("1, 2", (2,)), [1, 2])
    np.testing.assert_array_equal(tr.parse_matrix(tr.format_matrix(m), (2, 2)), m)
    with pytest.raises(ValueError, match="row"):
        tr.parse_matrix("1, 2", (2, 2))
    with pytest.raises(ValueError, match="not a matrix"):
        tr.parse_matrix("a, b", (1, 2))
