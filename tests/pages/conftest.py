"""AppTest helpers. A page test gets a fresh app at a page; background jobs are stopped after it."""
import gc
import json

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer.app.live_chart import LIVE_COMPONENT

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def _stop_jobs_after_test():
    """AppTest has no session end, so nothing releases the session's JobBoard: stop every job."""
    yield
    import streamlit as st

    from explorer.jobs.training_job import TrainingJob
    # Server-wide resources (the limiter, the registry of job boards) would carry over from test
    # to test: drop them (the registry's on_release stops its jobs).
    st.cache_resource.clear()
    for obj in gc.get_objects():
        if type(obj) is TrainingJob:  # isinstance() trips torch's lazy modules
            obj.stop()


def open_page(path: str, timeout: float = 60) -> AppTest:
    """The app, switched to ``path`` (e.g. "pages/training_lab.py") and run once."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(path).run()
    return at


def chart_specs(at: AppTest) -> list[dict]:
    """The plotly figures on the page in page order, as JSON specs: ``st.plotly_chart`` charts and
    live charts (``explorer.app.live_chart``: a component whose data carry the spec)."""
    return [spec for _, spec in keyed_chart_specs(at)]


def keyed_chart_specs(at: AppTest) -> list[tuple[str, dict]]:
    """(element id, spec) of every chart on the page, in page order (the id ends with the key)."""
    out = []
    for node in at._tree:  # depth-first, in page order
        kind = getattr(node, "type", None)
        if kind == "plotly_chart":
            out.append((node.proto.id, json.loads(node.proto.spec)))
        elif kind == "bidi_component" and node.proto.component_name == LIVE_COMPONENT:
            out.append((node.proto.id, json.loads(json.loads(node.proto.json)["spec"])))
    return out


def plot_array(v):
    """A plotly data array from a JSON spec (plain list or plotly's base64 'bdata' encoding)."""
    import base64

    import numpy as np
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" not in v:
            return a
        shape = v["shape"]  # plotly writes it as "6, 40"
        if isinstance(shape, str):
            shape = [int(s) for s in shape.split(",")]
        return a.reshape(shape)
    return np.asarray(v)


def press(at: AppTest, key: str) -> AppTest:
    """Click the button ``key`` and run the app. (Not ``at.button(key=k).click().run()``: that
    runs with the element's own, possibly older, tree.)"""
    at.button(key=key).click()
    return at.run()


def training_job_ids() -> set:
    """The ids of every TrainingJob in memory now: the runs a test starts afterwards are the others
    (an earlier test's finished runs of the same names may stay in memory until the GC frees them)."""
    from explorer.jobs.training_job import TrainingJob
    return {o.id for o in gc.get_objects() if type(o) is TrainingJob}


def wait_new_jobs_done(before: set, prefix: str, n: int, timeout: float = 90) -> dict:
    """The ``n`` runs named ``prefix``... started since ``before`` (``training_job_ids()``), by name,
    once all are done and their threads have ended (waits on their state; fails after ``timeout`` s)."""
    import time

    from explorer.jobs.training_job import TrainingJob
    end, jobs = time.time() + timeout, {}
    while time.time() < end:
        jobs = {o.name: o for o in gc.get_objects()
                if type(o) is TrainingJob and o.name.startswith(prefix) and o.id not in before}
        if len(jobs) == n and all(j.snapshot().status == "done" and not j.alive for j in jobs.values()):
            return jobs
        time.sleep(0.2)
    raise AssertionError(f"{len(jobs)} of {n} runs started; not all done in {timeout} s: "
                         f"{ {k: j.snapshot().status for k, j in jobs.items()} }")
