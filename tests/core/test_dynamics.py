"""Dynamics-lab engine: layer-0 states, readout corners, growth fits and exponents against closed
forms and against the QR method on autograd Jacobians; the flip-flop preset's attractors."""
import math

import numpy as np
import pytest
import torch

from core.analysis import find_fixed_points
from core.lyapunov import lyapunov_spectrum, perturbation_growth
from core.dynamics import (ChaosSettings, FlipFlopRecipe, all_corners, fixed_point_tol, flipflop_trainer,
                           frozen_copy, growth_fit, largest_lyapunov_rnn, layer0_states, lyapunov_vs_radius,
                           random_inputs, random_rnn, readout_corners, sensitivity)
from core.models import build_model
from core.jacobians import state_jacobians
from core.unroll import unroll


def _linear_orthogonal(rho, H=8, seed=0):
    return build_model("rnn", 2, H, 1, nonlinearity="linear", spectral_radius=rho,
                       recurrent_init="orthogonal", seed=seed)


def test_gru_gets_the_looser_tolerance():
    assert fixed_point_tol("gru") > fixed_point_tol("lstm") == fixed_point_tol("rnn")


def test_frozen_copy_is_equal_and_independent():
    m = build_model("lstm", 3, 8, 2, seed=1)
    c = frozen_copy(m)
    x = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(c(x), m(x))
    with torch.no_grad():
        m.rnn.weight_hh_l0.add_(1.0)
    assert not torch.allclose(c(x), m(x))
    assert not c.training


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_layer0_states_match_torch(kind):
    m = build_model(kind, 3, 6, 2, seed=2)
    x = torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(0))
    st = layer0_states(m, x)
    with torch.no_grad():
        out, fin = m.rnn(x)
    np.testing.assert_allclose(st.hidden, out.numpy(), atol=1e-5)
    if kind == "lstm":
        np.testing.assert_allclose(st.cell[:, -1], fin[1][0].numpy(), atol=1e-5)
        assert st.states.shape == (4, 7, 12)
    else:
        assert st.cell is None and st.states.shape == (4, 7, 6)
    assert st.valid.all()


def test_layer0_states_of_a_deep_bidirectional_model_are_its_first_forward_layer():
    m = build_model("gru", 3, 5, 2, num_layers=2, bidirectional=True, seed=3)
    x = torch.randn(2, 6, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = torch.stack(unroll(m.rnn, x).hidden[0][0], 1).numpy()
    lengths = torch.tensor([6, 3])
    st = layer0_states(m, x, lengths)
    np.testing.assert_allclose(layer0_states(m, x).hidden, ref, atol=1e-6)
    assert st.valid.tolist() == [[True] * 6, [True] * 3 + [False] * 3]


def test_readout_corners():
    m = build_model("rnn", 3, 3, 3, seed=0)
    with torch.no_grad():
        m.readout.weight.copy_(torch.eye(3))
        m.readout.bias.zero_()
    got = readout_corners(m, np.array([[0.9, -1.0, 1.1], [0.2, -1.0, 1.0], [-1, -1, -1]]))
    assert got == ["+-+", "", "---"]
    assert len(all_corners(3)) == 8 and len(set(all_corners(3))) == 8


@pytest.mark.parametrize("rho", [0.7, 1.0, 1.3])
def test_growth_fit_recovers_log_rho_of_a_linear_orthogonal_rnn(rho):
    m = _linear_orthogonal(rho)
    x = torch.randn(60, 2, generator=torch.Generator().manual_seed(0))
    logd = perturbation_growth(m, x, k=5, delta=1e-6)
    fit = growth_fit(logd)
    assert fit.slope == pytest.approx(math.log(rho), abs=1e-6)  # float32 weights
    assert fit.intercept == pytest.approx(math.log(1e-6), abs=1e-5)
    s = sensitivity(m, x, k=5, delta=1e-6)
    assert s.fit.slope == pytest.approx(math.log(rho), abs=1e-6)
    assert s.lyapunov_qr == pytest.approx(math.log(rho), abs=1e-5)
    assert len(s.log_dist) == 60 - 5


def test_growth_fit_stops_where_the_distance_saturates_or_drowns():
    t = np.arange(40.0)
    grow = np.minimum(math.log(1e-6) + 0.5 * t, 0.0)  # saturates at distance 1
    fit = growth_fit(grow)
    assert fit.slope == pytest.approx(0.5)
    assert math.exp(grow[fit.last]) < 1e-2 < math.exp(grow[fit.last + 1])
    shrink = math.log(1e-6) - 2.0 * t
    fit = growth_fit(shrink)
    assert fit.slope == pytest.approx(-2.0) and math.exp(shrink[fit.last]) > 1e-12
    assert math.isnan(growth_fit([0.0, 0.0, 0.0]).slope)  # no point inside the band


@pytest.mark.parametrize("act,rho", [("tanh", 0.6), ("tanh", 1.8), ("relu", 0.6)])  # relu at 1.8 blows up
def test_largest_lyapunov_rnn_matches_the_qr_method_on_autograd_jacobians(rho, act):
    s = ChaosSettings(hidden=16, seq_len=600, burn_in=100, nonlinearity=act, input_scale=0.3)
    m = random_rnn(rho, s)
    x = random_inputs(s)
    qr = lyapunov_spectrum(state_jacobians(m, x)[s.burn_in:])[0]
    assert largest_lyapunov_rnn(m, x, s.burn_in) == pytest.approx(qr, abs=0.02)


def test_largest_lyapunov_of_a_linear_orthogonal_rnn_is_log_rho():
    for rho in (0.5, 1.5):
        m = _linear_orthogonal(rho)
        x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
        assert largest_lyapunov_rnn(m, x, burn_in=10) == pytest.approx(math.log(rho), abs=1e-6)
    with pytest.raises(ValueError):
        largest_lyapunov_rnn(build_model("gru", 1, 4, 1), torch.zeros(5, 1))


def test_edge_of_chaos_sweep_crosses_zero():
    radii = np.array([0.5, 0.8, 1.5, 2.0])
    lam = lyapunov_vs_radius(radii)
    # small inputs keep tanh near its linear range: below the edge the exponent is about log rho
    assert lam[0] == pytest.approx(math.log(0.5), abs=0.05)
    assert lam[0] < lam[1] < 0 < lam[3]
    assert lam[2] <= lam[3]


def test_flipflop_preset_grows_eight_stable_attractors():
    torch.set_num_threads(1)
    recipe = FlipFlopRecipe(kind="lstm", hidden=32, lr=1e-2, steps=250)
    tr = flipflop_trainer(recipe)
    assert tr.task.name == "flipflop" and tr.model.config.hidden_size == 32
    tr.train(recipe.steps)
    model = frozen_copy(tr.model)
    x, _ = tr.task.sample(64, torch.Generator().manual_seed(5))
    states = layer0_states(model, x).states
    fp = find_fixed_points(model, states=states, n_starts=128, tol=fixed_point_tol("lstm"))
    corners = {c for c in readout_corners(model, fp.hidden[fp.stable]) if c}
    assert corners == set(all_corners(3))
