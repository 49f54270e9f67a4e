"""Baselines, suggested settings and the best step for an uploaded dataset (AppTest): the Data
page's baselines block (values checked against a 1-NN computed here with numpy), "Use suggested
settings" on the Data page and in the Training lab (settings set, reasons in English and Korean),
the baselines drawn on the lab's metric curve and listed in its results, and the best checkpoint."""
import gc

import numpy as np
import pytest

from core.suggest import data_shape, suggest_settings
from explorer.app import state
from explorer.jobs.training_job import TrainingJob
from tests.i18n_check import has_hangul
from tests.pages.conftest import keyed_chart_specs, open_page, plot_array, press
from tests.pages.test_data import upload
from tests.pages.test_i18n_pages import open_in

DATA, LAB = "pages/data.py", "pages/training_lab.py"


def waves(labels, length, seed):
    """(N, length) noisy sines (class "sine") and square waves (class "square")."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 4 * np.pi, length)
    rows = []
    for lab in labels:
        phase = rng.uniform(0, 2 * np.pi)
        clean = np.sin(t + phase) if lab == "sine" else np.sign(np.sin(t + phase))
        rows.append(clean + rng.normal(0, 0.6, length))
    return np.array(rows)


def wide_csv(labels, X) -> bytes:
    """One sequence per row, the label first (the UCR layout)."""
    return "\n".join(",".join([lab] + [f"{v:.5f}" for v in row]) for lab, row in zip(labels, X)).encode()


TRAIN_Y = ["sine"] * 14 + ["square"] * 10  # unbalanced: the constant baseline predicts "sine"
TEST_Y = ["sine"] * 4 + ["square"] * 8


def expected_baselines(train_X, test_X):
    """Constant and 1-NN Euclidean accuracy on the test rows, computed independently."""
    d = ((test_X[:, None, :] - train_X[None, :, :]) ** 2).sum(-1)
    nn = np.asarray(TRAIN_Y)[d.argmin(1)]
    return np.mean(np.asarray(TEST_Y) == "sine"), np.mean(nn == np.asarray(TEST_Y))


def upload_pair(at, length=40):
    train_X, test_X = waves(TRAIN_Y, length, 0), waves(TEST_Y, length, 1)
    upload(at, state.DATA_FILE, "Waves_TRAIN.csv", wide_csv(TRAIN_Y, train_X))
    upload(at, state.DATA_TEST_FILE, "Waves_TEST.csv", wide_csv(TEST_Y, test_X))
    assert not at.exception and not at.error, [e.value for e in at.error]
    return train_X, test_X


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_data_page_lists_baselines_on_the_test_file():
    at = open_page(DATA)
    train_X, test_X = upload_pair(at)
    const, nn = expected_baselines(train_X, test_X)
    assert 0 < const < nn <= 1  # a meaningful check: 1-NN beats the majority class here
    md = markdown(at)
    assert "On the test file: 12 sequences." in md
    assert f"**constant:** accuracy {const:.1%}" in md
    assert f"**1-NN-ED (nearest neighbour):** accuracy {nn:.1%}" in md
    # cached on the dataset's entry: a rerun with the same options computes nothing new
    entry = at.session_state[state.DATASETS]["Waves_TRAIN"]
    cached = dict(entry["_baselines"])
    at.run()
    assert entry["_baselines"].keys() == cached.keys()
    assert all(entry["_baselines"][k] is v for k, v in cached.items())  # the same objects: not recomputed
    # changing the split seed does not change the test file's baselines but is a new preparation
    at.number_input(key=state.DATA_SEED).set_value(3).run()
    assert f"accuracy {nn:.1%}" in markdown(at)


def test_data_page_baselines_on_the_validation_split_without_a_test_file():
    at = open_page(DATA)
    X = waves(TRAIN_Y, 30, 0)
    upload(at, state.DATA_FILE, "Waves_TRAIN.csv", wide_csv(TRAIN_Y, X))
    md = markdown(at)
    n_val = at.session_state[state.DATASETS]["Waves_TRAIN"]["_task"].params["n_val"]
    assert f"On the validation split: {n_val} sequences" in md and "1-NN-ED" in md


def test_suggested_settings_from_the_data_page_set_the_lab_and_explain_why():
    at = open_page(DATA)
    train_X, _ = upload_pair(at, length=200)  # longer than the suggestion lets an RNN run: pooled
    ds = at.session_state[state.DATASETS]["Waves_TRAIN"]["dataset"]
    s = suggest_settings(data_shape(ds), 60.0)
    k = -(-200 // s.max_steps)  # the pooling factor: ceil(200 / max_steps)
    assert s.max_steps < 200 and s.pool == k > 1
    T = -(-200 // k)  # steps left after pooling
    press(at, state.DATA_BTN_SUGGEST)
    assert not at.exception
    ss = at.session_state
    assert ss[state.DATA_MAX_STEPS] == s.max_steps and at.number_input(key=state.DATA_MAX_STEPS).value == s.max_steps
    assert ss[state.DATA_STD] is True and ss[state.LAB_TASK] == "upload:Waves_TRAIN"
    assert (ss[state.LAB_KIND], ss[state.LAB_HIDDEN], ss[state.LAB_BIDIR], ss[state.LAB_LR]) == (
        "gru", s.hidden_size, True, s.lr)
    assert ss[state.LAB_CLIP] == 1.0
    # the batch snapped to the lab's choices, and the reason quotes the value the lab shows
    applied = ss[state.SUGGESTED][1]
    assert ss[state.LAB_BATCH] == applied.batch_size == s.batch_size == 4  # 19 training sequences // 4
    # the steps sized at the rate measured on this machine, within the lab's limit
    assert applied.reasons["steps"].key == "steps_measured"
    assert ss[state.LAB_STEPS] == min(applied.steps, 200_000) >= 100
    # the preparation follows: sequences pooled by k to T steps, and the page says so
    task = ss[state.DATASETS]["Waves_TRAIN"]["_task"]
    assert task.params["pool"] == k and task.seq_len == T
    md = markdown(at)
    assert f"**Pooling:** blocks of {k} steps averaged: at most {T} steps" in md
    assert f"averaging blocks of {k} steps leaves {T}" in md and "A GRU: gated" in md
    assert "Batches of 4 from 19 training sequences" in md and "at the measured" in md
    # with a test file too, a validation split is carved from the training file to choose the best step
    assert "held out to choose the best checkpoint; a test file, when given, is scored but never used to choose" in md
    # the reasons in Korean after a language switch
    at.query_params["lang"] = "ko"
    at.session_state[state.LANG] = "ko"
    at.run()
    ko = markdown(at)
    assert f"{k}단계씩 평균을 내면 {T}단계가 남아" in ko and "GRU: 게이트가 있어" in ko
    assert "A GRU: gated" not in ko


def lab_jobs():
    return [o for o in gc.get_objects() if type(o) is TrainingJob and not o._stop.is_set()]


def test_training_lab_suggests_draws_baselines_and_the_best_step():
    at = open_page(DATA)
    train_X, test_X = upload_pair(at)
    const, nn = expected_baselines(train_X, test_X)
    press(at, state.DATA_BTN_USE)
    at.switch_page(LAB).run()
    assert not at.exception
    # defaults first (LSTM, H=32); the lab's own button applies the suggestion
    assert at.session_state[state.LAB_KIND] == "lstm"
    press(at, state.LAB_BTN_SUGGEST)
    assert not at.exception
    assert at.radio(key=state.LAB_KIND).value == "gru" and at.session_state[state.LAB_BIDIR] is True
    assert "Bidirectional: for a whole sequence" in markdown(at)
    at.number_input(key=state.LAB_STEPS).set_value(10).run()
    at.number_input(key=state.LAB_PROBE).set_value(2).run()
    press(at, state.LAB_BTN_STEP)
    (job,) = lab_jobs()
    assert job.trainer.model.config.kind == "gru" and job.trainer.model.config.bidirectional
    job.run_sync(5)  # probes (after step once, then as the cadence allows, and at the end) track the best
    at.run()
    assert not at.exception
    snap = job.snapshot()
    assert len(snap.val_steps) >= 2 and snap.best_step in snap.val_steps.tolist()
    assert snap.best_metric == pytest.approx(max(snap.val_metric))
    specs = dict(keyed_chart_specs(at))
    metric = next(v for k, v in specs.items() if k.endswith("lab.chart.metric"))
    lines = {d["name"]: plot_array(d["y"])[0] for d in metric["data"] if d.get("line", {}).get("dash")}
    assert lines["constant"] == pytest.approx(const) and lines["1-NN-ED (nearest neighbour)"] == pytest.approx(nn)
    curves = {d["name"]: d for d in metric["data"]}  # the test file's curve beside the validation split's
    assert {"validation accuracy", "test accuracy"} <= set(curves)
    assert np.allclose(plot_array(curves["test accuracy"]["y"]), snap.test_metric)
    assert np.allclose(plot_array(curves["validation accuracy"]["y"]), snap.val_metric)
    texts = [a["text"] for a in metric["layout"]["annotations"]]
    assert f"1-NN-ED (nearest neighbour): {nn:.1%}" in texts and f"best: step {snap.best_step}" in texts
    (shape,) = [s for s in metric["layout"]["shapes"] if s.get("name") == "best_step"]
    assert shape["x0"] == snap.best_step
    md = markdown(at)
    i = snap.val_steps.tolist().index(snap.best_step)
    # chosen on the validation split, scored on the test file: both numbers at the best step, and the last step's test
    assert snap.has_test and snap.best_test_metric == snap.test_metric[i]
    assert (f"Best step: **{snap.best_step}**, chosen on the validation split (accuracy {snap.val_metric[i]:.1%}); "
            f"test accuracy at it: **{snap.test_metric[i]:.1%}**") in md
    assert f"Last step {int(snap.val_steps[-1])}: test accuracy **{snap.test_metric[-1]:.1%}**" in md
    assert f"1-NN-ED (nearest neighbour) baseline on the test file: accuracy {nn:.1%}" in md
    assert f"constant baseline on the test file: accuracy {const:.1%}" in md
    assert "optimistic" not in md and not any("optimistic" in c.value for c in at.caption)
    # the test column is the model on the test file itself (12 sequences), not the validation split
    tr = job.trainer
    assert tr.task.test.x.shape[0] == 12 and tr.task.validation.x.shape[0] == tr.task.params["n_val"] < 12
    # the Data page's held-out evaluation and download use the best checkpoint, and say so
    at.switch_page(DATA).run()
    press(at, state.DATA_BTN_EVAL)
    r = at.session_state[state.DATA_EVAL]
    assert r.best and r.step == snap.best_step and r.on_test and r.n == 12
    assert r.metric == pytest.approx(snap.test_metric[i])  # the best checkpoint, on the test file
    captions = " ".join(c.value for c in at.caption)
    assert "best checkpoint" in captions and f"step {snap.best_step}" in captions


def test_training_lab_results_in_korean():
    at = open_in(DATA, "ko")
    upload_pair(at)
    press(at, state.DATA_BTN_USE)
    at.switch_page(LAB).run()
    press(at, state.LAB_BTN_SUGGEST)
    assert any(has_hangul(m.value) and "GRU" in m.value for m in at.markdown)
    at.number_input(key=state.LAB_PROBE).set_value(1).run()
    press(at, state.LAB_BTN_STEP)
    at.run()
    md = markdown(at)
    assert "테스트 파일에서 1-NN-ED (최근접 이웃) 기준선: 정확도" in md and "홀드아웃 데이터에서의 결과" in md
    (job,) = lab_jobs()
    snap = job.snapshot()
    assert snap.has_test and snap.best_step is not None
    assert (f"최적 단계: **{snap.best_step}**, 검증 분할로 고름 (정확도 {snap.best_metric:.1%}); "
            f"그 단계의 테스트 정확도: **{snap.best_test_metric:.1%}**") in md
    assert f"마지막 단계 {int(snap.val_steps[-1])}: 테스트 정확도 **{snap.test_metric[-1]:.1%}**" in md
    assert "Best step" not in md and "Last step" not in md


def test_a_batch_between_the_labs_choices_is_snapped_and_its_reason_follows():
    from explorer.views import data_suggest as SV
    from core.datasets import load_dataset
    y = ["sine"] * 16 + ["square"] * 14  # 24 training sequences after the split: batch 6
    ds = load_dataset(wide_csv(y, waves(y, 30, 0)), "W.csv")
    s = SV.suggestion_for({"dataset": ds, "test": None})
    assert suggest_settings(data_shape(ds)).batch_size == 6
    assert s.batch_size == 8 and s.reasons["batch_size"].params["batch"] == 8
    assert s.reasons["steps"].key == "steps_measured" and s.steps >= 100


def test_series_baselines_on_the_data_page_and_on_the_labs_loss_chart():
    from core.baselines import dataset_baselines
    from tests.pages.test_data import series_csv
    at = open_page(DATA)
    upload(at, state.DATA_FILE, "weather.csv", series_csv())
    entry = at.session_state[state.DATASETS]["weather"]
    opts = {k: v for k, v in entry["options"].items() if k != "test"}
    ref = dataset_baselines(entry["dataset"], None, **opts)
    assert set(ref.values) >= {"constant", "persistence"}
    md = markdown(at)
    assert f"On the validation part of the series: {ref.n_held_out:,} target values" in md
    for name, label in (("constant", "constant"), ("persistence", "persistence"), ("seasonal_naive", "seasonal naive")):
        if name in ref.values:
            assert f"**{label}:** mse {ref.values[name]:.4g}" in md
    press(at, state.DATA_BTN_USE)
    at.switch_page(LAB).run()
    press(at, state.LAB_BTN_STEP)
    at.run()
    assert not at.exception
    loss = next(v for k, v in keyed_chart_specs(at) if k.endswith("lab.chart.loss"))
    names = {d["name"] for d in loss["data"] if d.get("line", {}).get("dash")}
    assert "persistence" in names and "trivial baseline (best constant)" not in names  # the series' own constant
    assert any(line.startswith("- persistence baseline: mse") for line in markdown(at).split("\n"))
