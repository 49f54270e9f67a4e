"""Engine checks of the Gradient flow lab: rates, verdicts, bound, Jacobian products, gates, cliff."""
import math

import numpy as np
import pytest
import torch

from core import build_model, get_task, jacobian_log_products, jacobian_product_norms, state_jacobians, trace
from core import cliff as GC
from core import gradients as G
from core.cells import cell_weights, state_map
from tests.jacobian_oracle import oracle_product_norms, oracle_state_jacobians


def flow(**kw):
    s = G.FlowSetup(**kw)
    return G.gradient_flow(G.flow_model(s), G.flow_task(s), G.flow_batch(s))


# ---- decay fit and verdict -----------------------------------------------------------------------

def test_fit_recovers_a_known_rate():
    t = np.arange(200)
    g = 3.0 * 0.9 ** (199 - t)  # falls by 0.9 per step backwards
    fit = G.fit_decay(g)
    assert fit.rate == pytest.approx(0.9, rel=1e-9)
    assert fit.decades_per_100 == pytest.approx(100 * math.log10(0.9), rel=1e-9)
    assert fit.verdict == "vanishing"
    g2 = 1.05 ** (199 - t)
    assert G.fit_decay(g2).verdict == "exploding"
    assert G.fit_decay(np.ones(200) * 0.3).verdict == "stable"


def test_verdict_thresholds_are_one_decade_per_100_steps():
    assert G.verdict(-1.01)[0] == "vanishing"
    assert G.verdict(-0.99)[0] == "stable"
    assert G.verdict(0.99)[0] == "stable"
    assert G.verdict(1.01)[0] == "exploding"
    assert G.verdict(0.0, nonfinite=True)[0] == "exploding"
    assert G.verdict(0.0, underflow=True)[0] == "vanishing"


def test_verdict_codes_carry_the_numbers_of_the_english_reason():
    assert G.verdict(-2.0) == ("vanishing", "falls 100x per 100 steps back (limit 10x)")
    assert G.verdict(1.5)[1] == "grows 31.6x per 100 steps back (limit 10x)"
    assert G.verdict(-0.5)[1] == "changes 3.16x per 100 steps back (within 10x)"
    assert G.verdict(0.0, nonfinite=True)[1] == "the gradient overflows (inf/nan) on its way back"
    assert G.verdict_code(-2.0) == ("vanishing", "falls", pytest.approx(100.0))
    assert G.verdict_code(0.3, underflow=True)[:2] == ("vanishing", "underflow")
    fit = G.fit_decay(3.0 * 0.9 ** np.arange(199, -1, -1.0))
    assert fit.reason_code == "falls" and fit.factor == pytest.approx(0.9 ** -100, rel=1e-9)
    assert fit.reason == G.reason_text(fit.reason_code, fit.factor)
    zero = G.fit_decay(np.zeros(50))
    assert (zero.verdict, zero.reason_code, zero.reason) == ("vanishing", "zero", "the gradient is zero")
    assert G.fit_decay(np.full(50, np.nan)).reason_code == "not_finite"


def test_fit_skips_the_last_steps_and_handles_zero_and_inf():
    g = np.r_[0.9 ** np.arange(99, -1, -1), [50.0] * 5]  # a spike at the end is left out
    fit = G.fit_decay(g, skip_end=5)
    assert fit.t_last == 99 and fit.rate == pytest.approx(0.9)
    z = 0.5 ** np.arange(99, -1, -1.0)
    z[:10] = 0.0
    assert G.fit_decay(z).verdict == "vanishing"
    e = 2.0 ** np.arange(99, -1, -1.0)
    e[:5] = np.inf
    assert G.fit_decay(e).verdict == "exploding"


@pytest.mark.parametrize("kw,expected", [
    (dict(nonlinearity="tanh", spectral_radius=0.5), "vanishing"),
    (dict(nonlinearity="linear", spectral_radius=1.5), "exploding"),
    (dict(nonlinearity="linear", spectral_radius=1.0, recurrent_init="orthogonal"), "stable"),
    (dict(nonlinearity="relu", spectral_radius=1.0, recurrent_init="identity"), "stable"),
])
def test_verdict_agrees_with_the_curve(kw, expected):
    f = flow(kind="rnn", seq_len=150, hidden_size=32, **kw)
    fit = G.fit_decay(f.grad_norm)
    assert fit.verdict == expected
    # the measured end-to-end change points the same way as the verdict
    change = math.log10(fit.measured_ratio) * 100 / (fit.t_last - fit.t_first)
    if expected == "vanishing":
        assert change < -G.DECADES_PER_100
    elif expected == "exploding":
        assert change > G.DECADES_PER_100
    else:
        assert abs(change) < G.DECADES_PER_100


def test_linear_rate_matches_the_spectral_radius():
    # orthogonal W_hh scaled by rho: every singular value is rho, so the gradient shrinks by
    # exactly rho per step back in a linear RNN
    f = flow(kind="rnn", nonlinearity="linear", spectral_radius=0.8, recurrent_init="orthogonal",
             seq_len=100, hidden_size=16)
    assert G.fit_decay(f.grad_norm).rate == pytest.approx(0.8, rel=1e-6)
    assert f.sigma_max == pytest.approx(0.8, rel=1e-6) and f.radius == pytest.approx(0.8, rel=1e-6)


def test_relu_random_grows_about_rho_over_sqrt2():
    f = flow(kind="rnn", nonlinearity="relu", spectral_radius=1.0, seq_len=200, hidden_size=256,
             batch_size=4)
    assert G.fit_decay(f.grad_norm).rate == pytest.approx(1 / math.sqrt(2), rel=0.1)


@pytest.mark.parametrize("act,rho", [("tanh", 0.5), ("tanh", 1.2), ("relu", 0.9), ("linear", 1.1)])
def test_pascanu_bound_holds_many_to_one(act, rho):
    f = flow(kind="rnn", nonlinearity=act, spectral_radius=rho, seq_len=80, hidden_size=24)
    assert f.many_to_one and f.eta == pytest.approx(f.sigma_max)
    b = G.pascanu_bound(f.grad_norm[-1], f.eta, 80)
    ok = f.grad_norm > 0
    assert np.all(np.log10(f.grad_norm[ok]) <= b[ok] + 1e-9)
    assert b[-1] == pytest.approx(np.log10(f.grad_norm[-1]))


def test_gradient_flow_matches_autograd():
    s = G.FlowSetup(kind="gru", seq_len=20, hidden_size=8, batch_size=3)
    model, task, batch = G.flow_model(s), G.flow_task(s), G.flow_batch(s)
    f = G.gradient_flow(model, task, batch)
    m = model.double()
    u = m.unrolled_encode(batch.x.double())
    hs = u.hidden[0][0]  # list of (B, H) per step
    out, _ = m.head_forward(torch.stack(hs, 1), hs[-1][None], None)
    gs = torch.autograd.grad(task.loss(out, batch.y.double()), hs)
    ref = torch.stack([g.pow(2).sum() for g in gs]).sqrt().numpy()
    np.testing.assert_allclose(f.grad_norm, ref, rtol=1e-8)


# ---- Jacobians -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_jacobian_products_match_autograd(kind):
    m = build_model(kind, 2, 5, 1, head="last", seed=3).double()
    x = get_task("adding", seq_len=12).sample(1, torch.Generator().manual_seed(0)).x[0].double()
    view = G.jacobian_view(m, x)
    # autograd: d s_{T-1} / d s_t through the step map
    w = cell_weights(m.rnn, 0)
    S = 10 if kind == "lstm" else 5
    jac = torch.as_tensor(state_jacobians(m, x))
    # state at t from a forward run of state_map
    s = torch.zeros(S, dtype=torch.float64)
    states = []
    for t in range(12):
        s = state_map(w, x[t][None], s[None])[0]
        states.append(s)
    for t in (0, 5, 10, 11):
        def to_end(st, t=t):
            for k in range(t + 1, 12):
                st = state_map(w, x[k][None], st[None])[0]
            return st
        J = torch.autograd.functional.jacobian(to_end, states[t].detach())
        assert view.log10_product[t] == pytest.approx(math.log10(torch.linalg.matrix_norm(J, 2)), abs=1e-9)
    np.testing.assert_allclose(10 ** view.log10_product, oracle_product_norms(jac.numpy()), rtol=1e-9)
    sv = torch.linalg.svdvals(jac).numpy()
    np.testing.assert_allclose(view.singular_values, sv, rtol=1e-12)
    assert view.steps == 12 and view.state_size == S


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layer", [0, 1])
def test_state_jacobians_match_the_per_step_oracle(kind, layer):
    m = build_model(kind, 3, 6, 1, num_layers=2, nonlinearity="tanh", seed=1).double()
    x = torch.randn(15, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    np.testing.assert_allclose(state_jacobians(m, x, layer), oracle_state_jacobians(m, x, layer),
                               rtol=1e-10, atol=1e-12)
    t = state_jacobians(m, x, layer, as_tensor=True)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float64


def test_product_norms_match_the_plain_product():
    J = np.random.default_rng(0).normal(size=(20, 4, 4)) * 0.7
    np.testing.assert_allclose(jacobian_product_norms(J), oracle_product_norms(J), rtol=1e-9)


def test_log_products_survive_overflow():
    J = np.stack([3.0 * np.eye(4)] * 1000)
    lp = jacobian_log_products(J)
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(lp, np.arange(999, -1, -1) * math.log10(3.0), rtol=1e-9)
    lz = jacobian_log_products(np.stack([0.1 * np.eye(3)] * 500))
    np.testing.assert_allclose(lz, -np.arange(499, -1, -1.0), rtol=1e-9)


def test_jacobian_view_caps_steps():
    m = build_model("rnn", 2, 4, 1, head="last", seed=0)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    assert G.jacobian_view(m, x, max_steps=20).log10_product.shape == (20,)


def test_gate_products():
    f = flow(kind="lstm", seq_len=30, hidden_size=6, batch_size=2)
    lp = G.gate_products(f.gates, "lstm")
    fg = f.gates["forget"][0].astype(np.float64)
    assert lp.shape == (30, 6) and np.all(lp[-1] == 0)
    np.testing.assert_allclose(10 ** lp[10], np.prod(fg[11:], axis=0), rtol=1e-10)
    fz = flow(kind="gru", seq_len=30, hidden_size=6, batch_size=2)
    lz = G.gate_products(fz.gates, "gru", steps=20)
    z = fz.gates["update"][0].astype(np.float64)
    np.testing.assert_allclose(10 ** lz[3], np.prod(z[4:20], axis=0), rtol=1e-10)
    assert G.gate_products({}, "rnn") is None


def test_gru_update_gate_is_the_direct_path():
    # torch: h_t = (1 - z) n + z h_{t-1}; with W_hh = 0 and inputs 0, dh_t/dh_{t-1} = diag(z)
    m = build_model("gru", 1, 3, 1, head="last", seed=0)
    with torch.no_grad():
        m.rnn.weight_hh_l0.zero_()
    x = torch.zeros(4, 1)
    jac = state_jacobians(m, x)
    tr = trace(m, x[None], torch.zeros(1, 1), get_task("adding", seq_len=4))
    np.testing.assert_allclose(np.diagonal(jac[2]), tr.gates["update"][0, 2], rtol=1e-5)
    assert np.abs(jac[2] - np.diag(np.diagonal(jac[2]))).max() < 1e-7


# ---- clipping comparison -------------------------------------------------------------------------

def test_clipping_comparison_spikes_and_learns():
    r = G.run_clipping_comparison(G.ClipSetup(steps=60))
    assert r.steps.shape == r.loss_plain.shape == r.grad_clip.shape == (60,)
    # the plain run's gradient is orders of magnitude above the threshold; the clipped run learns
    assert np.nanmax(r.grad_plain) > 100 * r.clip
    assert np.nanmean(r.loss_clip[-10:]) < r.baseline_loss
    assert np.nanmean(r.loss_clip[-10:]) < 0.01 * np.nanmean(r.loss_plain[-10:])


# ---- the cliff -----------------------------------------------------------------------------------

@pytest.mark.parametrize("sigma", ["sigmoid", "tanh"])
@pytest.mark.parametrize("wb", [(1.0, -0.5), (5.0, -2.5), (-2.0, 1.0)])
def test_cliff_grad_against_finite_differences_and_autograd(sigma, wb):
    s = GC.CliffSetup(sigma=sigma)
    L, gw, gb = GC.cliff_grad(*wb, s)
    h = 1e-6
    fw = (GC.cliff_loss(wb[0] + h, wb[1], s) - GC.cliff_loss(wb[0] - h, wb[1], s)) / (2 * h)
    fb = (GC.cliff_loss(wb[0], wb[1] + h, s) - GC.cliff_loss(wb[0], wb[1] - h, s)) / (2 * h)
    assert gw == pytest.approx(float(fw), rel=1e-5, abs=1e-8)
    assert gb == pytest.approx(float(fb), rel=1e-5, abs=1e-8)
    w = torch.tensor(wb[0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(wb[1], dtype=torch.float64, requires_grad=True)
    x = torch.tensor(s.x0, dtype=torch.float64)
    act = torch.sigmoid if sigma == "sigmoid" else torch.tanh
    for _ in range(s.steps):
        x = w * act(x) + b
    loss = (x - s.target) ** 2
    loss.backward()
    assert L == pytest.approx(loss.item(), rel=1e-12)
    assert gw == pytest.approx(float(w.grad), rel=1e-9, abs=1e-12)
    assert gb == pytest.approx(float(b.grad), rel=1e-9, abs=1e-12)


def test_cliff_surface_is_vectorised_and_has_a_cliff():
    w = np.linspace(0, 12, 61)
    b = np.linspace(-7, 3, 51)
    S = GC.cliff_surface(w, b)
    assert S.shape == (51, 61)
    assert S[7, 20] == pytest.approx(float(GC.cliff_loss(w[20], b[7])))
    # somewhere a one-cell move changes the loss by more than 10 (the wall)
    assert np.abs(np.diff(S, axis=1)).max() > 10


def test_clipped_descent_steps_are_bounded_and_plain_descent_jumps():
    plain = GC.cliff_descent(5.0, -2.5, 0.01, 200)
    clipped = GC.cliff_descent(5.0, -2.5, 0.01, 200, clip=5.0)
    jumps_p = np.linalg.norm(np.diff(plain.wb, axis=0), axis=1)
    jumps_c = np.linalg.norm(np.diff(clipped.wb, axis=0), axis=1)
    assert jumps_c.max() <= 0.01 * 5.0 + 1e-12
    assert jumps_p.max() > 10  # thrown off the wall
    assert clipped.loss[-1] < 0.01 < clipped.loss[0]
    assert plain.wb.shape[1] == 2 and len(plain.loss) == len(plain.wb)
