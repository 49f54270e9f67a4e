"""AppTest of class mode: the Follow page (unknown, malformed and ended codes in English and Korean;
a live room read-only; Take a copy) and the lecturer's share panel (code, link, QR code, End)."""
import gc
import io
import re
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from explorer.jobs import runtime
from explorer.app import share_ui, state
from explorer.jobs.run_files import lab_settings
from explorer.app.i18n import text
from explorer.app.settings import DEFAULTS
from explorer.jobs.job_board import JobBoard
from explorer.jobs.training_job import TrainingJob
from explorer.jobs.rooms import new_code, show_code
from explorer.jobs.runs import build_trainer

from .conftest import APP, press

HANGUL = re.compile(r"[\uac00-\ud7a3]")
FOLLOW = "pages/follow.py"


def _follow(room: str, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.query_params["room"] = room
    at.switch_page(FOLLOW).run()
    assert not at.exception, at.exception
    return at


def _messages(at) -> str:
    return "\n".join(m.value for m in [*at.warning, *at.info, *at.error])


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_unknown_malformed_and_ended_codes_are_told_clearly(lang):
    code = new_code()
    at = _follow(code, lang)
    msg = _messages(at)
    assert text("follow.unknown", lang, code=show_code(code)) in msg
    assert at.text_input(key=state.FOLLOW_CODE) is not None  # and a box to type another code
    if lang == "ko":
        assert HANGUL.search(msg)
    at = _follow("not-a-code!", lang)
    assert text("follow.bad_code", lang, code="not-a-code!") in _messages(at)
    # a room the lecturer ended: followers with its link are told so
    reg = runtime.rooms()
    room = reg.open("training_lab", "lecturer-tab", JobBoard())
    reg.end(room.code)
    at = _follow(room.code, lang)
    assert text("follow.ended", lang, code=show_code(room.code)) in _messages(at)


def _lecturer_job() -> tuple[JobBoard, TrainingJob]:
    s = replace(lab_settings(lambda k: DEFAULTS.get(k)), device="cpu", hidden=16, seq_len=20, kind="gru",
                probe_every=5)
    job = TrainingJob(build_trainer(s), 1000, probe_every=5, probe_min_seconds=0.0)
    board = JobBoard()
    board.put("lab", job)
    job.run_sync(12)
    return board, job


def test_a_follower_sees_the_run_read_only_and_takes_a_copy():
    board, job = _lecturer_job()
    room = runtime.rooms().open("training_lab", "lecturer-tab", board)
    room.update(("lab",))
    at = _follow(room.code.lower())  # as typed
    assert at.caption and show_code(room.code) in " ".join(c.value for c in at.caption)
    assert at.get("progress"), "no status line of the lecturer's run"
    assert "12" in at.get("progress")[0].proto.text
    charts = [n for n in at._tree if getattr(n, "type", None) == "bidi_component"
              and n.proto.component_name == "rnnx_live_charts"]
    assert charts, "no live charts of the lecturer's run"
    # read-only: the only button acting on the run is Take a copy (no train, pause or reset)
    keys = {b.key for b in at.button}
    assert state.FOLLOW_BTN_COPY in keys
    assert not any(k and k.startswith(("lab.btn", "compare.", "dynamics.")) for k in keys), keys
    press(at, state.FOLLOW_BTN_COPY)
    assert not at.exception, at.exception
    assert at.session_state[state.LAB_KIND] == "gru" and at.session_state[state.LAB_HIDDEN] == 16
    copies = [o for o in gc.get_objects() if type(o) is TrainingJob and o is not job
              and o.trainer.model.config.hidden_size == 16 and o.trainer.step_count == 0]
    theirs = job.trainer.model.state_dict()
    same = [c for c in copies if all(torch.equal(theirs[k], c.trainer.model.state_dict()[k]) for k in theirs)]
    assert same, "no run with the lecturer's parameters in the follower's session"
    assert job.trainer.step_count == 12 and room.followers() == 1


def test_qr_code_is_large_and_encodes_the_link():
    link = share_ui.follow_link("http://10.0.0.5:8501", "ABCD1234", {"lab.hidden": 64})
    assert link == "http://10.0.0.5:8501/follow?room=ABCD1234&lab.hidden=64"
    png, side = share_ui.qr_png(link)
    img = Image.open(io.BytesIO(png)).convert("L")
    assert img.size == (side, side) and side >= 360
    # read the modules back from the picture: they are segno's encoding of the link, module for module
    import segno
    matrix = np.array([[bool(v) for v in row] for row in segno.make(link, error="m").matrix])
    n = matrix.shape[0]
    scale = side // (n + 2 * share_ui.QR_BORDER)
    px = np.asarray(img)
    centres = (np.arange(n) + share_ui.QR_BORDER) * scale + scale // 2
    dark = px[np.ix_(centres, centres)] < 128
    assert np.array_equal(dark, matrix)
    assert (px[: share_ui.QR_BORDER * scale] > 128).all()  # the quiet zone is blank


def test_share_panel_shows_code_link_and_qr_and_ends_the_room():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/training_lab.py").run()
    assert not at.exception, at.exception
    press(at, state.SHARE_BTN_OPEN)
    assert not at.exception, at.exception
    token = at.session_state[state.TAB_TOKEN]
    room = runtime.rooms().of(token, "training_lab")
    assert room is not None
    assert any(show_code(room.code) in m.value for m in at.markdown)
    links = [c.value for c in at.code if f"/follow?room={room.code}" in c.value]
    assert links, [c.value for c in at.code]
    images = at.get("image")
    assert len(images) == 1, "no QR code image"
    assert images[0].proto.imgs[0].url.endswith(".png")  # lossless (Streamlit's default would be a JPEG)
    press(at, state.SHARE_BTN_END)
    assert not at.exception, at.exception
    assert room.ended and runtime.rooms().get(room.code) is None
    assert at.button(key=state.SHARE_BTN_OPEN) is not None  # the button is back: a new room can be opened
