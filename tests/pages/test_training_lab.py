"""The Training lab under AppTest: renders, builds a run from the widgets, shows live charts."""
from explorer.app import state
from tests.pages.conftest import chart_specs, open_page, plot_array, press

PAGE = "pages/training_lab.py"


def lab_job(at):
    """The session's Training-lab job (AppTest gives no handle on session resources)."""
    import gc

    from explorer.jobs.training_job import TrainingJob
    jobs = [o for o in gc.get_objects() if type(o) is TrainingJob and not o._stop.is_set()]
    assert len(jobs) == 1, f"expected one live job, found {len(jobs)}"
    return jobs[0]


def test_renders_without_a_run():
    at = open_page(PAGE)
    assert not at.exception
    assert any("No run yet" in i.value for i in at.info)
    assert [b.label for b in at.button][:4] == ["Train", "Pause", "Step once", "Reset"]


def test_step_once_trains_and_draws_every_chart():
    at = open_page(PAGE)
    at.selectbox(key=state.LAB_TASK).select("adding"); at.run()
    assert at.number_input(key=state.LAB_SEQ_LEN).value == 50  # the task's own default length
    at.radio(key=state.LAB_KIND).set_value("gru"); at.run()
    at.select_slider(key=state.LAB_HIDDEN).set_value(16); at.run()
    press(at, state.LAB_BTN_STEP)  # builds the run and takes one step
    lab_job(at).run_sync(2)  # the job driven synchronously, as its thread would
    at.run()
    assert not at.exception
    specs = chart_specs(at)
    titles = [s["layout"]["title"]["text"] for s in specs]
    assert any(t.startswith("Loss") for t in titles)
    assert any("trajectories" in t for t in titles)
    assert any("Hidden state" in t for t in titles)
    assert any("∂L/∂h_t" in t for t in titles)
    loss = next(s for s in specs if s["layout"]["title"]["text"].startswith("Loss"))
    train = next(d for d in loss["data"] if d.get("name", "").startswith("train"))
    assert list(plot_array(train["x"])) == [1, 2, 3]  # three steps, three points
    baseline = next(d for d in loss["data"] if "baseline" in d.get("name", "").lower())
    assert abs(plot_array(baseline["y"])[0] - 1 / 6) < 0.01  # the adding problem's trivial baseline
    assert at.metric[0].value == "paused"
    # the trained model is a GRU with 16 units on the adding task
    grad = next(s for s in specs if "∂L/∂h_t" in s["layout"]["title"]["text"])
    assert len(plot_array(grad["data"][0]["y"])) == 50


def test_changed_settings_start_a_new_run():
    at = open_page(PAGE)
    press(at, state.LAB_BTN_STEP)
    lab_job(at).run_sync(1)
    at.run()
    assert at.metric[0].value == "paused"
    at.select_slider(key=state.LAB_HIDDEN).set_value(8); at.run()
    assert any("Settings changed" in i.value for i in at.info)
    press(at, state.LAB_BTN_STEP)
    specs = chart_specs(at)
    loss = next(s for s in specs if s["layout"]["title"]["text"].startswith("Loss"))
    assert list(plot_array(loss["data"][0]["x"])) == [1]  # a fresh run
    hidden = next(s for s in specs if "Hidden state" in s["layout"]["title"]["text"])
    assert plot_array(hidden["data"][0]["z"]).shape[0] == 8  # 8 units now


def test_reset_discards_the_run():
    at = open_page(PAGE)
    press(at, state.LAB_BTN_STEP)
    press(at, state.LAB_BTN_RESET)
    assert any("No run yet" in i.value for i in at.info)
    assert not chart_specs(at)


def test_train_runs_in_the_background():
    import time
    at = open_page(PAGE)
    at.select_slider(key=state.LAB_HIDDEN).set_value(8); at.run()
    at.number_input(key=state.LAB_STEPS).set_value(30); at.run()
    press(at, state.LAB_BTN_TRAIN)
    assert not at.exception
    deadline = time.time() + 60
    while time.time() < deadline:
        at.run()
        if at.metric[0].value == "done":
            break
        time.sleep(0.3)
    assert at.metric[0].value == "done"
    assert "30 of 30" in at.get("progress")[0].proto.text


def test_metric_chart_only_when_it_differs_from_the_loss():
    """Regression: the metric is the loss, so one curve chart; classification: loss and accuracy."""
    from tests.pages.conftest import chart_specs, open_page, press
    from explorer.app import state
    from explorer.jobs.training_job import TrainingJob
    import gc
    counts = {}
    for task in ("sine", "parity"):
        at = open_page("pages/training_lab.py")
        at.selectbox(key=state.LAB_TASK).select(task)
        at.run()
        press(at, state.LAB_BTN_STEP)
        titles = [str(s["layout"].get("title", {}).get("text", "")) for s in chart_specs(at)]
        counts[task] = sum(t.startswith(("Loss", "Accuracy", "MSE")) for t in titles)
        for o in gc.get_objects():
            if type(o) is TrainingJob:
                o.stop()
    assert counts == {"sine": 1, "parity": 2}, counts


def test_history_slider_follows_new_probes_while_at_the_end_and_stays_when_moved():
    at = open_page(PAGE)
    for _ in range(3):
        press(at, state.LAB_BTN_STEP)  # each step once takes a probe
    (scrub,) = at.slider
    assert scrub.value == scrub.max == 2  # three probes: 0, 1, 2; the latest shown
    press(at, state.LAB_BTN_STEP)
    (scrub,) = at.slider
    assert scrub.max == 3 and scrub.value == 3  # followed the new probe
    scrub.set_value(1).run()
    press(at, state.LAB_BTN_STEP)
    (scrub,) = at.slider
    assert scrub.max == 4 and scrub.value == 1  # a chosen moment stays chosen
    traj = next(s for s in chart_specs(at) if "trajector" in s["layout"]["title"]["text"].lower())
    assert "step 2" in traj["layout"]["title"]["text"]  # probe 1 was taken at step 2


def test_a_live_chart_element_carries_its_data_not_the_charts_code():
    """Each live chart names the session's stream and loads the charts' module by URL: the
    component's inline script travels with every element on every refresh, so it stays a few
    lines (it carried 12 KB per chart per refresh)."""
    import json
    import re

    from explorer.app.live_chart import LIVE_COMPONENT, LIVE_JS, STATIC_DIR
    at = open_page(PAGE)
    press(at, state.LAB_BTN_STEP)
    lab_job(at).run_sync(2)
    at.run()
    live = [n for n in at._tree if getattr(n, "type", None) == "bidi_component"
            and n.proto.component_name == LIVE_COMPONENT]
    assert len(live) >= 5
    feeds = set()
    for node in live:
        assert len(node.proto.js_content) < 1000, len(node.proto.js_content)
        assert re.search(r"component/[\w.]+/live_chart\.js\?v=[0-9a-f]{12}", node.proto.js_content)
        data = json.loads(node.proto.json)
        assert "spec" in data and data["key"] in node.proto.id  # a full run: the whole figure, for its chart
        feeds.add(data["feed"])
    assert len(feeds) == 1 and re.fullmatch(r"rnnx/live/[0-9a-f]{32}", feeds.pop())  # one stream per session
    code = (STATIC_DIR / LIVE_JS).read_text()
    assert "export function chart(" in code and "export function group(" in code
