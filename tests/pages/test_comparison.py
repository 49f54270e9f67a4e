"""The LSTM vs GRU vs RNN page: AppTest (widgets, parameter counts, the three jobs, the summary)
and its view logic without Streamlit."""
import time

import numpy as np
import torch
import pytest

from core import get_task
from core.compare import CELLS, PRESETS, matched_hidden_sizes
from explorer.views import comparison as V
from explorer.app import state
from explorer.jobs.concurrency import JobLimiter

from .conftest import chart_specs, open_page, training_job_ids, wait_new_jobs_done

PAGE = "pages/comparison.py"


def _params_shown(at):
    return [int(m.value.replace(",", "")) for m in at.metric if "parameters" in m.label]


def _settings(**kw):
    d = dict(preset=V.CUSTOM, task="adding", seq_len=12, hidden=8, equal_params=False, lr=1e-2, batch_size=16,
             clip=1.0, seed=0, steps=40, device="cpu")
    d.update(kw)
    return V.PageSettings(**d)


# ---- without Streamlit ----------------------------------------------------------------------

def test_preset_settings_round_trip():
    for name in PRESETS:
        s = _settings(preset=name, **V.preset_settings(name))
        assert V.active_preset(s) is PRESETS[name]
        assert V.active_preset(s.__class__(**{**s.__dict__, "lr": s.lr * 3})) is None
        assert V.active_preset(s.__class__(**{**s.__dict__, "forget_bias": 1.0})) is None
    s = _settings(preset="adding_50", **V.preset_settings("adding_50"))
    assert V.make_task(s).params == {"seq_len": 50}


def test_forget_bias_reaches_the_lstm_only():
    s = _settings(forget_bias=2.0)
    jobs = V.make_jobs(s, V.make_task(s), JobLimiter(1))
    lstm = jobs["lstm"].trainer.model
    H = lstm.config.hidden_size
    assert torch.allclose((lstm.rnn.bias_ih_l0 + lstm.rnn.bias_hh_l0)[H:2 * H], torch.full((H,), 2.0))
    assert jobs["gru"].trainer.model.config.forget_bias is None
    plain = V.make_jobs(_settings(), V.make_task(s), JobLimiter(1))["lstm"].trainer.model
    assert plain.config.forget_bias is None


def test_jobs_share_data_seed_and_budget_and_queue_on_the_limiter():
    s = _settings(equal_params=True)
    task = V.make_task(s)
    jobs = V.make_jobs(s, task, JobLimiter(1))
    try:
        assert [j.name for j in jobs.values()] == [V.JOB_NAMES[k] for k in CELLS]
        hs = matched_hidden_sizes(task, 8, True)
        assert {k: j.trainer.model.config.hidden_size for k, j in jobs.items()} == {k: h for k, (h, _) in hs.items()}
        assert {j.target_steps for j in jobs.values()} == {40}
        assert len({j.trainer.config.seed for j in jobs.values()}) == 1
        for j in jobs.values():
            j.target_steps = 100_000  # long enough that the waiting is seen however slow the machine
            j.start()
        end = time.time() + 60
        seen_waiting = False
        while time.time() < end and not seen_waiting:
            snaps = [j.snapshot() for j in jobs.values()]
            if any(sn.status == "queued" and sn.queue_position for sn in snaps):
                seen_waiting = True
                q = next(sn for sn in snaps if sn.status == "queued" and sn.queue_position)
                assert V.status_text(q, 1) == (f":material/hourglass_top: waiting for a core (queue position "
                                               f"{q.queue_position}); the server trains 1 at once")
            time.sleep(0.005)
        assert seen_waiting  # one slot, three jobs: the others wait
    finally:
        for j in jobs.values():
            j.stop()


def _trained(s, steps=30):
    task = V.make_task(s)
    jobs = V.make_jobs(s, task)
    for j in jobs.values():
        j.run_sync(steps)
    return task, jobs, {k: j.snapshot() for k, j in jobs.items()}


def test_views_from_three_snapshots():
    s = _settings()
    task, jobs, snaps = _trained(s)
    f = V.grad_fig(snaps)
    lo, hi = f.layout.coloraxis.cmin, f.layout.coloraxis.cmax
    allg = np.concatenate([sn.grad_rows.reshape(-1) for sn in snaps.values()])
    assert lo == pytest.approx(np.log10(allg[allg > 0].min()), rel=1e-6)
    assert hi == pytest.approx(np.log10(allg.max()), rel=1e-6)
    lf = V.loss_fig(snaps, task)
    assert len(lf.data) == 7 and lf.data[-1].y[0] == pytest.approx(task.baseline_loss)
    g = V.gate_arrays(snaps["lstm"], 2)
    assert list(g) == ["input", "forget", "output", "cell", "c"]
    np.testing.assert_array_equal(g["forget"], snaps["lstm"].probe.gates["forget"][2])
    assert list(V.gate_arrays(snaps["gru"], 0)) == ["reset", "update", "new"]
    assert V.gate_arrays(snaps["rnn"], 0) == {}
    finals = {k: V.final_eval(j) for k, j in jobs.items()}
    sizes = V.sizes(task, s)
    summ = V.summary_table(snaps, sizes, finals, task, V.default_target(task, None))
    assert list(summ["cell"]) == ["Vanilla RNN", "LSTM", "GRU"]
    assert list(summ["parameters"]) == [sizes[k][1] for k in CELLS]
    assert list(summ["final loss (MSE)"]) == pytest.approx([finals[k]["loss"] for k in CELLS])
    assert "final accuracy" not in summ  # MSE tasks: the metric is the loss
    assert V.adding_memory_fig(jobs).data[0].name == "Vanilla RNN"


def test_sweep_summary():
    acc = np.array([[1.0, 0.95, 0.5], [1.0, 0.6, 0.3], [0.8, 0.7, 0.2]])
    assert V.sweep_summary((2, 8, 16), acc) == ("Longest delay recalled with ≥ 90% accuracy: "
                                                "Vanilla RNN 8, LSTM 2, GRU none.")


def test_badges():
    p = PRESETS["adding_50"]
    b = V.badges(p, {"rnn": {"loss": 0.16, "metric": 0.16}, "lstm": {"loss": 0.2, "metric": 0.2}})
    assert [(t, ok) for t, _, ok in b] == [("LSTM MSE < 0.05", False), ("GRU MSE < 0.05", None),
                                          ("RNN MSE > 0.12", True)]


# ---- AppTest ---------------------------------------------------------------------------------

def test_page_shows_counts_and_matches_them():
    at = open_page(PAGE)
    assert not at.exception, at.exception
    t = get_task("adding", seq_len=50)
    assert _params_shown(at) == [c for _, c in matched_hidden_sizes(t, 32, False).values()]
    assert any("Adding problem" in i.value for i in at.info)  # the default preset is explained
    at.selectbox(key=state.CMP_PRESET).select(V.CUSTOM).run()
    at.toggle(key=state.CMP_EQUAL).set_value(True).run()
    assert not at.exception, at.exception
    shown = _params_shown(at)
    assert shown == [c for _, c in matched_hidden_sizes(t, 32, True).values()]
    assert max(shown) / min(shown) < 1.1
    at.selectbox(key=state.CMP_PRESET).select("adding_100").run()
    assert at.session_state[state.CMP_SEQ_LEN] == 100 and at.session_state[state.CMP_EQUAL] is False
    t100 = get_task("adding", seq_len=100)
    assert _params_shown(at) == [c for _, c in matched_hidden_sizes(t100, 32, False).values()]


def test_train_all_three_and_summary():
    at = open_page(PAGE)
    at.selectbox(key=state.CMP_PRESET).select(V.CUSTOM).run()
    at.selectbox(key=state.CMP_TASK).select("temporal_order").run()
    at.number_input(key=state.CMP_SEQ_LEN).set_value(12).run()
    at.select_slider(key=state.CMP_HIDDEN).set_value(8).run()
    at.number_input(key=state.CMP_STEPS).set_value(60).run()
    assert not at.exception, at.exception
    before = training_job_ids()
    at.button(key="compare.train").click().run()
    assert not at.exception, at.exception
    jobs = wait_new_jobs_done(before, "compare.", 3, timeout=60)
    at.run()
    assert not at.exception, at.exception
    specs = chart_specs(at)
    loss = specs[0]
    names = [d.get("name") for d in loss["data"]]
    assert "LSTM (held-out)" in names and "GRU (held-out)" in names and "Vanilla RNN (held-out)" in names
    grad = specs[2]
    assert sum(d["type"] == "heatmap" for d in grad["data"]) == 3
    assert "cmin" in grad["layout"]["coloraxis"]
    df = at.dataframe[0].value
    from core.compare import evaluate
    for k in CELLS:
        j = jobs[V.JOB_NAMES[k]]
        row = df[df["cell"] == V.FC.cell_name(k)].iloc[0]
        assert row["steps"] == 60
        assert row["final loss"] == pytest.approx(evaluate(j.trainer.model, j.trainer.task)["loss"], rel=1e-5)
    n_gate_charts = len(specs)
    at.number_input(key=state.CMP_GATE_SEQ).set_value(3).run()
    assert not at.exception and len(chart_specs(at)) == n_gate_charts
    lstm_gates = next(s for s in chart_specs(at) if "LSTM gates" in s["layout"]["title"]["text"])
    assert "sequence 3" in lstm_gates["layout"]["title"]["text"]


def test_probe_views_are_built_once_per_set_of_probes():
    s = _settings()
    task, jobs, snaps = _trained(s, steps=5)
    ids = {k: j.id for k, j in jobs.items()}
    cache = {}
    figs = V.probe_views(snaps, ids, 1, cache)
    assert set(figs) == {"grad", "traj", "gates_lstm", "gates_gru", "means_lstm", "means_gru", "sat_lstm", "sat_gru"}
    assert "sequence 2" in figs["gates_lstm"].layout.title.text  # seq is 0-based, titles 1-based
    assert V.probe_views(snaps, ids, 1, cache) is figs  # nothing new: the same figures, not rebuilt
    assert V.probe_views(snaps, ids, 0, cache) is not figs  # another sequence: rebuilt
    jobs["lstm"].step_once()  # step once takes a probe
    newer = {k: j.snapshot() for k, j in jobs.items()}
    again = V.probe_views(newer, ids, 1, cache)
    assert again is not figs
    assert f"step {newer['lstm'].probe.step}" in again["gates_lstm"].layout.title.text
    for seq in range(2, 6):
        V.probe_views(newer, ids, seq, cache)
    assert len(cache) <= V.MAX_CACHED_VIEWS
