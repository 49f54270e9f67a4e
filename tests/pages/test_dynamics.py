"""The Dynamics lab page (AppTest): the flip-flop preset trains and its fixed points are drawn, the
W_hh spectrum matches the model, sensitivity and edge-of-chaos numbers equal the engine's."""
import gc
import time

import numpy as np
import pytest

from core.dynamics import ChaosSettings, lyapunov_at, lyapunov_vs_radius
from core.trace import whh_eigenvalues
from explorer.views import dynamics_chaos as CHV
from explorer.views import dynamics as V
from explorer.app import state
from explorer.jobs.training_job import TrainingJob

from .conftest import chart_specs, open_page, plot_array, press

PAGE = "pages/dynamics.py"


def _chart(at, starts):
    for c in chart_specs(at):
        if c["layout"]["title"]["text"].startswith(starts):
            return c
    raise AssertionError(f"no chart titled {starts!r}: {[c['layout']['title']['text'][:40] for c in chart_specs(at)]}")


def _trace(spec, name):
    return next(t for t in spec["data"] if t.get("name", "").startswith(name))


def _job(name):
    """The most advanced TrainingJob called ``name`` (AppTest gives no access to the session's board)."""
    jobs = [o for o in gc.get_objects() if type(o) is TrainingJob and o.name == name]
    return max(jobs, key=lambda j: j.trainer.step_count)


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _wait_done(at, timeout=90):
    end = time.time() + timeout
    while time.time() < end:
        time.sleep(1.0)
        at.run()
        assert not at.exception, at.exception
        if _metric(at, "Status") == "done":
            at.run()  # the final full run: fixed points of the last step
            return
    raise AssertionError("the flip-flop run did not finish")


def test_without_a_model_sensitivity_and_chaos_equal_the_engine():
    at = open_page(PAGE)
    assert not at.exception, at.exception
    assert any("Press **Train**" in i.value for i in at.info)
    at.radio(key=state.DYN_SENS_SOURCE).set_value("untrained")
    at.slider(key=state.DYN_SENS_RHO).set_value(1.8)
    at.run()
    chaos = _chart(at, "Edge of chaos")
    lam = lyapunov_vs_radius(CHV.CHAOS_RADII, ChaosSettings())
    np.testing.assert_allclose(plot_array(_trace(chaos, "λ_max")["y"]), lam, atol=1e-6)
    star = _trace(chaos, "this network")
    assert star["x"] == [1.8]
    assert star["y"][0] == pytest.approx(lyapunov_at(1.8, ChaosSettings()), abs=1e-9)
    grow = _chart(at, "untrained tanh RNN, ρ = 1.80")
    sens = CHV.untrained_sensitivity(1.8, 10, 1e-6)
    y = plot_array(_trace(grow, "distance")["y"])
    np.testing.assert_allclose(y, sens.log_dist[np.isfinite(sens.log_dist)], rtol=1e-5)
    assert f"{sens.fit.slope:+.3f}" in _trace(grow, "fit")["name"]
    at.select_slider(key=state.DYN_CHAOS_INPUT).set_value(1.0)
    at.run()
    lam1 = plot_array(_trace(_chart(at, "Edge of chaos"), "λ_max")["y"])
    np.testing.assert_allclose(lam1, lyapunov_vs_radius(CHV.CHAOS_RADII, ChaosSettings(input_scale=1.0)), atol=1e-6)
    assert not np.allclose(lam1, lam)


def test_flipflop_preset_trains_and_shows_its_attractors():
    at = open_page(PAGE)
    at.select_slider(key=state.DYN_HIDDEN).set_value(16)
    at.select_slider(key=state.DYN_LR).set_value(1e-2)
    at.number_input(key=state.DYN_STEPS).set_value(250)
    at.run()
    press(at, state.DYN_BTN_TRAIN)
    assert not at.exception, at.exception
    _wait_done(at)
    job = _job(V.JOB_NAME)
    assert job.trainer.step_count == 250 and job.trainer.model.config.hidden_size == 16
    # W_hh spectrum: the drawn eigenvalues are the model's, and step 0's are drawn too
    whh = _chart(at, "Eigenvalues of W_hh")
    now = _trace(whh, "step 250")
    got = np.sort_complex(plot_array(now["x"]) + 1j * plot_array(now["y"]))
    want = np.sort_complex(whh_eigenvalues(job.trainer.model).astype(np.complex64))
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert len(plot_array(_trace(whh, "at step 0")["x"])) == 16
    # fixed points: the metrics match the drawn markers, and most memories are held after 250 steps
    space = _chart(at, "LSTM states at step 250")
    n_stable = int(_metric(at, "Stable"))
    assert len(plot_array(_trace(space, "stable fixed point")["x"])) == n_stable
    assert int(_metric(at, "Fixed points")) == n_stable + int(_metric(at, "Unstable"))
    assert int(_metric(at, "Memories held (of 8)")) >= 6
    assert {t["name"] for t in space["data"]} >= {"+++", "\u2212\u2212\u2212"}  # coloured by the target memory
    jac = _chart(at, "Eigenvalues of the Jacobian")
    assert sum(len(plot_array(t["x"])) for t in jac["data"][1:]) == int(_metric(at, "Fixed points")) * 32
    # 3-D view and time colouring
    at.toggle(key=state.DYN_VIEW3D).set_value(True)
    at.radio(key=state.DYN_COLOR).set_value("time")
    at.run()
    assert not at.exception, at.exception
    space = _chart(at, "LSTM states")
    assert space["data"][0]["type"] == "scatter3d" and "3-D PCA" in space["layout"]["title"]["text"]
    press(at, state.DYN_BTN_FIND)
    assert not at.exception, at.exception
    # sensitivity of the trained model: decays (stable memories)
    at.radio(key=state.DYN_SENS_SOURCE).set_value("model")
    at.run()
    grow = _chart(at, "the model above")
    assert "fit: slope λ = -" in _trace(grow, "fit")["name"]


def test_gru_note_and_the_training_lab_source():
    at = open_page(PAGE)
    at.radio(key=state.DYN_KIND).set_value("gru")
    at.run()
    assert any("1e-5" in i.value for i in at.info)
    at.radio(key=state.DYN_SOURCE).set_value("lab")
    at.run()
    assert not at.exception, at.exception
    assert any("Training lab has no model" in i.value for i in at.info)
    # train a small model in the Training lab, then analyse it here
    at.switch_page("pages/training_lab.py").run()
    at.number_input(key=state.LAB_STEPS).set_value(30)
    at.run()
    press(at, state.LAB_BTN_TRAIN)
    end = time.time() + 60
    # every job called "run" (earlier tests' jobs are stopped, so this waits for the new one)
    while time.time() < end and any(j.snapshot().active for j in gc.get_objects()
                                    if type(j) is TrainingJob and j.name == "run"):
        time.sleep(0.5)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.radio(key=state.DYN_SOURCE).value == "lab"
    space = _chart(at, "LSTM states at step 30")
    states = next(t for t in space["data"] if t.get("name") == "states")
    assert states["marker"]["colorbar"]["title"]["text"] == "target (channel 1)"  # sine: a value per step
