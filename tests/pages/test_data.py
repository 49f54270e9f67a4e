"""Data page (AppTest, with its file_uploader): upload, preview, prepare, bad input, train in the
Training lab, held-out evaluation, and model / settings export and import."""
import gc

import numpy as np
import pandas as pd
import pytest
import torch

from core.datasets import dataset_task, load_dataset
from explorer.views import data as V
from explorer.views import data_held_out as HO
from explorer.jobs import run_files as RF
from explorer.app import state
from explorer.jobs.training_job import TrainingJob
from tests.pages.conftest import chart_specs, open_page, plot_array, press

PAGE = "pages/data.py"
RNG = np.random.default_rng(0)


def series_csv(T=300) -> bytes:
    df = pd.DataFrame({"date": pd.date_range("2021-01-01", periods=T), "temp": np.round(np.sin(np.arange(T) / 7), 4),
                       "rain": np.round(np.cos(np.arange(T) / 5), 4)})
    return df.to_csv(index=False).encode()


def ucr(n, seed) -> bytes:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3 + 1
    X = np.sin(np.linspace(0, 6, 40)[None] * y[:, None]) + rng.normal(0, 0.2, (n, 40))
    return "\n".join("\t".join([str(c)] + [f"{v:.4f}" for v in r]) for c, r in zip(y, X)).encode()


def upload(at, key, name, data):
    at.file_uploader(key=key).set_value((name, data, "application/octet-stream"))
    return at.run()


def jobs(task_name):
    return [o for o in gc.get_objects() if type(o) is TrainingJob and o.trainer.task.name == task_name]


def live_job(task_name):
    """The one job on ``task_name`` that is not stopped: this test's lab run. Jobs of earlier tests
    (stopped after them, possibly on the same upload) and replaced ones are set aside, whatever
    order the garbage collector lists them in."""
    live = [j for j in jobs(task_name) if not j._stop.is_set()]
    assert len(live) == 1, f"expected one live job on {task_name}, found {len(live)}"
    return live[0]


def errors(at):
    return [e.value for e in at.error]


def test_series_upload_preview_and_window():
    at = open_page(PAGE)
    assert not at.exception and not chart_specs(at)
    upload(at, state.DATA_FILE, "weather.csv", series_csv())
    assert not at.exception and not errors(at)
    entry = at.session_state[state.DATASETS]["weather"]
    ds = entry["dataset"]
    assert ds.kind == "series" and ds.channels == ["temp", "rain"]
    md = " ".join(m.value for m in at.markdown)
    assert "**Sequences:** 1" in md and "**Length:** 300" in md and "used column 1 ('date') as the time axis" in md
    spec = chart_specs(at)[0]
    assert [t["name"] for t in spec["data"]] == ["temp", "rain"]
    np.testing.assert_allclose(plot_array(spec["data"][0]["y"]), ds.sequences[0][:, 0], atol=1e-6)
    rects = [s for s in spec["layout"]["shapes"] if s["type"] == "rect"]
    assert rects[0]["x1"].startswith("2021-02-19")  # day 49: the last step of the 50-step window
    # the counts shown are the engine's
    ref = dataset_task(ds, window=50, val_fraction=0.2)
    assert f"**Training steps:** {ref.params['split']:,} (windows: {ref.params['n_train_windows']:,})" in md
    at.number_input(key=state.DATA_WINDOW).set_value(20)
    at.run()
    assert entry["options"]["window"] == 20
    rect = [s for s in chart_specs(at)[0]["layout"]["shapes"] if s["type"] == "rect"][0]
    assert rect["x1"].startswith("2021-01-20")
    md = " ".join(m.value for m in at.markdown)
    assert f"windows: {dataset_task(ds, window=20).params['n_train_windows']:,}" in md
    # a window too long for the data: a message, the page stays usable
    at.number_input(key=state.DATA_WINDOW).set_value(900)
    at.run()
    assert not at.exception and any("window of at most" in e for e in errors(at))


def test_bad_upload_keeps_previous_dataset():
    at = open_page(PAGE)
    upload(at, state.DATA_FILE, "weather.csv", series_csv())
    upload(at, state.DATA_FILE, "broken.csv", b"a,b\n1,2\n3,x\n4,5\n")
    assert not at.exception
    assert any("broken.csv: row 3, column 2 ('b'): 'x' is not a number" in e for e in errors(at))
    assert list(at.session_state[state.DATASETS]) == ["weather"]
    assert at.session_state[state.DATA_CURRENT] == "weather" and chart_specs(at)
    upload(at, state.DATA_FILE, "bin.npz", b"PK\x03\x04garbage")
    assert not at.exception and any("not a valid NPZ" in e for e in errors(at))


def test_parsing_options_override_detection():
    at = open_page(PAGE)
    data = ("x;y\n" + "".join(f"{i};{i % 7}\n" for i in range(80))).encode()
    at.selectbox(key=state.DATA_DELIM).select(",")
    at.run()
    upload(at, state.DATA_FILE, "semi.csv", data)
    assert any("single column" in e for e in errors(at))
    at.selectbox(key=state.DATA_DELIM).select(";")
    at.run()
    assert not errors(at) and at.session_state[state.DATASETS]["semi"]["dataset"].channels == ["x", "y"]


def test_ucr_train_and_test_files_then_held_out_accuracy():
    at = open_page(PAGE)
    upload(at, state.DATA_FILE, "Wave_TRAIN.tsv", ucr(60, 0))
    upload(at, state.DATA_TEST_FILE, "Wave_TEST.tsv", ucr(30, 1))
    assert not at.exception and not errors(at)
    entry = at.session_state[state.DATASETS]["Wave_TRAIN"]
    assert entry["test"].name == "Wave_TEST" and entry["options"]["test"] is entry["test"]
    bars = [s for s in chart_specs(at) if s["data"][0]["type"] == "bar"][0]
    assert [list(plot_array(t["y"])) for t in bars["data"]] == [[20, 20, 20], [10, 10, 10]]
    md = " ".join(m.value for m in at.markdown)
    # the test file is called the test: the validation split (20%) is still carved from the training file
    assert "**Training sequences:** 48" in md and "**Validation sequences:** 12 (stratified, 20% of each class)" in md
    assert "**Test:** 30 (test file 'Wave_TEST'; scored only, never used to choose the best step)" in md
    assert "Validation sequences:** 30" not in md
    # train on it in the Training lab (the button switches page and selects the task)
    press(at, state.DATA_BTN_USE)
    assert not at.exception and at.session_state[state.LAB_TASK] == "upload:Wave_TRAIN"
    at.switch_page("pages/training_lab.py").run()
    at.number_input(key=state.LAB_STEPS).set_value(10)
    at.run()
    press(at, state.LAB_BTN_STEP)
    assert not at.exception
    job = live_job("upload:Wave_TRAIN")
    assert job.trainer.step_count == 1 and job.trainer.task.validation.x.shape[0] == 12
    assert job.trainer.task.test.x.shape[0] == 30
    at.switch_page(PAGE).run()
    press(at, state.DATA_BTN_EVAL)
    assert not at.exception
    r = at.session_state[state.DATA_EVAL]
    ref = HO.held_out(job.trainer.model, job.trainer.task, 1, "Wave_TRAIN")
    assert r.on_test and r.n == 30 and r.metric == pytest.approx(ref.metric)
    assert r.baseline_metric == pytest.approx(1 / 3)  # the majority class of a balanced training file
    labels = [m.label for m in at.metric]
    assert any("accuracy on the test file (30)" in lab for lab in labels)


def test_export_then_import_model_gives_the_same_predictions():
    at = open_page(PAGE)
    upload(at, state.DATA_FILE, "weather.csv", series_csv())
    press(at, state.DATA_BTN_USE)
    at.switch_page("pages/training_lab.py").run()
    at.select_slider(key=state.LAB_HIDDEN).set_value(8)
    at.run()
    press(at, state.LAB_BTN_STEP)
    old = live_job("upload:weather")
    old.run_sync(5)
    data = RF.model_bytes(old, RF.lab_settings(lambda k: at.session_state[k]))
    at.switch_page(PAGE).run()
    assert at.button(key=state.DATA_BTN_LOAD_MODEL).disabled
    upload(at, state.DATA_MODEL_FILE, "rnn_model.zip", b"not a model")
    press(at, state.DATA_BTN_LOAD_MODEL)
    assert not at.exception and any("Not a model this app can load" in e for e in errors(at))
    upload(at, state.DATA_MODEL_FILE, "rnn_model.zip", data)
    press(at, state.DATA_BTN_LOAD_MODEL)
    assert not at.exception and not errors(at), errors(at)
    new = live_job("upload:weather")  # loading replaced (and stopped) the old run
    assert new is not old and old._stop.is_set()
    assert new.snapshot().status == "paused" and new.trainer.step_count == 0
    x = old.trainer.task.validation.x
    old.trainer.model.eval()
    with torch.no_grad():
        torch.testing.assert_close(new.trainer.model(x), old.trainer.model(x), rtol=0, atol=0)
    assert at.session_state[state.LAB_HIDDEN] == 8 and at.session_state[state.LAB_TASK] == "upload:weather"
    assert any("paused, in the Training lab" in s.value for s in at.success)
    at.switch_page("pages/training_lab.py").run()  # the lab shows the loaded run, not a stale one
    assert not at.exception
    assert not any("Settings changed" in i.value for i in at.info)


def test_settings_download_and_upload():
    at = open_page(PAGE)
    s = RF.lab_settings(lambda k: at.session_state[k])
    changed = RF.settings_bytes(s.__class__(**{**s.__dict__, "task": "adding", "hidden": 64, "lr": 0.003}))
    upload(at, state.DATA_SETTINGS_FILE, "s.json", changed)
    press(at, state.DATA_BTN_LOAD_SETTINGS)
    assert not at.exception and not errors(at)
    assert (at.session_state[state.LAB_TASK], at.session_state[state.LAB_HIDDEN], at.session_state[state.LAB_LR]) \
        == ("adding", 64, 0.003)
    bad = RF.settings_bytes(s.__class__(**{**s.__dict__, "hidden": 48}))
    upload(at, state.DATA_SETTINGS_FILE, "s.json", bad)
    press(at, state.DATA_BTN_LOAD_SETTINGS)
    assert any("'hidden' = 48" in e for e in errors(at)) and at.session_state[state.LAB_HIDDEN] == 64
    at.switch_page("pages/training_lab.py").run()
    assert not at.exception and at.session_state[state.LAB_HIDDEN] == 64


def test_text_upload_is_a_next_character_task():
    at = open_page(PAGE)
    upload(at, state.DATA_FILE, "poem.txt", ("shall I compare thee to a summer's day? " * 10).encode())
    assert not at.exception and not errors(at)
    task = V.prepare(at.session_state[state.DATASETS]["poem"], V.PrepOptions(window=50))
    assert task.loss_kind == "cross_entropy" and task.seq_len == 50
    assert any(c.value.startswith("shall I compare") for c in at.code)
    assert load_dataset(("x" * 200).encode(), "t.txt").kind == "text"
