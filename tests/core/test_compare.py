"""core.compare: parameter matching, shared seeds, criteria, memory measurements, and the adding
problem separating the LSTM from the vanilla RNN."""
import time

import numpy as np
import pytest
import torch
from torch import nn

from core import build_model, count_parameters, get_task
from core.compare import (CELLS, PRESETS, CompareSettings, Criterion, SweepSettings, adding_error_by_distance,
                          build_trainers, criteria_results, evaluate, hidden_for_params,
                          matched_hidden_sizes, param_count, run_preset, steps_to_target, sweep_point)


def test_param_count_closed_forms():
    t = get_task("adding", seq_len=20)  # F = 2, O = 1, head "last"
    F, O = 2, 1
    for H in (1, 7, 32):
        per_gate = H * F + H * H + 2 * H  # W_ih, W_hh, b_ih, b_hh
        readout = H * O + O
        assert param_count("rnn", t, H) == per_gate + readout
        assert param_count("gru", t, H) == 3 * per_gate + readout
        assert param_count("lstm", t, H) == 4 * per_gate + readout


@pytest.mark.parametrize("task", [get_task("adding", seq_len=10), get_task("delayed_recall", seq_len=12),
                                  get_task("marked_recall", seq_len=10), get_task("reversal", seq_len=4)])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_hidden_for_params_is_the_brute_force_optimum(task, kind):
    counts = {h: param_count(kind, task, h) for h in range(1, 160)}
    for target in (50, 777, 3000, 12345):
        best = min(counts, key=lambda h: (abs(counts[h] - target), h))
        assert hidden_for_params(kind, task, target) == best, (kind, task.name, target)


def test_matched_sizes_keep_the_rnn_and_match_its_count():
    t = get_task("adding", seq_len=50)
    same = matched_hidden_sizes(t, 32, equal_params=False)
    assert {h for h, _ in same.values()} == {32}
    assert same["lstm"][1] > 3.5 * same["rnn"][1]
    eq = matched_hidden_sizes(t, 32, equal_params=True)
    n = eq["rnn"][1]
    assert eq["rnn"] == same["rnn"]
    for k in ("lstm", "gru"):
        h, c = eq[k]
        assert c == count_parameters(build_model(k, 2, h, 1, head="last"))
        # closest integer: neither neighbour is closer
        assert abs(c - n) <= abs(param_count(k, t, h + 1) - n)
        assert abs(c - n) <= abs(param_count(k, t, h - 1) - n)
        assert abs(c - n) / n < 0.1
    assert eq["lstm"][0] < eq["gru"][0] < 32
    tgt = matched_hidden_sizes(t, 32, equal_params=True, target=5000)
    assert all(abs(c - 5000) < 0.1 * 5000 for _, c in tgt.values())


def test_build_trainers_share_data_and_init_seed():
    t = get_task("adding", seq_len=15)
    s = CompareSettings({k: 8 for k in CELLS}, seed=3, batch_size=4)
    trs = build_trainers(t, s)
    batches = [tr.next_batch() for tr in trs.values()]
    for b in batches[1:]:
        assert torch.equal(b.x, batches[0].x) and torch.equal(b.y, batches[0].y)
    ref = build_model("lstm", 2, 8, 1, head="last", seed=3)
    for (n, p), (_, q) in zip(trs["lstm"].model.named_parameters(), ref.named_parameters()):
        assert torch.equal(p, q), n
    other = build_trainers(t, CompareSettings({k: 8 for k in CELLS}, seed=4, batch_size=4))
    assert not torch.equal(other["rnn"].next_batch().x, batches[0].x)


def test_evaluate_matches_a_direct_computation():
    t = get_task("temporal_order", seq_len=12)
    m = build_model("gru", t.input_size, 8, t.output_size, head=t.head, seed=1)
    b = t.sample(64, torch.Generator().manual_seed(5))
    r = evaluate(m, t, b)
    with torch.no_grad():
        out = m(b.x)
    assert r["loss"] == pytest.approx(float(nn.functional.cross_entropy(out, b.y)), rel=1e-6)
    assert r["metric"] == pytest.approx(float((out.argmax(-1) == b.y).float().mean()))


def test_steps_to_target():
    s = np.array([50, 100, 150, 200])
    assert steps_to_target(s, [0.2, 0.1, 0.04, 0.01], 0.05) == 150
    assert steps_to_target(s, [0.2, 0.1, 0.06, np.nan], 0.05) is None
    assert steps_to_target(s, [0.2, 0.5, 0.95, 0.9], 0.9, higher_is_better=True) == 150


def test_criteria():
    c = Criterion("rnn", "loss", ">", 0.12)
    assert c.check(0.17) and not c.check(0.02) and not c.check(float("nan"))
    assert not c.is_goal and Criterion("lstm", "loss", "<", 0.05).is_goal
    assert Criterion("lstm", "metric", ">", 0.9).is_goal and not Criterion("rnn", "metric", "<", 0.5).is_goal
    p = PRESETS["adding_50"]
    res = criteria_results(p, {"lstm": {"loss": 0.01, "metric": 0.01}, "rnn": {"loss": 0.1, "metric": 0.1}})
    got = {c.kind: (v, ok) for c, v, ok in res}
    assert got == {"lstm": (0.01, True), "gru": (None, None), "rnn": (0.1, False)}


class _ForgetsEarlyMarkers(nn.Module):
    """Adds the marked values exactly when the first one is at most ``reach`` steps from the end."""

    def __init__(self, reach):
        super().__init__()
        self.reach = reach
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x, lengths=None):
        T = x.shape[1]
        i1 = x[:, :, 1].argmax(1)
        exact = (x[:, :, 0] * x[:, :, 1]).sum(1)
        return torch.where(T - i1 <= self.reach, exact, torch.zeros_like(exact))[:, None] + self.dummy


def test_adding_error_by_distance_bins_by_the_first_marker():
    T = 40
    t = get_task("adding", seq_len=T)
    d, mse, cnt = adding_error_by_distance(_ForgetsEarlyMarkers(30), t, n=4000, n_bins=10)
    assert cnt.sum() == 4000
    assert d.min() >= T // 2 and d.max() <= T + 0.5  # the first marker lies in the first half
    assert np.all(np.diff(d) > 0)
    near, far = d <= 29, d >= 31.5
    assert np.allclose(mse[near], 0.0, atol=1e-10)
    assert np.all(mse[far] > 0.5)  # answering 0 when the sum is about 1
    with pytest.raises(ValueError):
        adding_error_by_distance(_ForgetsEarlyMarkers(3), get_task("sine"))


def test_sweep_point_is_deterministic_and_beats_chance_at_a_short_delay():
    s = SweepSettings(delays=(2,), hidden=8, steps=60, extra=6)
    a = sweep_point("gru", 2, s)
    assert a == sweep_point("gru", 2, s)
    assert a > 0.4  # chance is 0.25


@pytest.mark.slow
def test_adding_preset_separates_lstm_from_rnn():
    """Hochreiter & Schmidhuber's adding problem at T = 50 (H = 32, batch 64, Adam 1e-2, clip 1,
    seed 0): within 800 steps the LSTM gets below MSE 0.05 while the tanh RNN stays above 0.12
    (the always-1 baseline is 0.167), both measured on 2,048 fixed held-out sequences."""
    t0 = time.perf_counter()
    p = PRESETS["adding_50"]
    res = run_preset(p, kinds=("lstm", "rnn"), steps=800, stop_when_passed=True, seed=0)
    assert res["lstm"].loss < 0.05, res["lstm"].curve
    assert res["rnn"].loss > 0.12, res["rnn"].curve
    assert res["rnn"].steps == 800  # a "stays near the baseline" cell trains the whole budget
    assert res["lstm"].steps_to_target is not None and res["lstm"].steps_to_target <= 800
    assert time.perf_counter() - t0 < 300


@pytest.mark.slow
def test_temporal_order_lstm_needs_open_forget_gates():
    """The preset's LSTM (forget-gate bias 2) solves temporal order at T = 60 within 600 steps; the
    same LSTM with torch's default biases is still at chance after as many."""
    import dataclasses
    p = PRESETS["temporal_order"]
    assert p.forget_bias == 2.0
    res = run_preset(p, kinds=("lstm",), steps=600, stop_when_passed=True, seed=0)
    assert res["lstm"].metric > 0.9
    closed = dataclasses.replace(p, forget_bias=None)
    res0 = run_preset(closed, kinds=("lstm",), steps=600, seed=0)
    assert res0["lstm"].metric < 0.6


@pytest.mark.slow
def test_delayed_recall_lstm_with_default_biases_stays_near_chance():
    """The delayed-recall preset's explanation: with torch's default biases instead of forget-gate
    bias 2, the LSTM stays near chance (25 %) on the preset's whole budget, under the bound the
    vanilla RNN must stay under (measured 0.245-0.249 for seeds 0-4; test_presets runs bias 2)."""
    import dataclasses
    p = PRESETS["delayed_recall_30"]
    assert p.forget_bias == 2.0
    bound = next(c.threshold for c in p.criteria if c.kind == "rnn" and not c.is_goal)
    res = run_preset(dataclasses.replace(p, forget_bias=None), kinds=("lstm",), seed=1, check_every=p.steps)
    assert res["lstm"].steps == p.steps and res["lstm"].metric < bound


@pytest.mark.slow
def test_memory_sweep_lstm_with_open_forget_gates_outlasts_the_rnn():
    """Delayed recall at delay 24 (chance 25 %): with forget-gate bias 2 the LSTM recalls, the
    vanilla RNN (same budget, seed and width) does not; with torch's default biases the LSTM
    does not either."""
    s = SweepSettings(steps=800, forget_bias=2.0)
    lstm, rnn = sweep_point("lstm", 24, s), sweep_point("rnn", 24, s)
    closed = sweep_point("lstm", 24, SweepSettings(steps=800))
    assert lstm > 0.4 and rnn < 0.32 and closed < 0.32, (lstm, rnn, closed)
