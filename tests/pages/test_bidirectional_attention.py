"""The Bidirectional & attention page under AppTest."""
import gc
import time

import numpy as np

from explorer.app import state
from tests.pages.conftest import chart_specs, open_page, press
from tests.pages.conftest import plot_array as _plot_array


def plot_array(v):
    """conftest's decoder, plus 2-D arrays (plotly writes their shape as a string "6, 40")."""
    if isinstance(v, dict) and isinstance(v.get("shape"), str):
        v = dict(v, shape=[int(n) for n in v["shape"].split(",")])
    return _plot_array(v)


def _jobs():
    """Live TrainingJob objects (the session's JobBoard cannot be read outside a script run)."""
    from explorer.jobs.training_job import TrainingJob
    return [o for o in gc.get_objects() if type(o) is TrainingJob and o.snapshot().status != "stopped"]


def press_until(at, key, done, tries=3):
    """``press``, repeated while ``done()`` is false: on this page AppTest drops the first click after
    switch_page (a real browser does not; see the report). At most ``tries`` presses."""
    for _ in range(tries):
        press(at, key)
        if done():
            return at
    raise AssertionError(f"pressing {key} {tries} times did nothing")

PAGE = "pages/bidirectional_attention.py"


def _chart(at, start):
    return next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith(start))


def test_renders_with_untrained_attention():
    at = open_page(PAGE)
    assert not at.exception
    assert any("Train both" in i.value for i in at.info)
    hm = _chart(at, "Attention weights of the UNTRAINED")
    z = plot_array(hm["data"][0]["z"])
    assert z.shape == (6, 40)
    np.testing.assert_allclose(z.sum(1), 1, atol=1e-3)
    at.select_slider(key=state.ATT_SEQ_LEN).set_value(20).run()
    assert plot_array(_chart(at, "Attention weights")["data"][0]["z"]).shape == (6, 20)


def test_bidirectional_vs_one_way():
    at = open_page(PAGE)
    at.select_slider(key=state.BI_STEPS).set_value(25).run()
    press_until(at, state.BI_BTN_TRAIN, lambda: at.session_state[state.BI_RESULT] is not None)
    assert not at.exception
    res = at.session_state[state.BI_RESULT]
    m = {x.label: x.value for x in at.metric}
    assert m["bidirectional: held-out accuracy"] == f"{res.acc_bi:.1%}"
    assert m["one-way: held-out accuracy"] == f"{res.acc_uni:.1%}"
    bars = _chart(at, "Look-ahead")
    assert list(bars["data"][1]["y"]) == [res.acc_bi, res.acc_uni]
    states = _chart(at, "Bidirectional RNN, sequence 1")
    np.testing.assert_allclose(plot_array(states["data"][0]["z"]), res.forward[0].T, atol=1e-5)
    np.testing.assert_allclose(plot_array(states["data"][1]["z"]), res.backward[0].T, atol=1e-5)
    at.select_slider(key=state.BI_SAMPLE).set_value(2).run()
    states = _chart(at, "Bidirectional RNN, sequence 3")
    np.testing.assert_allclose(plot_array(states["data"][1]["z"]), res.backward[2].T, atol=1e-5)
    look = _chart(at, "Held-out sequence 3")
    np.testing.assert_allclose(plot_array(look["data"][0]["y"]), res.x[2], atol=1e-6)


def test_attention_trains_live_and_focuses_on_the_mark():
    at = open_page(PAGE)
    at.select_slider(key=state.ATT_SEQ_LEN).set_value(20).run()
    at.select_slider(key=state.ATT_STEPS).set_value(100).run()
    before = {x.label: x.value for x in at.metric}
    # nothing trained yet: no change "from untrained" to show (a red "+0.0000" read as worse)
    assert {x.label: x.delta for x in at.metric}["held-out MSE, attention head"] in (None, "")
    seen = {id(j) for j in _jobs()}
    press_until(at, state.ATT_BTN_TRAIN, lambda: any(id(j) not in seen for j in _jobs()))
    assert not at.exception
    new = {j.name: j for j in _jobs() if id(j) not in seen}
    assert set(new) == {"attention", "attention_last"}  # both models train in the background
    job = new["attention"]
    end = time.time() + 60
    while time.time() < end and any(j.snapshot().active for j in new.values()):
        time.sleep(0.2)
    at.run()
    assert not at.exception
    snap = job.snapshot()
    assert snap.status == "done"
    hm = _chart(at, "Attention weights a_t")
    z = plot_array(hm["data"][0]["z"])
    np.testing.assert_allclose(z, snap.probe.attention, atol=1e-6)
    marks = snap.probe.x[:, :, 1].argmax(1)
    assert list(hm["data"][1]["x"]) == list(marks + 1)
    after = {x.label: x.value for x in at.metric}
    on_mark = float(after["attention on the mark"])
    assert on_mark == round(float(z[np.arange(6), marks].mean()), 2)
    assert on_mark > float(before["attention on the mark"])
    assert after["held-out MSE, attention head"] == f"{snap.val_metric[-1]:.4f}"
    delta = {x.label: x.delta for x in at.metric}["held-out MSE, attention head"]
    assert delta.startswith(f"{snap.val_metric[-1] - float(before['held-out MSE, attention head']):+.4f}"[:4])
    cmp = _chart(at, "Marked recall")
    assert abs(cmp["data"][1]["y"][0] - snap.val_metric[-1]) < 1e-9
