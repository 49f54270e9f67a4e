"""PCA, fixed points and Lyapunov exponents against systems whose answers are known in closed form."""
import itertools
import math

import numpy as np
import pytest
import torch

from core.analysis import FixedPoints, PCABasis, align_basis, find_fixed_points, fit_pca, project
from core.lyapunov import lyapunov_exponent, lyapunov_from_growth, lyapunov_spectrum, perturbation_growth
from core.cells import cell_weights, state_map
from core.models import build_model
from core.tasks import get_task
from core.jacobians import state_jacobians
from core.trace import trace
from core.trainer import Trainer

KINDS = ["rnn", "lstm", "gru"]


def _anisotropic(rng, n=400, h=8, scales=(5.0, 3.0, 1.5)):
    """Data with clearly separated variances along a random orthonormal basis."""
    q, _ = np.linalg.qr(rng.standard_normal((h, h)))
    sd = np.array(list(scales) + [0.2] * (h - len(scales)))
    return rng.standard_normal((n, h)) * sd @ q.T + rng.standard_normal(h)


# ---- PCA ----------------------------------------------------------------------------------------

def test_pca_matches_numpy_svd():
    rng = np.random.default_rng(0)
    X = _anisotropic(rng)
    b = fit_pca(X, k=3)
    _, s, vt = np.linalg.svd(X - X.mean(0), full_matrices=False)
    np.testing.assert_allclose(b.explained, (s ** 2 / (s ** 2).sum())[:3], rtol=1e-10)
    np.testing.assert_allclose(np.abs(b.components @ vt[:3].T), np.eye(3), atol=1e-10)
    np.testing.assert_allclose(b.mean, X.mean(0))
    assert b.fit_on == 400 and b.k == 3
    np.testing.assert_allclose(b.components @ b.components.T, np.eye(3), atol=1e-12)


def test_pca_reconstructs_rank_k_data_exactly():
    rng = np.random.default_rng(1)
    Z, B, mu = rng.standard_normal((300, 3)), rng.standard_normal((3, 12)), rng.standard_normal(12)
    X = Z @ B + mu
    b = fit_pca(X, k=3)
    np.testing.assert_allclose(b.mean + project(b, X) @ b.components, X, atol=1e-10)
    assert b.explained.sum() == pytest.approx(1.0, abs=1e-12)
    # with fewer components the reconstruction must NOT be exact
    b2 = fit_pca(X, k=2)
    assert np.abs(b2.mean + project(b2, X) @ b2.components - X).max() > 1e-3


def test_project_any_leading_shape_and_tensors():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((4, 25, 6))
    b = fit_pca(X, k=2)  # (B, T, H) is flattened to points
    assert b.fit_on == 100
    P = project(b, X)
    assert P.shape == (4, 25, 2)
    np.testing.assert_allclose(P.reshape(-1, 2), project(b, X.reshape(-1, 6)))
    np.testing.assert_allclose(project(b, torch.tensor(X)), P)
    assert fit_pca(rng.standard_normal((10, 2)), k=3).k == 2  # clamped to H


def test_sign_convention_is_deterministic():
    rng = np.random.default_rng(3)
    X = _anisotropic(rng)
    b = fit_pca(X)
    big = b.components[np.arange(3), np.abs(b.components).argmax(1)]
    assert (big > 0).all()
    # negating the data flips every SVD direction; the convention undoes it
    np.testing.assert_allclose(fit_pca(-X).components, b.components, atol=1e-10)
    # a refit on slightly noisy data gives the same axes, not flipped ones
    b_noisy = fit_pca(X + 0.05 * rng.standard_normal(X.shape))
    assert (np.sum(b.components * b_noisy.components, axis=1) > 0.99).all()


def test_align_basis_fixes_flips_and_order():
    rng = np.random.default_rng(4)
    ref = fit_pca(_anisotropic(rng))
    flipped = PCABasis(ref.mean, ref.components * np.array([[1.0], [-1.0], [-1.0]]), ref.explained, ref.fit_on)
    assert not np.allclose(flipped.components, ref.components)
    np.testing.assert_allclose(align_basis(flipped, ref).components, ref.components)
    perm = [2, 0, 1]
    shuffled = PCABasis(ref.mean, -ref.components[perm], ref.explained[perm], ref.fit_on)
    fixed = align_basis(shuffled, ref, reorder=True)
    np.testing.assert_allclose(fixed.components, ref.components)
    np.testing.assert_allclose(fixed.explained, ref.explained)
    # without reorder the order stays; only signs change
    kept = align_basis(shuffled, ref)
    np.testing.assert_allclose(np.abs(kept.components), np.abs(shuffled.components))


# ---- fixed points -------------------------------------------------------------------------------

def _orthogonal(h, seed):
    q, _ = torch.linalg.qr(torch.randn(h, h, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return q


def _linear_rnn(h, w_hh, bias=None, f=2):
    m = build_model("rnn", f, h, 1, nonlinearity="linear", seed=0)
    with torch.no_grad():
        m.rnn.weight_hh_l0.copy_(w_hh)
        m.rnn.bias_ih_l0.zero_()
        m.rnn.bias_hh_l0.copy_(torch.zeros(h) if bias is None else bias)
    return m


def test_linear_rnn_has_one_stable_fixed_point_at_origin():
    W = 0.8 * _orthogonal(5, 0)
    fp = find_fixed_points(_linear_rnn(5, W), n_starts=64)
    assert isinstance(fp, FixedPoints)
    assert len(fp) == 1
    assert np.abs(fp.points[0]).max() < 1e-6
    assert fp.stable.tolist() == [True] and fp.n_unstable_dims.tolist() == [0]
    np.testing.assert_allclose(np.abs(fp.eigenvalues[0]), 0.8, atol=1e-5)
    np.testing.assert_allclose(fp.jacobians[0], W.float().double().numpy(), atol=1e-7)
    assert fp.converged_fraction == 1.0 and fp.all_q.shape == (64,)
    np.testing.assert_array_equal(fp.unstable_directions, 0.0)


def test_linear_rnn_with_bias_and_input_solves_linear_system():
    W = 0.7 * _orthogonal(4, 1)
    b = torch.tensor([0.3, -0.2, 0.1, 0.5])
    m = _linear_rnn(4, W, b, f=2)
    u = np.array([1.0, -2.0])
    fp = find_fixed_points(m, u=u, n_starts=32)
    w_ih = m.rnn.weight_ih_l0.detach().double().numpy()
    expected = np.linalg.solve(np.eye(4) - m.rnn.weight_hh_l0.detach().double().numpy(),
                               w_ih @ u + b.double().numpy())
    assert len(fp) == 1
    np.testing.assert_allclose(fp.points[0], expected, atol=1e-6)
    np.testing.assert_allclose(fp.u, u)


def test_bistable_tanh_unit_has_three_fixed_points():
    m = build_model("rnn", 1, 1, 1, seed=0)
    with torch.no_grad():
        m.rnn.weight_hh_l0.fill_(2.0)
        m.rnn.bias_hh_l0.zero_()
        m.rnn.bias_ih_l0.zero_()
    fp = find_fixed_points(m, n_starts=128, seed=1)
    order = np.argsort(fp.points[:, 0])
    x = fp.points[order, 0]
    # s = tanh(2 s): 0 and +-0.957504...
    star = 0.9575040240772687
    np.testing.assert_allclose(x, [-star, 0.0, star], atol=1e-6)
    assert fp.stable[order].tolist() == [True, False, True]
    assert fp.n_unstable_dims[order].tolist() == [0, 1, 0]
    np.testing.assert_allclose(fp.eigenvalues[order, 0].real, [2 * (1 - star ** 2), 2.0, 2 * (1 - star ** 2)],
                               atol=1e-5)
    assert abs(fp.unstable_directions[order[1], 0]) == pytest.approx(1.0)
    assert (fp.q < 1e-6).all()


@pytest.mark.parametrize("kind", KINDS)
def test_fixed_points_are_fixed_and_jacobians_are_right(kind):
    H, F = 6, 3
    m = build_model(kind, F, H, 2, seed=5)
    with torch.no_grad():  # larger recurrent weights for more than one fixed point
        m.rnn.weight_hh_l0.mul_(6.0)
    S = 2 * H if kind == "lstm" else H
    u = np.array([0.2, -0.1, 0.0])
    fp = find_fixed_points(m, u=u, n_starts=96, seed=2)
    K = len(fp)
    assert K >= 1
    assert fp.points.shape == (K, S) and fp.q.shape == (K,) and fp.jacobians.shape == (K, S, S)
    assert fp.eigenvalues.shape == (K, S) and np.iscomplexobj(fp.eigenvalues)
    assert fp.stable.dtype == bool and fp.n_unstable_dims.shape == (K,)
    assert fp.unstable_directions.shape == (K, S) and fp.hidden.shape == (K, H) and fp.hidden_size == H
    assert fp.all_q.shape == (96,) and 0 < fp.converged_fraction <= 1
    assert (fp.q < 1e-6).all()
    # independent checks in float64: F(s*) = s*, the Jacobian by finite differences, eigenvalues
    w = cell_weights(m.rnn, 0)
    w64 = type(w)(w.kind, *(t.detach().double() for t in (w.w_ih, w.w_hh, w.b_ih, w.b_hh)), w.nonlinearity)
    U = torch.tensor(u)[None]
    for k in range(K):
        s = torch.tensor(fp.points[k])[None]
        np.testing.assert_allclose(state_map(w64, U, s)[0].numpy(), fp.points[k], atol=2e-3)
        eps = 1e-6
        fd = np.stack([((state_map(w64, U, s + eps * e) - state_map(w64, U, s - eps * e)) / (2 * eps))[0].numpy()
                       for e in torch.eye(S, dtype=torch.float64)], 1)
        np.testing.assert_allclose(fp.jacobians[k], fd, atol=1e-7)
        mags = np.abs(fp.eigenvalues[k])
        assert (np.diff(mags) <= 1e-12).all()  # sorted, largest first
        np.testing.assert_allclose(np.sort(mags), np.sort(np.abs(np.linalg.eigvals(fd))), atol=1e-6)
        assert fp.stable[k] == (mags[0] < 1) and fp.n_unstable_dims[k] == (mags > 1).sum()
        if not fp.stable[k]:
            v = fp.unstable_directions[k]
            assert np.linalg.norm(v) == pytest.approx(1.0)
    # distinct points after deduplication
    if K > 1:
        d = np.linalg.norm(fp.points[:, None] - fp.points[None], axis=-1)
        assert d[~np.eye(K, dtype=bool)].min() > 1e-3 * math.sqrt(S)


def test_unstable_direction_of_a_saddle():
    # linear map diag(1.5, 0.5): a saddle at 0 whose unstable direction is e1
    m = _linear_rnn(2, torch.diag(torch.tensor([1.5, 0.5], dtype=torch.float64)))
    fp = find_fixed_points(m, n_starts=16)
    assert len(fp) == 1 and not fp.stable[0] and fp.n_unstable_dims[0] == 1
    np.testing.assert_allclose(np.abs(fp.unstable_directions[0]), [1.0, 0.0], atol=1e-9)


def test_starts_from_states_and_errors():
    m = build_model("lstm", 2, 4, 1, seed=0)
    H = 4
    x = torch.randn(3, 10, 2, generator=torch.Generator().manual_seed(0))
    tr = trace(m, x, torch.zeros(3, 10, 1), get_task("sine", seq_len=10))
    states = np.concatenate([tr.hidden, tr.cell], -1)  # [h, c]
    fp = find_fixed_points(m, states=states, n_starts=20, noise=0.01)
    assert fp.points.shape[1] == 2 * H and fp.all_q.shape == (20,)
    a = find_fixed_points(m, states=states, n_starts=20, noise=0.01)
    np.testing.assert_array_equal(a.all_q, fp.all_q)  # seeded: deterministic
    none = find_fixed_points(m, n_starts=8, tol=0.0)  # nothing can pass q < 0
    assert len(none) == 0 and none.points.shape == (0, 2 * H) and none.eigenvalues.shape == (0, 2 * H)
    assert none.converged_fraction == 0.0 and none.all_q.shape == (8,)
    with pytest.raises(ValueError, match=r"\[h, c\]"):
        find_fixed_points(m, states=tr.hidden, n_starts=4)
    with pytest.raises(ValueError, match="layer"):
        find_fixed_points(build_model("gru", 2, 4, 1, num_layers=2), layer=1)
    with pytest.raises(ValueError, match="u must have"):
        find_fixed_points(m, u=np.zeros(5))


# ---- Lyapunov exponents -------------------------------------------------------------------------

def test_lyapunov_of_scaled_orthogonal_linear_rnn_is_log_rho():
    rho = 0.9
    m = _linear_rnn(6, rho * _orthogonal(6, 3), f=2)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(1))
    jac = state_jacobians(m, x)
    assert jac.shape == (50, 6, 6)
    assert lyapunov_exponent(jac) == pytest.approx(math.log(rho), abs=1e-5)
    np.testing.assert_allclose(lyapunov_spectrum(jac), math.log(rho), atol=1e-5)


def test_lyapunov_of_diagonal_map_is_log_of_largest():
    J = np.tile(np.diag([0.5, 0.9]), (40, 1, 1))
    assert lyapunov_exponent(J) == pytest.approx(math.log(0.9), abs=1e-12)
    np.testing.assert_allclose(lyapunov_spectrum(J), [math.log(0.9), math.log(0.5)], atol=1e-12)
    # the same through a linear RNN and its trajectory Jacobians
    m = _linear_rnn(2, torch.diag(torch.tensor([0.5, 0.9], dtype=torch.float64)), f=1)
    jac = state_jacobians(m, torch.ones(30, 1))
    assert lyapunov_exponent(jac) == pytest.approx(math.log(0.9), abs=1e-6)
    # an expanding, rotating map (not diagonal): 1.2 * rotation has exponent log 1.2
    c, s = math.cos(0.7), math.sin(0.7)
    R = 1.2 * np.array([[c, -s], [s, c]])
    assert lyapunov_exponent(np.tile(R, (25, 1, 1))) == pytest.approx(math.log(1.2), abs=1e-12)


def test_lyapunov_of_non_normal_product_converges_to_top_exponent():
    # upper-triangular Jacobians: exponents are the logs of the diagonal despite strong shear
    J = np.tile(np.array([[0.6, 5.0], [0.0, 0.95]]), (4000, 1, 1))
    assert lyapunov_exponent(J) == pytest.approx(math.log(0.95), abs=2e-3)


def test_perturbation_growth_on_linear_system_has_slope_log_rho():
    rho = 0.85
    m = _linear_rnn(5, rho * _orthogonal(5, 4), f=2)
    x = torch.randn(60, 2, generator=torch.Generator().manual_seed(2))
    g = perturbation_growth(m, x, k=10, delta=1e-6)
    assert g.shape == (50,)
    assert g[0] == pytest.approx(math.log(1e-6), abs=1e-6)
    assert lyapunov_from_growth(g) == pytest.approx(math.log(rho), abs=1e-3)
    np.testing.assert_allclose(np.diff(g), math.log(rho), atol=1e-3)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_perturbation_growth_matches_lyapunov_on_gated_cells(kind):
    m = build_model(kind, 2, 8, 1, seed=1)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(3))
    g = perturbation_growth(m, x, k=10, delta=1e-6, seed=1)
    assert g.shape == (40,) and np.isfinite(g).all()
    # a small random network contracts: both estimates negative and close (skip a transient)
    lam_growth = lyapunov_from_growth(g[5:])
    lam_qr = lyapunov_exponent(state_jacobians(m, x)[16:])
    assert lam_growth < 0 and lam_qr < 0
    assert lam_growth == pytest.approx(lam_qr, abs=0.05)


def test_chaotic_tanh_rnn_has_positive_exponent():
    # a random tanh network with gain 3 is chaotic (Sompolinsky et al. 1988): a 1e-9 push grows
    m = build_model("rnn", 1, 64, 1, spectral_radius=3.0, seed=0)
    x = 0.1 * torch.randn(200, 1, generator=torch.Generator().manual_seed(0))
    g = perturbation_growth(m, x, k=100, delta=1e-9)
    lam_growth = lyapunov_from_growth(g[5:40])  # before the distance saturates
    lam_qr = lyapunov_exponent(state_jacobians(m, x)[100:])
    assert lam_growth > 0.15 and lam_qr > 0.15
    assert lam_growth == pytest.approx(lam_qr, abs=0.05)


def test_lyapunov_from_growth_skips_non_finite():
    y = 0.3 - 0.2 * np.arange(10.0)
    y[[3, 7]] = -np.inf
    assert lyapunov_from_growth(y) == pytest.approx(-0.2)
    assert math.isnan(lyapunov_from_growth(np.array([1.0])))
    with pytest.raises(ValueError):
        lyapunov_exponent(np.zeros((0, 2, 2)))


# ---- the 3-bit flip-flop (Sussillo & Barak 2013) ------------------------------------------------

def corners_matched(model, fp: FixedPoints, n_bits: int = 3, radius: float = 0.3) -> int:
    """How many of the 2^n sign patterns are read out (within ``radius``) from a stable point."""
    W = model.readout.weight.detach().double().numpy()
    b = model.readout.bias.detach().double().numpy()
    ro = fp.hidden[fp.stable] @ W.T + b
    hits = 0
    for corner in itertools.product([-1.0, 1.0], repeat=n_bits):
        d = np.linalg.norm(ro - np.array(corner), axis=1)
        hits += bool(len(d)) and bool(d.min() < radius)
    return hits


@pytest.mark.slow
def test_flipflop_lstm_has_a_stable_fixed_point_per_corner():
    task = get_task("flipflop")
    model = build_model("lstm", 3, 32, 3, seed=0)
    trainer = Trainer(model, task, lr=1e-2, batch_size=32, clip=1.0, device="cpu", seed=0)
    trainer.train(400)
    assert trainer.evaluate()["loss"] < 0.01
    x, y = task.sample(64, torch.Generator().manual_seed(99))
    tr = trace(model, x, y, task)
    fp = find_fixed_points(model, states=np.concatenate([tr.hidden, tr.cell], -1), n_starts=256)
    assert fp.converged_fraction > 0.5
    assert fp.stable.sum() >= 8
    assert corners_matched(model, fp) == 8
