"""dataset_task(max_steps=...): long sequences average-pooled by one factor for every split."""
import numpy as np
import pytest
import torch

from core.datasets.task import avg_pool, pool_factor
from core.datasets import SequenceDataset, dataset_task


def _ds(lengths, F=2, name="d", seed=0):
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(n, F)).astype(np.float32) for n in lengths]
    return SequenceDataset("labelled", seqs, np.arange(len(lengths)) % 2, ["a", "b"], [f"c{k}" for k in range(F)],
                           name=name)


def test_avg_pool_and_factor():
    x = np.arange(7.0)[:, None]
    assert np.allclose(avg_pool(x, 3)[:, 0], [1, 4, 6])  # the last block is shorter: its own mean
    gap = x.copy()
    gap[1] = np.nan
    assert np.allclose(avg_pool(gap, 3)[:, 0], [1, 4, 6])  # missing values are skipped
    assert avg_pool(x, 1) is x
    assert pool_factor([100, 250], None) == 1 and pool_factor([100, 250], 250) == 1
    assert pool_factor([100, 250], 64) == 4 and pool_factor([100, 251], 50) == 6  # ceil(251 / 6) = 42 <= 50


def test_max_steps_pools_train_validation_and_test_alike():
    ds, test = _ds([300, 200, 300, 250] * 5), _ds([310, 150], name="t", seed=1)
    task = dataset_task(ds, test=test, max_steps=64, standardize=False)
    assert task.params["pool"] == 5 and task.params["max_steps"] == 64  # ceil(300 / 64) = 5
    assert task.seq_len == 62  # the 310-step test sequence -> ceil(310 / 5)
    val = task.validation
    assert val.lengths.tolist() == [62, 30]
    expect = avg_pool(test.sequences[0], 5)
    assert torch.allclose(val.x[0], torch.from_numpy(expect))
    b = task.sample(64, torch.Generator().manual_seed(0))
    assert int(b.lengths.max()) == 60 and set(b.lengths.tolist()) <= {60, 40, 50}


def test_no_max_steps_keeps_every_step():
    ds = _ds([30, 30, 30, 30])
    task = dataset_task(ds)
    assert task.params["pool"] == 1 and task.params["max_steps"] is None and task.seq_len == 30
