"""core.suggest: settings from the data's shape, each with a reason."""
import dataclasses

import numpy as np
import pytest

from core.datasets import SequenceDataset
from core.suggest import MAX_STEPS, DataShape, Suggestion, data_shape, estimate_steps_per_s, suggest_settings

SETTINGS = {"max_steps", "standardize", "val_fraction", "cell", "bidirectional", "hidden_size", "lr", "batch_size",
            "clip", "steps"}


def _shape(n=50, lo=150, hi=150, channels=1, classes=2, kind="labelled"):
    return DataShape(kind, n, lo, hi, channels, classes)


def test_data_shape_of_a_dataset():
    seqs = [np.zeros((n, 3), np.float32) for n in (7, 29, 12)]
    ds = SequenceDataset("labelled", seqs, np.array([0, 1, 2]), ["a", "b", "c"], ["x", "y", "z"])
    s = data_shape(ds)
    assert s == DataShape("labelled", 3, 7, 29, 3, 3) and not s.equal_length


def test_short_sequences_are_kept_long_ones_pooled():
    short = suggest_settings(_shape(lo=29, hi=29))
    assert short.max_steps is None and short.pool == 1 and short.reasons["max_steps"].key == "length_keep"
    long = suggest_settings(_shape(lo=1460, hi=1460))
    assert long.pool == 46 and long.max_steps == MAX_STEPS == 32 and -(-1460 // long.pool) <= MAX_STEPS
    assert long.reasons["max_steps"].params == {"length": 1460, "pool": 46, "steps": 32}
    assert long.task_options() == {"standardize": True, "val_fraction": 0.2, "max_steps": MAX_STEPS}


def test_classification_gets_a_bidirectional_gated_cell_forecasting_a_causal_one():
    c = suggest_settings(_shape())
    assert c.cell == "gru" and c.bidirectional and c.model_options() == {"num_layers": 1, "bidirectional": True}
    f = suggest_settings(_shape(n=1, lo=5000, hi=5000, classes=0, kind="series"))
    assert f.cell == "lstm" and not f.bidirectional and f.max_steps is None
    assert f.reasons["max_steps"].key == "length_window" and f.reasons["bidirectional"].key == "bidirectional_no"


def test_sizes_follow_the_data():
    assert suggest_settings(_shape(classes=2)).hidden_size == 64
    assert suggest_settings(_shape(classes=12)).hidden_size == 128
    assert suggest_settings(_shape(channels=12, classes=9)).reasons["hidden_size"].key == "hidden_large"
    assert suggest_settings(_shape(n=50)).batch_size == 10  # 40 training sequences / 4
    assert suggest_settings(_shape(n=10)).batch_size == 4  # never below 4
    assert suggest_settings(_shape(n=5000)).batch_size == 32


def test_steps_fill_the_budget():
    measured = suggest_settings(_shape(), budget_s=60, steps_per_s=50.0)
    assert measured.steps == 3000 and measured.reasons["steps"].key == "steps_measured"
    est = suggest_settings(_shape(), budget_s=60)
    rate = estimate_steps_per_s("gru", 64, 30, 10, True, 1)  # 150 steps pooled by 5
    assert est.steps == int(60 * rate) and est.reasons["steps"].key == "steps_estimated"
    assert suggest_settings(_shape(), budget_s=120).steps == pytest.approx(2 * est.steps, abs=1)
    # a bigger model is estimated slower
    assert estimate_steps_per_s("lstm", 128, 64, 32, True) < estimate_steps_per_s("gru", 64, 64, 32, True)


def test_a_suggestion_is_frozen_and_every_setting_has_a_reason():
    s = suggest_settings(_shape(n=270, lo=7, hi=29, channels=12, classes=9))
    assert set(s.reasons) == SETTINGS
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.lr = 1.0
    d = s.as_dict()
    assert d["reasons"]["lr"] == {"key": "lr", "params": {"lr": 3e-3, "hidden": 128}}
    assert suggest_settings(_shape()).lr == 1e-2  # H=64
    assert s.trainer_options() == {"lr": s.lr, "batch_size": s.batch_size, "optimizer": "adam", "clip": 1.0}
    assert isinstance(s, Suggestion) and suggest_settings(_shape(n=270, lo=7, hi=29, channels=12, classes=9)) == s
