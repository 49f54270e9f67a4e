"""Uploads: every format round-trips, tasks split and standardise without leakage, and a corpus of
bad files each raises DatasetError with a message that says what is wrong. Files are generated
here, in memory."""
import builtins
import io
import os
import pickle
import tempfile
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from core import Trainer, build_model
from core.datasets import FORMATS, DatasetError, SequenceDataset, dataset_task, load_dataset

RNG = np.random.default_rng(0)


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def wide_csv(n=30, T=40, labels=None, sep=",") -> tuple[bytes, np.ndarray, np.ndarray]:
    X = np.round(RNG.normal(size=(n, T)), 4)
    y = np.arange(n) % 2 + 1 if labels is None else labels
    text = "\n".join(sep.join([str(lab)] + [f"{v:.4f}" for v in row]) for lab, row in zip(y, X))
    return text.encode(), X, y


def long_df(n=24, lo=3, hi=10, F_=2, seed=1, shuffle=True):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for k in range(int(rng.integers(lo, hi + 1))):
            rows.append((f"s{i}", k, *np.round(rng.normal(size=F_), 4), "abc"[i % 3]))
    df = pd.DataFrame(rows, columns=["sequence_id", "t", *[f"f{j}" for j in range(F_)], "label"])
    return df.sample(frac=1, random_state=seed) if shuffle else df


def series(values) -> SequenceDataset:
    v = np.asarray(values, dtype=np.float32)
    return load_dataset(npz(X=v.reshape(1, len(v), -1)), "s.npz")


# ---- round trips -------------------------------------------------------------------------------

def test_series_with_dates_round_trip():
    df = pd.DataFrame({"date": pd.date_range("2021-03-01", periods=120, freq="D"),
                       "temp": np.round(RNG.normal(size=120), 3), "rain": np.arange(120.0)})
    ds = load_dataset(df.to_csv(index=False).encode(), "weather.csv")
    assert (ds.kind, ds.format, ds.name) == ("series", "csv_series", "weather")
    assert ds.channels == ["temp", "rain"] and len(ds.sequences) == 1
    assert ds.sequences[0].dtype == np.float32 and ds.sequences[0].shape == (120, 2)
    np.testing.assert_allclose(ds.sequences[0], df[["temp", "rain"]].to_numpy(), atol=1e-6)
    assert np.issubdtype(ds.time_index.dtype, np.datetime64)
    assert pd.Timestamp(ds.time_index[0]) == pd.Timestamp("2021-03-01")
    assert any("time axis" in n for n in ds.notes)
    s = ds.summary()
    assert s["n_sequences"] == 1 and s["max_length"] == 120 and s["gaps"] == 0
    assert s["channel_stats"]["rain"] == dict(min=0.0, max=119.0, mean=59.5)


@pytest.mark.parametrize("sep", [",", ";", "\t", "   "])
def test_series_delimiters_without_header(sep):
    X = np.round(RNG.normal(size=(50, 3)), 3)
    text = "\n".join(sep.join(f"{v:.3f}" for v in row) for row in X)
    ds = load_dataset(text.encode())
    assert ds.format == "csv_series" and ds.channels == ["x1", "x2", "x3"]
    np.testing.assert_allclose(ds.sequences[0], X, atol=1e-6)


def test_decimal_commas_and_datetimes_with_semicolons():
    text = "when;level\n" + "\n".join(f"2020-01-01 {h:02d}:00:00;{h},5" for h in range(24))
    ds = load_dataset(text.encode(), "levels.csv")
    np.testing.assert_allclose(ds.sequences[0][:, 0], np.arange(24) + 0.5)
    assert pd.Timestamp(ds.time_index[5]) == pd.Timestamp("2020-01-01 05:00")


def test_numeric_time_column_named_t_is_the_axis():
    ds = load_dataset(b"t,x\n0,1\n1,2\n2,4\n3,8\n", "g.csv")
    assert ds.channels == ["x"] and list(ds.time_index) == [0, 1, 2, 3]


def test_wide_ucr_style_round_trip():
    data, X, y = wide_csv(sep="\t")
    ds = load_dataset(data, "ECG_TRAIN.tsv")
    assert (ds.kind, ds.format) == ("labelled", "csv_wide")
    assert ds.classes == ["1", "2"] and list(ds.labels) == list(y - 1)
    assert len(ds.sequences) == 30 and ds.sequences[0].shape == (40, 1)
    np.testing.assert_allclose(np.stack(ds.sequences)[..., 0], X, atol=1e-6)
    assert ds.summary()["classes"] == {"1": 15, "2": 15}


def test_wide_string_labels_with_header_and_trailing_empty_cells():
    text = "label," + ",".join(f"t{i}" for i in range(12)) + "\n"
    for i in range(8):
        vals = [f"{v:.2f}" for v in RNG.normal(size=12)]
        if i % 2:
            vals[-3:] = ["", "", ""]  # UCR variable-length rows end in empty cells
        text += ["cat", "dog"][i % 2] + "," + ",".join(vals) + "\n"
    ds = load_dataset(text.encode(), "pets.csv")
    assert ds.format == "csv_wide" and ds.classes == ["cat", "dog"]
    assert list(ds.lengths) == [12, 9] * 4


def test_long_variable_length_round_trip():
    df = long_df()
    ds = load_dataset(df.to_csv(index=False).encode(), "gestures.csv")
    assert (ds.kind, ds.format) == ("labelled", "csv_long") and ds.channels == ["f0", "f1"]
    ids = list(pd.unique(df["sequence_id"]))  # order of first appearance
    assert len(ds.sequences) == len(ids) == 24
    for seq, lab, sid in zip(ds.sequences, ds.labels, ids):
        part = df[df.sequence_id == sid].sort_values("t")
        np.testing.assert_allclose(seq, part[["f0", "f1"]].to_numpy(), atol=1e-6)
        assert ds.classes[lab] == part.label.iloc[0]
    assert ds.lengths.min() >= 3 and ds.lengths.max() <= 10


def test_npz_round_trips():
    X = RNG.normal(size=(12, 7, 3)).astype(np.float32)
    ds = load_dataset(npz(X=X, y=np.array(["up", "down"] * 6)), "m.npz")
    assert (ds.kind, ds.format, ds.classes) == ("labelled", "npz", ["down", "up"])
    np.testing.assert_array_equal(np.stack(ds.sequences), X)
    ds = load_dataset(npz(X=X[..., 0], y=np.arange(12) % 3, classes=np.array(["a", "b", "c"])))
    assert ds.classes == ["a", "b", "c"] and ds.channels == ["value"] and ds.format == "npz"
    ds = load_dataset(npz(X=X[:1]))
    assert ds.kind == "series" and ds.sequences[0].shape == (7, 3)


def test_text_detection():
    prose = ("It was the best of times, it was the worst of times, it was the age of wisdom, "
             "it was the age of foolishness.\r\nIt was the epoch of belief, it was the epoch of "
             "incredulity.\n")
    ds = load_dataset(prose.encode())
    assert ds.kind == "text" and ds.format == "text" and "\r" not in ds.text
    assert ds.summary()["n_characters"] == len(ds.text)
    numbers = "\n".join(" ".join(f"{v:.3f}" for v in r) for r in RNG.normal(size=(20, 4)))
    assert load_dataset(numbers.encode(), "old_ucr.txt").format == "csv_series"
    task = dataset_task(ds, seq_len=16)
    assert task.name == "upload:data" and task.loss_kind == "cross_entropy"
    assert task.sample(3, torch.Generator().manual_seed(0)).x.shape == (3, 16, len(ds.channels))


def test_format_override_and_path_input(tmp_path):
    data, _, _ = wide_csv(n=6, T=12)
    assert load_dataset(data).format == "csv_wide"
    ds = load_dataset(data, format="csv_series")
    assert ds.kind == "series" and ds.sequences[0].shape == (6, 13)
    p = tmp_path / "w.csv"
    p.write_bytes(data)
    assert load_dataset(p).name == "w" and load_dataset(str(p)).format == "csv_wide"


def test_gaps_counted_interpolated_or_masked():
    text = b"a,b\n1,10\n2,\n,30\n4,40\n5,NaN\n6,60\n"
    kept = load_dataset(text, "g.csv")
    assert kept.gaps == 3 and int(np.isnan(kept.sequences[0]).sum()) == 3
    assert any("3 gaps" in n for n in kept.notes)
    filled = load_dataset(text, "g.csv", interpolate=True)
    np.testing.assert_allclose(filled.sequences[0], [[1, 10], [2, 20], [3, 30], [4, 40], [5, 50], [6, 60]])
    assert filled.gaps == 3 and any("interpolated 3 gaps" in n for n in filled.notes)
    # un-interpolated gaps: NaN targets are masked, NaN inputs become 0
    v = np.sin(np.arange(200) / 4)
    v[[20, 50, 51, 190]] = np.nan
    task = dataset_task(series(v), window=16, val_fraction=0.2)
    b = task.sample(256, torch.Generator().manual_seed(0))
    assert not torch.isnan(b.x).any() and not torch.isnan(task.validation.x).any()
    model = build_model("gru", 1, 8, 1, head=task.head, seed=0)
    assert torch.isfinite(task.loss(model(b.x), b.y)) and task.params["input_gaps"] == 4
    assert torch.isfinite(task.loss(model(task.validation.x), task.validation.y))


# ---- tasks ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_variable_lengths_padding_does_not_change_the_loss(kind):
    ds = load_dataset(long_df().to_csv(index=False).encode(), "v.csv")
    task = dataset_task(ds, val_fraction=0.25)
    assert (task.io, task.head, task.output_size, task.vocab) == ("many-to-one", "last", 3, ["a", "b", "c"])
    b = task.sample(16, torch.Generator().manual_seed(3))
    L = b.lengths
    assert L.dtype == torch.long and L.shape == (16,) and b.x.shape[1] == int(L.max())
    pad = torch.arange(b.x.shape[1])[None] >= L[:, None]
    assert (b.x[pad] == 0).all() and (b.x[~pad].abs().sum(-1) > 0).all()
    model = build_model(kind, 2, 8, 3, head="last", seed=0)
    loss = task.loss(model(b.x, L), b.y)
    per_seq = torch.stack([F.cross_entropy(model(b.x[i:i + 1, :L[i]]), b.y[i:i + 1]) for i in range(16)])
    torch.testing.assert_close(loss, per_seq.mean(), atol=1e-5, rtol=1e-5)
    junk = b.x.clone()
    junk[pad] = 50.0
    torch.testing.assert_close(model(junk, L), model(b.x, L))
    v = task.validation
    assert v.lengths is not None and len(v.y) == task.params["n_val"] == 6  # 2 of each class's 8
    tr = Trainer(model, task, lr=1e-2, batch_size=8, device="cpu")
    assert np.isfinite(tr.step()["loss"]) and np.isfinite(tr.evaluate()["loss"])


def test_classification_standardisation_fitted_on_training_sequences_only():
    n = 40
    X = np.repeat(np.arange(n, dtype=np.float32)[:, None], 5, axis=1)  # sequence i holds the value i
    ds = load_dataset(npz(X=X, y=np.arange(n) % 2))
    task = dataset_task(ds, val_fraction=0.25, seed=4)
    mean, std = task.params["mean"][0], task.params["std"][0]
    val_ids = np.round(task.validation.x[:, 0, 0].numpy() * std + mean).astype(int)
    train_ids = np.setdiff1d(np.arange(n), val_ids)
    assert len(val_ids) == 10 and len(train_ids) == 30
    assert mean == pytest.approx(train_ids.mean()) and std == pytest.approx(train_ids.std())
    assert task.baseline_metric == pytest.approx(0.5) and task.baseline_loss == pytest.approx(np.log(2))
    # a separate test file is prepared with the training statistics and mapped onto its classes
    test = load_dataset(npz(X=X[:4] + 1000, y=np.array([1, 0, 1, 1])))
    t2 = dataset_task(ds, test=test)
    assert t2.params["mean"][0] == pytest.approx(19.5) and t2.params["test"] == "data"
    np.testing.assert_allclose(t2.validation.x[:, 0, 0].numpy(),
                               (np.arange(4) + 1000 - 19.5) / np.arange(40).std(), rtol=1e-5)
    assert t2.validation.y.tolist() == [1, 0, 1, 1]


def test_stratified_split_keeps_class_proportions():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    ds = load_dataset(npz(X=RNG.normal(size=(100, 6)), y=y))
    task = dataset_task(ds, val_fraction=0.2, seed=1)
    assert torch.bincount(task.validation.y).tolist() == [10, 6, 4]
    assert task.params["n_train"] == 80
    b = task.sample(4000, torch.Generator().manual_seed(0))
    np.testing.assert_allclose(torch.bincount(b.y).numpy() / 4000, [0.5, 0.3, 0.2], atol=0.03)
    assert task.baseline_metric == pytest.approx(0.5)
    again = dataset_task(ds, val_fraction=0.2, seed=1).validation.x
    assert torch.equal(again, task.validation.x)
    assert not torch.equal(dataset_task(ds, val_fraction=0.2, seed=2).validation.x, again)


@pytest.mark.parametrize("mode", ["forecast", "forecast_last"])
def test_series_split_is_chronological(mode):
    ds = series(np.arange(100.0))
    task = dataset_task(ds, mode=mode, window=10, horizon=3, val_fraction=0.2)
    mean, std = task.params["mean"][0], task.params["std"][0]
    assert mean == pytest.approx(39.5) and std == pytest.approx(np.arange(80).std())
    raw = lambda t: t * std + mean  # noqa: E731
    b = task.sample(512, torch.Generator().manual_seed(0))
    assert raw(b.y).max() <= 79 + 1e-3 and b.x.shape == (512, 10, 1)
    if mode == "forecast":
        assert task.io == "many-to-many" and task.head == "per_step"
        torch.testing.assert_close(raw(b.y) - raw(b.x), torch.full_like(b.x, 3.0), atol=1e-3, rtol=0)
        vy = raw(task.validation.y)
        got = np.sort(vy[~torch.isnan(vy)].numpy())
    else:
        assert task.io == "many-to-one" and task.head == "last" and b.y.shape == (512, 1)
        torch.testing.assert_close(raw(b.y)[:, 0] - raw(b.x)[:, -1, 0], torch.full((512,), 3.0),
                                   atol=1e-3, rtol=0)
        got = raw(task.validation.y).numpy().ravel()
    np.testing.assert_allclose(got, np.arange(80, 100), atol=1e-3)  # each validation target once


def test_task_metadata():
    df = pd.DataFrame({"a": np.sin(np.arange(300) / 7), "b": np.cos(np.arange(300) / 7)})
    ds = load_dataset(df.to_csv(index=False).encode(), "waves.csv")
    task = dataset_task(ds, window=30, target_channels=["b"])
    assert task.name == "upload:waves" and task.input_size == 2 and task.output_size == 1
    assert task.channel_names == ["a", "b"] and task.params["target_channels"] == ["b"]
    assert task.params["window"] == 30 and len(task.params["std"]) == 2
    assert np.isfinite(task.baseline_loss) and task.validation.x.shape[1:] == (30, 2)


# ---- nothing touches the disk -------------------------------------------------------------------

def test_loading_writes_nothing_to_disk(monkeypatch):
    files = {
        "s.csv": pd.DataFrame({"date": pd.date_range("2020", periods=30), "v": np.arange(30.0)})
        .to_csv(index=False).encode(),
        "w.csv": wide_csv(n=10, T=15)[0],
        "l.csv": long_df(n=6).to_csv(index=False).encode(),
        "x.npz": npz(X=np.ones((3, 4)), y=np.arange(3)),
        "t.txt": ("words " * 40).encode(),
    }
    # Once first: on first use the parsing libraries read system facts (one reads
    # /sys/fs/cgroup/cpu.max to size a thread pool); what must not touch files is the load itself.
    for name, data in files.items():
        load_dataset(data, name)
    tmp = tempfile.gettempdir()
    before = set(os.listdir(tmp))

    def refuse(*a, **k):
        raise AssertionError(f"file access during load: {a[:1]}")
    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)
    for name, data in files.items():
        load_dataset(data, name)
    monkeypatch.undo()
    assert set(os.listdir(tmp)) == before


# ---- bad input ----------------------------------------------------------------------------------

def _zip(members: dict, method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for k, v in members.items():
            z.writestr(k, v)
    return buf.getvalue()


def _wide(rows) -> bytes:
    return "\n".join(",".join(str(c) for c in r) for r in rows).encode()


GOOD_ROW = [0.1, 0.2, 0.3, 0.4]
LONG_HDR = "sequence_id,t,x,label\n"
CORPUS = [
    ("empty", b"", "a.csv", {}, "is empty"),
    ("whitespace", b"  \n\t \r\n ", "a.csv", {}, "only whitespace"),
    ("binary", b"\x00\x01\x02\x03abc\xff", "a.csv", {}, "binary"),
    ("npy-not-npz", b"\x93NUMPY\x01\x00v\x00{'descr'", None, {}, "NUL byte"),
    ("latin-1", "a,b\n1,2\ncaf\u00e9,3\n".encode("latin-1"), "a.csv", {}, "not UTF-8"),
    ("latin-1-offset", b"ab\xe9", None, {}, "byte offset 2"),
    ("utf-16", "a,b\n1,2\n".encode("utf-16"), "a.csv", {}, "UTF-16"),
    ("wrong-delimiter", b"x,y,z\n1,2,3\n4,5,6\n", "a.csv", {"delimiter": ";"}, "single column"),
    ("non-numeric-series", b"a,b\n1,2\n3,x\n4,5\n", "a.csv", {}, "row 3, column 2 ('b'): 'x'"),
    ("text-column-in-series", b"v,city\n1,Paris\n2,Rome\n3,Oslo\n", "a.csv", {}, "'Paris' is not a number"),
    ("decimal-comma", b'a,b\n1,"2,5"\n3,4\n', "a.csv", {}, "decimal mark"),
    ("inf-series", b"a\n1\n2\ninf\n4\n", "a.csv", {}, "row 4, column 1 ('a'): 'inf' is infinite"),
    ("non-numeric-wide", _wide([[1, *GOOD_ROW], [2, 0.5, "abc", 0.1, 0.2], [1, *GOOD_ROW]]), "w.csv",
     {"format": "csv_wide"}, "row 2, column 3: 'abc' is not a number"),
    ("nan-inside-wide", _wide([[1, *GOOD_ROW], [2, 0.5, "NaN", 0.1, 0.2]]), "w.csv",
     {"format": "csv_wide"}, "row 2, column 3 is empty or NaN"),
    ("inf-wide", _wide([[1, *GOOD_ROW], [2, 0.5, "-inf", 0.1, 0.2]]), "w.csv",
     {"format": "csv_wide"}, "infinite"),
    ("ragged", b"1,2,3\n4,5\n6,7,8\n9,1,2\n", "a.csv", {}, "row 2 has 2 fields but most rows have 3"),
    ("ragged-long-row", b"a,b\n1,2\n3,4\n5,6,7\n8,9\n", "a.csv", {}, "row 4 has 3 fields"),
    ("single-row-series", b"1,2,3\n", "a.csv", {}, "only one data row"),
    ("single-row-wide", b"1,2,3,4\n", "a.csv", {"format": "csv_wide"}, "single data row"),
    ("single-column-wide", b"1\n2\n3\n", "a.csv", {"format": "csv_wide"}, "single column"),
    ("length-1-wide", b"1,0.5\n2,0.3\n1,0.2\n", "a.csv", {"format": "csv_wide"}, "length 1"),
    ("mixed-labels", _wide([[1, *GOOD_ROW], ["cat", *GOOD_ROW], [2, *GOOD_ROW]]), "w.csv",
     {"format": "csv_wide"}, "mixes numbers and names"),
    ("float-label", _wide([[1, *GOOD_ROW], [0.5, *GOOD_ROW]]), "w.csv", {"format": "csv_wide"},
     "label '0.5' is not a class"),
    ("missing-label", _wide([[1, *GOOD_ROW], ["", *GOOD_ROW], [2, *GOOD_ROW]]), "w.csv",
     {"format": "csv_wide"}, "row 2, column 1: the label is missing"),
    ("bad-label-column", _wide([[1, *GOOD_ROW], [2, *GOOD_ROW]]), "w.csv",
     {"format": "csv_wide", "label_column": 9}, "unknown label column 9"),
    ("nan-long", (LONG_HDR + "a,0,1,x\na,1,,x\nb,0,1,y\nb,1,2,y\n").encode(), "l.csv", {},
     "row 3, column 3 ('x') is empty or NaN"),
    ("duplicate-t", (LONG_HDR + "a,0,1,x\na,1,2,x\na,1,3,x\nb,0,1,y\nb,1,2,y\n").encode(), "l.csv",
     {}, "sequence 'a' has t = 1 twice (rows 3 and 4)"),
    ("length-1-long", (LONG_HDR + "a,0,1,x\na,1,2,x\nb,0,1,y\n").encode(), "l.csv", {},
     "sequence 'b' has only one row (row 4)"),
    ("two-labels", (LONG_HDR + "a,0,1,x\na,1,2,y\nb,0,1,y\nb,1,2,y\n").encode(), "l.csv", {},
     "has two labels"),
    ("long-no-label", b"sequence_id,t,x\na,0,1\na,1,2\n", "l.csv", {}, "unknown label column 'label'"),
    ("long-bad-t", (LONG_HDR + "a,0,1,x\na,one,2,x\n").encode(), "l.csv", {}, "t must be"),
    ("long-no-header", b"a,0,1,x\na,1,2,x\n", "l.csv", {"format": "csv_long"}, "needs a header row"),
    ("too-big", b"1,2\n3,4\n" * 10, "a.csv", {"max_bytes": 50}, "max_bytes"),
    ("too-many-columns", b"1,2,3,4,5,6\n1,2,3,4,5,6\n", "a.csv", {"max_columns": 5}, "max_columns"),
    ("too-many-sequences", _wide([[i % 2, *GOOD_ROW] for i in range(6)]), "w.csv",
     {"format": "csv_wide", "max_sequences": 5}, "max_sequences"),
    ("npz-object-X", npz(X=np.array([[1, "a"], [None, 2]], dtype=object)), "d.npz", {}, "pickle"),
    ("npz-object-y", npz(X=np.ones((2, 3)), y=np.array([{"k": 1}, 2], dtype=object)), "d.npz", {},
     "array 'y' holds Python objects (a pickle)"),
    ("pickle-file", pickle.dumps({"X": [1, 2, 3]}), "d.npz", {}, "not a valid NPZ"),
    ("npz-no-X", npz(data=np.ones((3, 4))), "d.npz", {}, "no array named 'X' (found: ['data'])"),
    ("npz-1d", npz(X=np.ones(5)), "d.npz", {}, "1 dimensions"),
    ("npz-4d", npz(X=np.ones((2, 3, 4, 5))), "d.npz", {}, "4 dimensions"),
    ("npz-strings", npz(X=np.array([["a", "b"], ["c", "d"]])), "d.npz", {}, "must hold numbers"),
    ("npz-y-length", npz(X=np.ones((4, 5)), y=np.arange(3)), "d.npz", {}, "y has shape (3,) but X has 4"),
    ("npz-y-float", npz(X=np.ones((2, 5)), y=np.array([0.5, 1.0])), "d.npz", {}, "y[0] = 0.5 is not a class"),
    ("npz-nan", npz(X=np.array([[1.0, 2, 3], [4, np.nan, 6]]), y=[0, 1]), "d.npz", {},
     "X[1, 1] is empty or NaN"),
    ("npz-inf", npz(X=np.array([[1.0, 2, 3], [4, 5, np.inf]]), y=[0, 1]), "d.npz", {}, "X[1, 2] is infinite"),
    ("npz-T1", npz(X=np.ones((3, 1)), y=[0, 1, 0]), "d.npz", {}, "at least 2 steps"),
    ("npz-empty", npz(X=np.ones((0, 4)), y=np.arange(0)), "d.npz", {}, "empty"),
    ("npz-no-y", npz(X=np.ones((3, 4))), "d.npz", {}, "no y"),
    ("zip-bomb-ratio", _zip({"X.npy": b"\0" * 2_000_000}, zipfile.ZIP_BZIP2), "d.npz", {}, "zip bomb"),
    ("zip-bomb-size", _zip({"X.npy": b"\1" * 9000}), "d.npz", {"max_bytes": 2000},
     "uncompressed"),
    ("xlsx", _zip({"xl/workbook.xml": b"<workbook/>"}), "book.xlsx", {}, "Excel"),
    ("corrupt-zip", b"PK\x03\x04" + b"garbage" * 20, "d.npz", {}, "not a valid NPZ"),
    ("short-text", b"hello world", "a.txt", {}, "at least 100"),
    ("header-only", b"a,b,c\n", "a.csv", {}, "header row but no data rows"),
    ("header-only-no-name", b"time,value\n", None, {}, "header row but no data rows"),
    ("bad-date", b"date,v\n2020-01-01,1\n2020-01-02,2\nsoon,3\n2020-01-04,4\n", "a.csv", {},
     "row 4, column 1 ('date'): 'soon' is not a date/time"),
    ("same-time", b"date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n", "a.csv", {}, "same time"),
    ("unknown-feature", b"a,b\n1,2\n3,4\n", "a.csv", {"feature_columns": ["c"]}, "unknown feature column 'c'"),
    ("unknown-format", b"1\n2\n", "a.csv", {"format": "xlsx"}, "unknown format 'xlsx'"),
    ("unknown-option", b"1\n2\n", "a.csv", {"sheet": 1}, "unknown option"),
    ("comments-only", b"# just a comment\n# another\n", "a.csv", {}, "no data lines"),
]


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_raises_dataset_error(case):
    _, data, name, kw, fragment = case
    kw = dict(kw)
    fmt = kw.pop("format", None)
    with pytest.raises(DatasetError) as e:
        load_dataset(data, name, fmt, **kw)
    assert fragment in str(e.value)
    if name is not None and fragment not in ("unknown option", "unknown format 'xlsx'"):
        assert name in str(e.value)  # the message names the file


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 40


def test_bad_data_argument_and_missing_path():
    with pytest.raises(DatasetError, match="expected bytes"):
        load_dataset(123)
    with pytest.raises(DatasetError, match="not found.*as bytes"):
        load_dataset("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="not found"):
        load_dataset("/nonexistent/file.csv")


def _labelled(y):
    return load_dataset(npz(X=RNG.normal(size=(len(y), 5)), y=np.asarray(y)))


TASK_ERRORS = [
    ("one-class", lambda: dataset_task(_labelled([1, 1, 1, 1])), "at least 2 classes"),
    ("mode", lambda: dataset_task(_labelled([0, 1, 0, 1]), mode="forecast"), "does not fit a labelled"),
    ("window", lambda: dataset_task(series(np.arange(50.0)), window=45), "window of at most 39"),
    ("target", lambda: dataset_task(series(np.arange(50.0)), window=5, target_channels=["z"]),
     "unknown target channel 'z'"),
    ("val-fraction", lambda: dataset_task(series(np.arange(50.0)), val_fraction=1.0), "val_fraction"),
    ("test-class", lambda: dataset_task(_labelled(["a", "b"] * 3), test=_labelled(["a", "c"])),
     "class 'c' of the test data"),
    ("test-channels", lambda: dataset_task(
        _labelled([0, 1] * 3), test=load_dataset(npz(X=np.ones((2, 5, 2)), y=[0, 1]))), "channels"),
    ("test-kind", lambda: dataset_task(_labelled([0, 1] * 3), test=series(np.arange(9.0))), "is series"),
    ("text-seq-len", lambda: dataset_task(load_dataset(("ab " * 40).encode(), "t.txt"), seq_len=500),
     "at least 502"),
]


@pytest.mark.parametrize("case", TASK_ERRORS, ids=[c[0] for c in TASK_ERRORS])
def test_bad_task_options_raise_dataset_error(case):
    _, make, fragment = case
    with pytest.raises(DatasetError) as e:
        make()
    assert fragment in str(e.value)


@pytest.mark.parametrize("seed", range(3))
def test_mangled_files_only_ever_raise_dataset_error(seed):
    """Random byte edits and truncations of valid files: a dataset or a DatasetError, nothing else."""
    rng = np.random.default_rng(seed)
    sources = [wide_csv(n=8, T=10)[0], long_df(n=5).to_csv(index=False).encode(),
               npz(X=rng.normal(size=(4, 6)), y=np.arange(4) % 2), b"date,v\n2020-01-01,1\n2020-01-02,2\n"]
    for src in sources:
        for _ in range(40):
            b = bytearray(src)
            if rng.random() < 0.3:
                b = b[:int(rng.integers(0, len(b)))]
            for _ in range(int(rng.integers(1, 4))):
                if b:
                    b[int(rng.integers(0, len(b)))] = int(rng.choice([0, 10, 44, 46, 48, 65, 255, int(rng.integers(0, 256))]))
            try:
                ds = load_dataset(bytes(b), "f.npz" if src[:2] == b"PK" else "f.csv")
            except DatasetError:
                continue
            assert isinstance(ds, SequenceDataset) and ds.kind in ("series", "labelled", "text")
            ds.summary()


def test_formats_constant():
    assert FORMATS == ("csv_series", "csv_wide", "csv_long", "npz", "text", "ts", "arff")


def test_a_field_over_the_csv_size_limit_is_a_dataset_error():
    """The csv module's own limit (131,072 characters a field) gives a message, not a crash."""
    from core.datasets import DatasetError, load_dataset
    raw = b"a,b\n3," + b"x" * 140_000 + b"\n" + b"1,2\n" * 5
    with pytest.raises(DatasetError, match="could not read it as a table") as e:
        load_dataset(raw, "long.csv")
    assert e.value.key == "csv_unreadable" and "long.csv" in str(e.value)
