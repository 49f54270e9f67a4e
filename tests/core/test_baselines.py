"""Baselines (constant, 1-NN Euclidean, persistence, seasonal naive) on the task's own held-out data."""
from pathlib import Path

import numpy as np
import pytest

from core.baselines import (classification_baselines, dataset_baselines, detect_period, forecast_baselines,
                            nearest_neighbour, resample)
from core.datasets.task import classify_split
from core.datasets import SequenceDataset, dataset_task

RNG = np.random.default_rng(3)


def _labelled(seqs, y, classes=None, name="d"):
    return SequenceDataset("labelled", [np.asarray(s, np.float32).reshape(len(s), -1) for s in seqs],
                           np.asarray(y), classes or [str(c) for c in range(max(y) + 1)],
                           [f"c{k}" for k in range(np.asarray(seqs[0]).reshape(len(seqs[0]), -1).shape[1])],
                           name=name)


def test_nearest_neighbour_matches_brute_force_in_small_chunks():
    a, q = RNG.normal(size=(70, 13)), RNG.normal(size=(41, 13)) + 100.0  # far from the origin: cancellation
    brute = ((q[:, None] - a[None]) ** 2).sum(-1).argmin(1)
    assert np.array_equal(nearest_neighbour(a, q, chunk_bytes=8 * 70 * 3), brute)  # 3 queries a chunk
    assert np.array_equal(nearest_neighbour(a, q), brute)


def test_classification_baselines_by_hand():
    # class 0 rises, class 1 falls; the test set has 3 of class 1 and 1 of class 0
    up, down = np.linspace(0, 1, 10), np.linspace(1, 0, 10)
    train = [up, up + 0.1, up - 0.1, down]
    test = [down + 0.05, down - 0.05, up + 0.02, down * 0.9]
    b = classification_baselines(train, [0, 0, 0, 1], test, [1, 1, 0, 1])
    assert b.metric == "accuracy" and list(b.values) == ["constant", "1nn_euclidean"]
    assert b.values["constant"] == 0.25  # the training majority (0) is right once in four
    assert b.values["1nn_euclidean"] == 1.0
    assert b.n_held_out == 4 and b.notes["resampled"] is False


def test_unequal_lengths_are_resampled_to_the_longest_training_length():
    r = resample(np.array([[0.0], [2.0]]), 5)
    assert np.allclose(r[:, 0], [0, 0.5, 1, 1.5, 2])
    # the same shapes at different speeds: resampling lines them up, zero padding would not
    shape = lambda n: np.sin(np.linspace(0, np.pi, n))  # noqa: E731
    train = [shape(40), -shape(40)]
    b = classification_baselines(train, [0, 1], [shape(13), -shape(25), shape(31)], [0, 1, 0])
    assert b.values["1nn_euclidean"] == 1.0
    assert b.notes == {"length": 40, "resampled": True, "majority_class": 0, "scored": 3}


def test_one_long_outlier_does_not_set_the_length():
    """90,000 sequences of two steps and one of 400,000 once asked for 230 GB (every sequence
    resampled to the outlier's length): the length is the task's cap, the memory stays small."""
    import resource
    n = 3000
    seqs = [np.array([0.5, -0.5]) * (1 if i % 2 else -1) + RNG.normal(0, 0.05, 2) for i in range(n)]
    seqs.append(np.sin(np.arange(400_000) / 17.0))
    y = [i % 2 for i in range(n)] + [0]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    b = classification_baselines(seqs, y, seqs[:200], y[:200])
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert b.notes["length"] == 64 and b.notes["resampled"] is True  # max(64, 4 x the 99th percentile)
    assert b.values["1nn_euclidean"] == 1.0
    assert grown_mb < 200, grown_mb


def test_many_distances_score_an_even_subset_of_the_held_out(monkeypatch):
    import core.baselines as CB
    monkeypatch.setattr(CB, "NN_PAIRS", 40 * 25)  # 40 training x 25 held-out at most
    train = [RNG.normal(size=8) for _ in range(40)]
    ty = RNG.integers(0, 2, 40)
    test = [RNG.normal(size=8) for _ in range(100)]
    vy = RNG.integers(0, 2, 100)
    b = classification_baselines(train, ty, test, vy)
    assert b.notes["scored"] == 25 and b.n_held_out == 100
    assert b.values["constant"] == np.mean(vy == np.bincount(ty).argmax())  # the constant uses them all
    pick = np.linspace(0, 99, 25).round().astype(int)
    nn = nearest_neighbour(np.stack(train), np.stack([test[i] for i in pick]))
    assert b.values["1nn_euclidean"] == np.mean(ty[nn] == vy[pick])


def test_the_page_budget_shortens_the_resampled_length(monkeypatch):
    monkeypatch.setenv("RNNX_PAGE_MB", "1")  # a quarter of 1 MB for (20 + 10) rows of 8-byte values
    shape = lambda n: np.sin(np.linspace(0, np.pi, n))  # noqa: E731
    train = [shape(2000) * (1 if i % 2 else -1) for i in range(20)]
    b = classification_baselines(train, [i % 2 for i in range(20)], train[:10], [i % 2 for i in range(10)])
    assert b.notes["length"] == 2**20 // 4 // (8 * 30) and b.notes["resampled"] is True
    assert b.values["1nn_euclidean"] == 1.0


def test_missing_values_are_interpolated_not_propagated():
    up = np.linspace(0, 1, 12)
    gappy = up.copy()
    gappy[[0, 5, 6]] = np.nan
    b = classification_baselines([up, -up], [0, 1], [gappy], [0])
    assert b.values["1nn_euclidean"] == 1.0


def test_dataset_baselines_use_the_task_split():
    n, T = 40, 16
    y = np.arange(n) % 3
    y[:4] = 0  # class 0 is the majority
    seqs = [RNG.normal(size=T) + 2.0 * y[i] for i in range(n)]
    ds = _labelled(seqs, y)
    task = dataset_task(ds, val_fraction=0.25, seed=5)
    tr, _, vy = classify_split(ds, None, 0.25, 5)
    assert np.array_equal(task.validation.y.numpy(), vy)  # one split for the task and the baselines
    b = dataset_baselines(ds, val_fraction=0.25, seed=5, max_steps=8)  # max_steps: no effect on baselines
    assert b.held_out == "validation" and b.n_held_out == len(vy)
    assert b.notes["majority_class"] == int(np.bincount(y[tr]).argmax()) == 0
    assert b.values["constant"] == pytest.approx(float(np.mean(vy == 0)))
    assert b.values["1nn_euclidean"] >= 0.9  # classes 2 standard deviations apart


def test_dataset_baselines_on_a_test_file_map_its_classes():
    a = _labelled([np.zeros(5), np.ones(5), np.zeros(5) + 0.1], [0, 1, 0], ["lo", "hi"])
    test = _labelled([np.ones(5) * 0.9, np.zeros(5)], [0, 1], ["hi", "lo"], name="t")  # other numbering
    b = dataset_baselines(a, test)
    assert b.held_out == "test" and b.values == {"constant": 0.5, "1nn_euclidean": 1.0}


def test_detect_period():
    t = np.arange(600)
    assert detect_period(np.sin(2 * np.pi * t / 24) + 0.3 * RNG.normal(size=600)) == 24
    assert detect_period(RNG.normal(size=600).cumsum()) is None  # a random walk has no season
    assert detect_period(RNG.normal(size=600)) is None
    assert detect_period(np.arange(4.0)) is None


def test_forecast_baselines_by_hand():
    y = np.array([0.0, 1, 2, 0, 1, 2, 0, 1, 2, 0])[:, None]
    b = forecast_baselines(y, np.arange(6, 10), horizon=1, constant=[1.0], period=3)
    # targets 0, 1, 2, 0; persistence predicts 2, 0, 1, 2; the season repeats exactly
    assert b.values == {"constant": pytest.approx((1 + 0 + 1 + 1) / 4), "persistence": pytest.approx((4 + 1 + 1 + 4) / 4),
                        "seasonal_naive": 0.0}
    assert b.metric == "mse" and b.n_held_out == 4
    gappy = y.copy()
    gappy[8, 0] = np.nan  # a missing target is skipped; a missing input reads as the constant
    g = forecast_baselines(gappy, np.arange(6, 10), horizon=1, constant=[1.0])
    assert g.n_held_out == 3 and g.values["persistence"] == pytest.approx((4 + 1 + 1) / 3)
    assert "seasonal_naive" not in g.values


@pytest.mark.parametrize("mode", ["forecast_last", "forecast"])
def test_series_baselines_are_in_the_task_units_on_its_held_out_targets(mode):
    t = np.arange(400)
    v = 10 + 5 * np.sin(2 * np.pi * t / 12) + 0.2 * RNG.normal(size=400)
    ds = SequenceDataset("series", [v.astype(np.float32)[:, None]], channels=["v"], name="s")
    b = dataset_baselines(ds, mode=mode, window=20)
    task = dataset_task(ds, mode=mode, window=20)
    assert b.notes["period"] == 12 and b.held_out == "validation"
    y = task.validation.y.numpy()
    # the constant (training mean, 0 in standardised units) scores as the task's loss would
    assert b.values["constant"] == pytest.approx(float(np.nanmean(y ** 2)), rel=0.05)
    assert b.values["seasonal_naive"] < 0.05 < b.values["persistence"] < b.values["constant"]
    assert b.n_held_out == (80 if mode == "forecast_last" else 80)


UCR = Path("/work/ucr/GunPoint")


@pytest.mark.skipif(not (UCR / "GunPoint_TRAIN.ts").exists(), reason="UCR GunPoint files not present")
def test_gunpoint_1nn_matches_the_archive():
    from core.datasets import DatasetError, load_dataset
    try:
        tr, te = load_dataset(UCR / "GunPoint_TRAIN.ts"), load_dataset(UCR / "GunPoint_TEST.ts")
    except DatasetError as e:  # the .ts reader may not be on this branch
        pytest.skip(f".ts not readable here: {e}")
    assert dataset_baselines(tr, te).values["1nn_euclidean"] == pytest.approx(0.9133, abs=1e-3)
