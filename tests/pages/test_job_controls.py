"""The shared Train / Pause / Step / Reset row (explorer/app/job_controls.py), driven through AppTest
with stand-in jobs that log what the buttons asked of them; and the three training pages use it."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def _script():
    import streamlit as st

    from explorer.app.job_controls import JobControls, job_row

    ss = st.session_state
    ss.setdefault("log", [])

    class Stand:
        """Logs the calls the row makes; stop() comes from the board when a run is replaced."""
        def __init__(self, name, built_with):
            self.name, self.built_with = name, built_with

        def start(self):
            ss["log"].append(("start", self.name, self.built_with))

        def pause(self):
            ss["log"].append(("pause", self.name))

        def step_once(self):
            ss["log"].append(("step", self.name, self.built_with))

        def stop(self):
            ss["log"].append(("stop", self.name, self.built_with))

    setting = st.number_input("setting", value=1, min_value=-5, key="setting")

    def build():
        if setting < 0:
            raise ValueError("a negative setting")
        ss["log"].append(("build", setting))
        return {"a": Stand("a", setting), "b": Stand("b", setting)}

    c = JobControls(("a", "b"), "sig", "lab.btn.train", "lab.btn.pause", "lab.btn.reset", "compare.stale",
                    step="lab.btn.step")
    row = job_row(c, setting, build, error=lambda e: f"Cannot build: {e}",
                  prepare=lambda j: ss["log"].append(("prepare", j.name)),
                  on_new=lambda new: ss["log"].append(("new", tuple(sorted(new)))),
                  on_reset=lambda: ss["log"].append(("reset",)))
    ss["row"] = (None if row.jobs is None else {k: j.built_with for k, j in row.jobs.items()}, row.stale)


def _app() -> AppTest:
    at = AppTest.from_function(_script, default_timeout=30)
    at.session_state["sig"] = None
    at.run()
    assert not at.exception, at.exception
    return at


def _take_log(at: AppTest) -> list:
    log = list(at.session_state["log"])
    at.session_state["log"] = []
    return log


def test_without_runs_pause_and_reset_are_greyed_and_train_builds_then_starts():
    at = _app()
    assert at.button(key="lab.btn.pause").disabled and at.button(key="lab.btn.reset").disabled
    assert not at.button(key="lab.btn.train").disabled and not at.button(key="lab.btn.step").disabled
    assert at.button(key="lab.btn.train").label == "Train"
    assert at.button(key="lab.btn.train").help  # lab.btn.train_help exists, so it is the tooltip
    assert at.session_state["row"] == (None, False)
    at.button(key="lab.btn.train").click().run()
    assert _take_log(at) == [("build", 1), ("new", ("a", "b")), ("prepare", "a"), ("start", "a", 1),
                             ("prepare", "b"), ("start", "b", 1)]
    assert at.session_state["row"] == ({"a": 1, "b": 1}, False)
    assert at.session_state["sig"] == 1
    assert not at.button(key="lab.btn.pause").disabled
    # Train again with the same settings: the same runs start again, nothing is rebuilt
    at.button(key="lab.btn.train").click().run()
    assert _take_log(at) == [("prepare", "a"), ("start", "a", 1), ("prepare", "b"), ("start", "b", 1)]
    at.button(key="lab.btn.pause").click().run()
    assert _take_log(at) == [("pause", "a"), ("pause", "b")]


def test_changed_settings_say_so_and_train_replaces_the_runs():
    at = _app()
    at.button(key="lab.btn.train").click().run()
    _take_log(at)
    at.number_input(key="setting").set_value(2).run()
    assert at.session_state["row"] == ({"a": 1, "b": 1}, True)
    assert [i.value for i in at.info] == ["Settings changed: **Train** starts a new comparison."]
    assert _take_log(at) == []  # changing a widget builds nothing
    at.button(key="lab.btn.step").click().run()
    log = _take_log(at)
    assert log[0] == ("build", 2)
    assert ("stop", "a", 1) in log and ("stop", "b", 1) in log  # the old runs' threads are stopped
    assert log[-4:] == [("prepare", "a"), ("step", "a", 2), ("prepare", "b"), ("step", "b", 2)]
    assert at.session_state["row"] == ({"a": 2, "b": 2}, False)
    assert len(at.info) == 0


def test_step_without_runs_builds_and_steps_once_and_pause_is_live_at_once():
    at = _app()
    at.button(key="lab.btn.step").click().run()
    assert _take_log(at) == [("build", 1), ("new", ("a", "b")), ("prepare", "a"), ("step", "a", 1),
                             ("prepare", "b"), ("step", "b", 1)]  # once: the redraw repeats no click
    assert not at.button(key="lab.btn.pause").disabled and not at.button(key="lab.btn.reset").disabled


def test_a_build_error_is_shown_and_the_old_runs_are_kept_but_not_started():
    at = _app()
    at.button(key="lab.btn.train").click().run()
    _take_log(at)
    at.number_input(key="setting").set_value(-1).run()
    at.button(key="lab.btn.train").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Cannot build: a negative setting"]
    assert _take_log(at) == []  # nothing built, nothing started
    assert at.session_state["row"] == ({"a": 1, "b": 1}, True)
    assert at.session_state["sig"] == 1


def test_reset_removes_the_runs_and_forgets_the_signature():
    at = _app()
    at.button(key="lab.btn.train").click().run()
    _take_log(at)
    at.button(key="lab.btn.reset").click().run()
    assert _take_log(at) == [("stop", "a", 1), ("stop", "b", 1), ("reset",)]
    assert at.session_state["row"] == (None, False) and at.session_state["sig"] is None
    assert at.button(key="lab.btn.pause").disabled and at.button(key="lab.btn.reset").disabled


def test_the_training_pages_share_the_row():
    """Train/Pause/Reset and the stale notice are written once: each training page calls job_row and
    draws no button of its own with those keys."""
    for page in ("training_lab", "comparison", "dynamics"):
        src = (ROOT / "pages" / f"{page}.py").read_text()
        assert "job_row(CONTROLS" in src, page
        assert ":material/pause:" not in src and ":material/restart_alt:" not in src, page
