"""Uploads are never expanded in full: per-batch one-hot and padding, byte-capped held-out batches,
length outliers cut with a note, and preparations over the budget refused before allocating."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core import Trainer, build_model
from core import budget as B
from core.datasets import SequenceDataset, dataset_task
from core.tasks import char_lm, constant_baseline


def _big_alphabet_text(n_chars=6000, distinct=2000, seed=0) -> str:
    rng = np.random.default_rng(seed)
    return "".join(chr(0xAC00 + int(i)) for i in rng.integers(0, distinct, n_chars))


def test_large_alphabet_text_is_one_hot_per_batch_and_held_out_batches_fit_the_budget(monkeypatch):
    monkeypatch.setenv("RNNX_VAL_MB", "12")
    ds = SequenceDataset("text", [], channels=[], text=_big_alphabet_text(), name="novel")
    task = dataset_task(ds, seq_len=300)
    V = task.input_size
    assert V > 1800
    per_seq = B.per_sequence_bytes(300, V, V)
    assert task.max_batch * per_seq <= 12 * B.MB < (task.max_batch + 1) * per_seq
    tr = Trainer(build_model("rnn", V, 8, V), task, batch_size=2, device="cpu")
    val = tr.validation_batch(256)  # the probes' and evaluation's batch: capped, not 256 x 300 x V
    assert val.x.shape == (task.max_batch, 300, V) and val.x.nbytes <= 12 * B.MB
    assert tr.evaluate()["loss"] > 0
    x = task.sample(3, torch.Generator().manual_seed(1)).x
    assert x.shape == (3, 300, V) and bool((x.sum(-1) == 1).all())


def test_text_baseline_is_the_reference_batchs_without_one_hot():
    task = char_lm(40)  # the Sonnets: small enough to draw the old reference batch in full
    ref = task.sample(2048, torch.Generator().manual_seed(12345))
    assert (task.baseline_loss, task.baseline_metric) == pytest.approx(constant_baseline(task, ref.y))


def test_wide_series_validation_windows_are_capped_by_bytes(monkeypatch):
    monkeypatch.setenv("RNNX_VAL_MB", "4")
    rng = np.random.default_rng(0)
    ds = SequenceDataset("series", [rng.normal(size=(3000, 200)).astype(np.float32)],
                         channels=[f"c{k}" for k in range(200)], name="wide")
    task = dataset_task(ds, mode="forecast_last", window=500, val_fraction=0.5)
    assert task.validation.x.nbytes + task.validation.y.nbytes <= 4 * B.MB
    assert 1 <= task.params["n_val_windows"] == len(task.validation.x) < 1500
    assert task.max_batch == len(task.validation.x) and np.isfinite(task.baseline_loss)


def _labelled(lengths, F=1, seed=0):
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(n, F)).astype(np.float32) for n in lengths]
    labels = np.arange(len(lengths)) % 2
    return SequenceDataset("labelled", seqs, labels, ["a", "b"], ["x"] * F, name="long")


def test_a_length_outlier_is_cut_with_a_note_and_batches_are_padded_per_batch():
    ds = _labelled([2] * 3000 + [100_000])
    task = dataset_task(ds, val_fraction=0.2)
    assert task.seq_len == 64 and task.params["truncated"] == 1 and task.params["truncated_to"] == 64
    assert "cut to 64" in task.description
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        b = task.sample(16, gen)
        assert b.x.shape[1] == int(b.lengths.max()) <= 64  # padded to this batch's longest only
    assert task.validation.x.shape[1] <= 64


def test_ordinary_variable_lengths_are_kept_whole():
    lengths = list(range(20, 420, 4)) * 3
    task = dataset_task(_labelled(lengths), val_fraction=0.2)
    assert task.params["truncated"] == 0 and task.params["truncated_to"] is None
    assert task.params["max_length"] == 416


@pytest.mark.parametrize("kind", ["series", "labelled", "text"])
def test_a_preparation_over_the_budget_is_refused_before_allocating(monkeypatch, kind):
    monkeypatch.setenv("RNNX_JOB_MB", "1")
    if kind == "series":
        ds = SequenceDataset("series", [np.zeros((2000, 100), np.float32)], channels=["c"] * 100, name="big")
    elif kind == "labelled":
        ds = _labelled([3000] * 200, F=2)
    else:
        ds = SequenceDataset("text", [], channels=[], text="ab" * 100_000, name="big")
    with pytest.raises(B.BudgetError) as e:
        dataset_task(ds, window=10, seq_len=10)
    assert e.value.key == f"data_{kind}" and "this server allows 1 MB" in str(e.value)

