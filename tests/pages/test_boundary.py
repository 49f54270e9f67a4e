"""The pages' edge: an unexpected error shows a short message with an error id (no exception box,
no trace), the trace goes to the server log under the id; Streamlit's control flow passes through."""
import logging
import re

import pytest
from streamlit.errors import FragmentHandledException
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from explorer.app import boundary, nav
from tests.pages.conftest import open_page


def test_a_page_that_raises_shows_a_message_and_an_id(monkeypatch, caplog):
    def broken(*a, **k):
        raise RuntimeError("boom at /srv/secret/path.py")
    monkeypatch.setattr(nav, "page_blurb", broken)  # the home page calls it
    with caplog.at_level(logging.ERROR, logger=boundary.LOGGER):
        at = open_page("pages/home.py")
    assert not at.exception
    msgs = [e.value for e in at.error]
    assert len(msgs) == 1 and "secret" not in msgs[0] and "RuntimeError" not in msgs[0]
    eid = re.search(r"error id ([0-9a-f]{8})", msgs[0]).group(1)
    logged = [r for r in caplog.records if r.name == boundary.LOGGER and eid in r.getMessage()]
    assert logged and logged[0].exc_info[0] is RuntimeError
    assert "boom at /srv/secret/path.py" in caplog.text and "Traceback" in caplog.text
    assert at.sidebar  # the rest of the app (navigation, sidebar) still drew


def test_the_message_is_in_the_readers_language(monkeypatch):
    monkeypatch.setattr(nav, "page_blurb", lambda *a, **k: 1 / 0)
    at = open_page("pages/home.py")
    at.session_state["lang"] = "ko"
    at.run()
    assert not at.exception and "오류 번호" in at.error[0].value


@pytest.mark.parametrize("exc", [StopException(), RerunException(None), FragmentHandledException()])
def test_streamlit_control_flow_passes_through(exc):
    assert boundary.is_control_flow(exc)

    def run():
        raise exc
    with pytest.raises(type(exc)):
        boundary.guarded(run, "test")


def test_ordinary_errors_are_not_control_flow():
    assert not boundary.is_control_flow(ValueError("x")) and not boundary.is_control_flow(MemoryError())
