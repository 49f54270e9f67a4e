"""The "Download report" button on the Training lab, the comparison and the dynamics pages (AppTest),
and the records those pages make (the dynamics page's extra charts, the comparison's verdict)."""
import gc
import time

from core.compare import PRESETS
from explorer.app import report_ui, state
from explorer.app.i18n import text
from explorer.jobs.training_job import TrainingJob
from explorer.report.build import build_report
from tests.pages.conftest import open_page, press


def report_button(at, key):
    """The page's download button with ``key`` (AppTest has no typed accessor for it)."""
    found = [e for e in at.get("download_button") if e.proto.id.endswith(key)]
    assert len(found) == 1, [e.proto.id for e in at.get("download_button")]
    return found[0].proto


def live_jobs(prefix):
    return {o.name: o for o in gc.get_objects() if type(o) is TrainingJob and o.name.startswith(prefix)
            and not o._stop.is_set()}


def wait_done(jobs, timeout=90):
    end = time.time() + timeout
    while time.time() < end and not all(j.snapshot().status == "done" and not j.alive for j in jobs):
        time.sleep(0.2)
    assert all(j.snapshot().status == "done" for j in jobs)


def test_training_lab_offers_the_report_once_there_is_a_run_and_builds_it_only_on_click():
    at = open_page("pages/training_lab.py")
    assert at.get("download_button") == []  # no run, no report
    press(at, state.LAB_BTN_STEP)
    at.run()
    assert not at.exception, at.exception
    b = report_button(at, "report.lab")
    assert b.label == "Download report"
    assert b.deferred_file_id and not b.url  # a callable, run when the reader clicks: nothing built yet


def test_the_label_is_in_the_readers_language():
    at = open_page("pages/training_lab.py")
    at.query_params["lang"] = "ko"
    at.session_state[state.LANG] = "ko"
    press(at, state.LAB_BTN_STEP)
    at.run()
    assert report_button(at, "report.lab").label == text("report.download", "ko")


def test_comparison_page_offers_the_report_and_its_record_carries_the_verdict():
    at = open_page("pages/comparison.py")
    at.selectbox(key=state.CMP_PRESET).select("custom").run()
    at.select_slider(key=state.CMP_HIDDEN).set_value(4).run()
    at.number_input(key=state.CMP_SEQ_LEN).set_value(10).run()
    at.number_input(key=state.CMP_STEPS).set_value(50).run()
    at.button(key="compare.train").click().run()
    assert not at.exception, at.exception
    assert report_button(at, "report.compare").label == "Download report"
    jobs = live_jobs("compare.")
    assert len(jobs) == 3
    wait_done(jobs.values())
    by_kind = {j.name.split(".")[1]: j for j in jobs.values()}
    preset = next(iter(PRESETS.values()))
    finals = {j.id: {"loss": 0.01, "metric": 0.99, "step": preset.steps} for j in by_kind.values()}
    rec = report_ui.compare_record(by_kind, {"task": "sine"}, preset, finals, query={"compare.hidden": "4"},
                                   base_url=None, lang="en")
    assert [d for d, _, _ in rec.preset["checks"]] and all(ok is None for _, _, ok in rec.preset["checks"])
    doc = build_report(rec, "en")  # the runs did not finish the preset's budget: "not judged"
    assert text("report.preset.pending", "en").split("(")[0] in doc and "comparison?compare.hidden=4" in doc


def test_dynamics_page_offers_the_report_with_spectrum_and_fixed_points():
    at = open_page("pages/dynamics.py")
    at.select_slider(key=state.DYN_HIDDEN).set_value(16)
    at.number_input(key=state.DYN_STEPS).set_value(100)
    at.run()
    press(at, state.DYN_BTN_TRAIN)
    assert not at.exception, at.exception
    assert report_button(at, "report.dynamics").label == "Download report"
    job = live_jobs("dynamics.")["dynamics.flipflop"]
    wait_done([job])
    settings = report_ui.dynamics_settings("flipflop", at.session_state[state.DYN_SIGNATURE], None, job)
    assert settings["source"] == "flipflop" and settings["hidden"] == 16 and settings["steps"] == 100
    rec = report_ui.dynamics_record(job, settings, None, query={}, base_url=None, lang="ko")
    headings = [h for h, _ in rec.extras]
    assert headings == [text(f"report.dyn.{k}", "ko") for k in ("whh", "space", "jacobian")]
    doc = build_report(rec, "ko")
    for h in headings:
        assert f"<h3>{h}</h3>" in doc
