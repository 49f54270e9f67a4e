"""``python -m core.train --data``: trains on a file as the app does and ends with one JSON line."""
import json

import numpy as np
import pytest

from core.datasets import dataset_task, load_dataset
from core.train import main
from core.train_data import holdout_tasks

RNG = np.random.default_rng(7)


def _wide(path, n, T=30, seed=0):
    """UCR layout: label, then T values; class 'up' rises, 'down' falls (plus noise)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        up = i % 2 == 0
        v = np.linspace(-1, 1, T) * (1 if up else -1) + 0.3 * rng.normal(size=T)
        rows.append(("up" if up else "down") + "," + ",".join(f"{x:.4f}" for x in v))
    path.write_text("\n".join(rows) + "\n")
    return path


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_data_with_a_test_file_prints_one_json_line_last(tmp_path, capsys):
    train, test = _wide(tmp_path / "tr.csv", 40), _wide(tmp_path / "te.csv", 20, seed=1)
    assert main(["--data", str(train), "--test", str(test), "--settings", "suggested", "--budget-s", "1",
                 "--json"]) == 0
    r = _last_json(capsys.readouterr().out)
    assert r["metric"] == "accuracy" and r["held_out"] == "test"
    assert 0 <= r["test_metric"] <= 1 and r["test_metric"] >= 0.9  # an easy task
    assert r["baselines"]["constant"] == 0.5 and r["baselines"]["1nn_euclidean"] >= 0.9
    assert r["best_step"] is not None and 0 <= r["best_step"] <= r["steps"]
    s = r["settings"]
    assert s["cell"] == "gru" and s["bidirectional"] is True and s["reasons"]["cell"]["key"] == "cell_classify"
    assert r["seconds"] > 0 and r["cpu_seconds"] >= 0.9  # the budget is CPU seconds
    assert r["dataset"]["n_sequences"] == 40 and r["dataset"]["test"] == "te"


def test_lab_settings_and_overrides_without_a_test_file(tmp_path, capsys):
    train = _wide(tmp_path / "tr.csv", 30)
    assert main(["--data", str(train), "--settings", "lab", "--steps", "30", "--hidden", "8", "--json"]) == 0
    r = _last_json(capsys.readouterr().out)
    assert r["held_out"] == "validation" and r["steps"] == 30
    assert r["settings"]["cell"] == "lstm" and r["settings"]["hidden_size"] == 8  # lab default, then the flag
    # the validation split (6 of 30) scores the model and the baselines alike
    assert r["test_metric"] * 6 == pytest.approx(round(r["test_metric"] * 6))
    assert r["baselines"]["constant"] == 0.5


def test_a_series_file_reports_mse_and_naive_forecasts(tmp_path, capsys):
    t = np.arange(300)
    v = np.sin(2 * np.pi * t / 12) + 0.1 * RNG.normal(size=300)
    path = tmp_path / "s.csv"
    path.write_text("v\n" + "\n".join(f"{x:.4f}" for x in v) + "\n")
    assert main(["--data", str(path), "--steps", "20", "--json"]) == 0
    r = _last_json(capsys.readouterr().out)
    assert r["metric"] == "mse" and r["test_metric"] >= 0
    assert list(r["baselines"]) == ["constant", "persistence", "seasonal_naive"]


@pytest.mark.parametrize("which", ["--data", "--test"])
def test_a_bad_file_exits_2_with_the_reason_on_stderr(tmp_path, capsys, which):
    good, bad = _wide(tmp_path / "tr.csv", 20), tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01binary")
    argv = ["--data", str(bad)] if which == "--data" else ["--data", str(good), "--test", str(bad)]
    assert main(argv + ["--steps", "2", "--json"]) == 2
    err = capsys.readouterr().err
    assert "bad.csv is a binary file" in err and "Traceback" not in err


def test_test_data_with_unknown_classes_exit_2(tmp_path, capsys):
    train = _wide(tmp_path / "tr.csv", 20)
    test = tmp_path / "te.csv"
    test.write_text("".join(f"{c}," + ",".join([f"0.{i}"] * 30) + "\n"
                            for i, c in enumerate(["sideways", "up", "down"] * 3)))
    assert main(["--data", str(train), "--test", str(test), "--steps", "2"]) == 2
    assert "class 'sideways' of the test data" in capsys.readouterr().err


def test_holdout_tasks_prepare_the_test_like_the_validation(tmp_path):
    ds = load_dataset(_wide(tmp_path / "tr.csv", 40, T=200))
    test = load_dataset(_wide(tmp_path / "te.csv", 10, T=200, seed=3))
    task, batch = holdout_tasks(ds, test, val_fraction=0.25, seed=2, max_steps=64)
    assert task.validation.x.shape[0] == 10  # 25% of 40, carved from the training file
    assert batch.x.shape == (10, 50, 1)  # pooled by ceil(200 / 64) = 4, like the training data
    # standardised with the TRAINING part's statistics: the same numbers as the task would give
    p = task.params
    raw = test.sequences[0].reshape(50, 4).mean(1)
    assert np.allclose(batch.x[0, :, 0].numpy(), (raw - p["mean"][0]) / p["std"][0], atol=1e-5)
    assert holdout_tasks(ds, None, val_fraction=0.25)[1] is None
    assert dataset_task(ds, val_fraction=0.25, seed=2, max_steps=64).params["mean"] == p["mean"]


def test_task_mode_still_works_and_ends_with_json(capsys):
    assert main(["--task", "parity", "--model", "gru", "--hidden", "8", "--steps", "4", "--every", "2",
                 "--param", "seq_len=5", "--json"]) == 0
    out = capsys.readouterr().out
    r = _last_json(out)
    assert "step      4" in out and r["task"] == "parity" and r["steps"] == 4 and r["metric"] == "accuracy"


def _ids(n, T=12, seed=0, offset=0):
    """Labelled data whose sequence i holds the value offset + i at every step (its id), so any
    prepared batch tells which sequences it came from (standardisation off)."""
    from core.datasets import SequenceDataset
    rng = np.random.default_rng(seed)
    seqs = [np.full((T, 1), offset + i, dtype=np.float32) for i in range(n)]
    return SequenceDataset("labelled", seqs, rng.permutation(np.arange(n) % 2), ["a", "b"], ["v"],
                           name=f"ids{offset}")


def _seen(batch):
    return set(np.unique(batch.x[:, 0, 0].numpy().round().astype(int)).tolist())


@pytest.mark.parametrize("seed", [0, 5])
def test_holdout_split_does_not_leak_and_the_test_only_scores(seed):
    import torch
    ds, test = _ids(40), _ids(16, seed=9, offset=1000)
    task, batch = holdout_tasks(ds, test, val_fraction=0.25, seed=seed, standardize=False)
    val = _seen(task.validation)
    train = _seen(task.sample(4000, torch.Generator().manual_seed(1)))  # 4000 draws: every training sequence
    assert len(val) == 10 and len(train) == 30
    assert not val & train and val | train == set(range(40))  # no validation row is trained on
    assert _seen(batch) == set(range(1000, 1016)) and task.test is batch  # the test file, all of it, scored
    assert not _seen(batch) & (val | train)
    assert task.params["test"] == "ids1000" and task.params["n_test"] == task.params["n_test_used"] == 16
    # the split is the seed's: the same seed carves the same rows, another seed others
    again, _ = holdout_tasks(ds, test, val_fraction=0.25, seed=seed, standardize=False)
    assert _seen(again.validation) == val
    other, _ = holdout_tasks(ds, test, val_fraction=0.25, seed=seed + 1, standardize=False)
    assert _seen(other.validation) != val


def test_holdout_series_validation_is_the_tail_of_the_training_file_and_the_test_is_apart():
    from core.datasets import SequenceDataset
    T = 200
    ds = SequenceDataset("series", [np.arange(T, dtype=np.float32)[:, None]], channels=["v"], name="s")
    test = SequenceDataset("series", [np.arange(1000, 1060, dtype=np.float32)[:, None]], channels=["v"], name="t")
    task, batch = holdout_tasks(ds, test, window=10, val_fraction=0.25, standardize=False)
    split = task.params["split"]
    assert split == 150 and task.params["test"] == "t" and task.test is batch
    import torch
    x = task.sample(2000, torch.Generator().manual_seed(0))
    assert float(x.y.max()) < split  # training windows and their targets stay before the split
    v = task.validation.y.numpy()
    assert np.nanmin(v) >= split and np.nanmax(v) < T  # validation targets: the training file's tail
    assert float(batch.x.min()) >= 1000  # the test windows are the test file's


@pytest.mark.parametrize("mode", ["task", "data"])
def test_the_command_line_reads_losses_back_every_few_steps_not_every_step(mode, tmp_path, capsys, monkeypatch):
    """On a GPU each read back of a loss waits for the device's queue: the command line steps with
    ``Trainer.advance`` (a readback every ``readback_every`` steps) and reads back at its own print,
    probe and evaluation points only. Counted here as the trainer's readbacks of pending steps."""
    from core.trainer import Trainer
    syncs = []
    real = Trainer._read_back

    def counted(self, update):
        if self._pending:
            syncs.append(self.step_count)
        return real(self, update)
    monkeypatch.setattr(Trainer, "_read_back", counted)
    if mode == "task":
        args = ["--task", "sine", "--model", "lstm", "--hidden", "8", "--steps", "60", "--every", "25", "--json"]
    else:
        args = ["--data", str(_wide(tmp_path / "tr.csv", 30)), "--settings", "lab", "--steps", "60",
                "--hidden", "8", "--json"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert _last_json(out)["steps"] == 60
    if mode == "task":
        assert "step     25" in out and "step     50" in out and "step     60" in out  # its lines still print
    # 6 readbacks (every 10 steps) and at most one more per print or evaluation point (25, 50)
    assert 6 <= len(syncs) <= 8, syncs


def test_the_command_line_reports_a_divergence_and_still_runs_its_steps(capsys):
    """A learning rate that blows up: the readback catches it, rolls back, and the run goes on to its
    step count (steps after the non-finite one were taken on bad parameters and are redone)."""
    assert main(["--task", "sine", "--model", "rnn", "--nonlinearity", "linear", "--hidden", "8", "--lr", "1e6",
                 "--steps", "30", "--every", "10", "--json"]) == 1
    out = capsys.readouterr().out
    assert "loss is not finite; rolled back" in out
    assert _last_json(out)["steps"] == 30 and _last_json(out)["diverged"] is True
