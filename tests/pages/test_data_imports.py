"""The Data page's import boxes with crafted files (AppTest): a short message, the lab untouched."""
import io
import zipfile

from explorer.app import state
from tests.pages.conftest import open_page, press

PAGE = "pages/data.py"


def _many_entries(n=70_000) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(n):
            z.writestr(f"{i:x}", b"")
    return buf.getvalue()


def test_a_zip_of_many_entries_gets_a_short_message_and_changes_nothing():
    at = open_page(PAGE)
    before = {k: at.session_state[k] for k in (state.LAB_TASK, state.LAB_HIDDEN, state.LAB_SEQ_LEN)}
    at.file_uploader(key=state.DATA_MODEL_FILE).set_value(("many.zip", _many_entries(), "application/zip"))
    at.run()
    press(at, state.DATA_BTN_LOAD_MODEL)
    assert not at.exception
    errs = [e.value for e in at.error]
    assert len(errs) == 1 and "the zip holds 65,535 entries" in errs[0] and len(errs[0]) < 300
    assert {k: at.session_state[k] for k in before} == before


def test_deeply_nested_settings_get_a_message_in_korean():
    at = open_page(PAGE)
    at.session_state[state.LANG] = "ko"
    at.run()
    deep = b'{"format": "rnn-explorer-settings", "settings": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    at.file_uploader(key=state.DATA_SETTINGS_FILE).set_value(("deep.json", deep, "application/json"))
    at.run()
    press(at, state.DATA_BTN_LOAD_SETTINGS)
    assert not at.exception
    errs = [e.value for e in at.error]
    assert len(errs) == 1 and "50,001단계로 중첩" in errs[0]
