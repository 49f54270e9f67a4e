"""Model and settings imports on the Data page's path: refused files change nothing (the Training
lab keeps its run and settings), and every refusal reads in English and Korean."""
import io
import json
import zipfile

import pytest

from core.export import CONFIG_FILE, WEIGHTS_FILE, export_model
from explorer.jobs import run_files as RF
from explorer.views.data_text import message_text
from explorer.jobs.job_board import JobBoard
from explorer.jobs.runs import HIDDEN_CHOICES, SEQ_LEN_RANGE, RunSettings, build_trainer, import_limits

CURRENT = RunSettings("sine", 50, "lstm", 32, 1, "tanh", False, 0.01, 32, "adam", 1.0, 0, 1000, 100, "cpu")


def _export(s: RunSettings) -> bytes:
    tr = build_trainer(s)
    return export_model(tr.model, tr.task, {f: getattr(s, f) for f in s.__dataclass_fields__})


def _edit(data: bytes, model=None, settings=None) -> bytes:
    """``data`` (an export zip) with its config's model fields and recorded settings changed."""
    z = zipfile.ZipFile(io.BytesIO(data))
    cfg = json.loads(z.read(CONFIG_FILE))
    cfg["model"].update(model or {})
    cfg["settings"].update(settings or {})
    text = json.dumps(cfg)  # inf is written as Infinity, which json reads back as inf
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        out.writestr(WEIGHTS_FILE, z.read(WEIGHTS_FILE))
        out.writestr(CONFIG_FILE, text)
    return buf.getvalue()


REVERSAL = RunSettings("reversal", 8, "gru", 8, 1, "tanh", False, 0.01, 8, "adam", 1.0, 0, 100, 10, "cpu")


@pytest.fixture(scope="module")
def reversal_zip():
    return _export(REVERSAL)


def _refused(data: bytes, fragment: str, ko_fragment: str | None = None):
    board = JobBoard()
    board.put("lab", sentinel := object.__new__(type("Job", (), {"stop": lambda self: None})))
    updates, msg = RF.import_model_upload(data, {}, CURRENT, board)
    assert updates == {} and msg[0] == "error"
    assert board.get("lab") is sentinel  # the lab's run is left as it was
    en, ko = message_text(msg, "en"), message_text(msg, "ko")
    assert fragment in en, en
    assert en != ko and len(en) < 700
    if ko_fragment:
        assert ko_fragment in ko, ko
    return en


def test_a_good_import_replaces_the_run(reversal_zip):
    board = JobBoard()
    updates, msg = RF.import_model_upload(reversal_zip, {}, CURRENT, board)
    assert msg[0] == "success" and board.get("lab") is not None
    assert board.get("lab").trainer.model.config.out_steps == 8
    board.remove("lab")


def test_out_steps_beyond_the_lab_and_out_steps_that_do_not_fit_the_task(reversal_zip):
    _refused(_edit(reversal_zip, model={"out_steps": 100_000}),
             f"out_steps = 100000; it must be an integer from 1 to {SEQ_LEN_RANGE[1]:,}", "1부터 1,000까지의 정수")
    _refused(_edit(reversal_zip, model={"out_steps": 500}), "the model emits 500 output steps, but the task "
             "'reversal' needs 8", "출력 500단계")


def test_limits_are_the_widgets_own():
    lim = import_limits()
    assert (lim.max_hidden, lim.max_steps) == (max(HIDDEN_CHOICES), SEQ_LEN_RANGE[1])


def test_wrong_types_in_recorded_settings_are_messages(reversal_zip):
    _refused(_edit(reversal_zip, settings={"lr": "fast"}), "setting 'lr' = 'fast' is not a valid float",
             "올바른 float 값이 아닙니다")
    _refused(_edit(reversal_zip, settings={"steps": 10**400}), "setting 'steps' =")
    _refused(_edit(reversal_zip, settings={"probe_every": float("inf")}), "setting 'probe_every' = inf")
    _refused(_edit(reversal_zip, settings={"seq_len": [8]}), "setting 'seq_len' = [8]")
    _refused(_edit(reversal_zip, settings={"seq_len": 100_000}), "setting 'seq_len' = 100000 is not one the "
             "Training lab offers: 2 to 1,000")
    _refused(_edit(reversal_zip, settings={"batch_size": 3}), "setting 'batch_size' = 3 is not one the Training lab")


def test_a_model_over_the_servers_budget_is_refused(reversal_zip, monkeypatch):
    monkeypatch.setenv("RNNX_JOB_MB", "0.01")
    _refused(reversal_zip, "needs ~", "")


def test_hidden_size_over_the_lab_is_refused_before_building(reversal_zip):
    _refused(_edit(reversal_zip, model={"hidden_size": 4096, "num_layers": 3, "bidirectional": True}),
             "hidden_size = 4096; it must be an integer from 1 to 512")


@pytest.mark.parametrize("body,fragment", [
    (b'{"format": "rnn-explorer-settings", "settings": ' + b"[" * 3000 + b"]" * 3000 + b"}",
     "the settings file nests 3,001 levels deep"),
    (json.dumps({"format": "rnn-explorer-settings", "settings": dict(
        {f: getattr(CURRENT, f) for f in CURRENT.__dataclass_fields__}, hidden="64")}).encode(),
     "setting 'hidden' = '64' is not a valid int"),
    (json.dumps({"format": "rnn-explorer-settings", "settings": dict(
        {f: getattr(CURRENT, f) for f in CURRENT.__dataclass_fields__}, seed=10**40)}).encode(),
     "setting 'seed' ="),
])
def test_bad_settings_files_change_nothing(body, fragment):
    updates, msg = RF.import_settings_upload(body, {}, "cpu")
    assert updates == {} and msg[0] == "error"
    en = message_text(msg, "en")
    assert fragment in en and message_text(msg, "ko") != en
