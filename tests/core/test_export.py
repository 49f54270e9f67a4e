"""Export and import: models round-trip bit for bit through safetensors + JSON (nothing unpickled),
uploads train and come back with the same predictions, bad files raise ExportError, settings and
histories round-trip."""
import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import save as st_save

from core import Trainer, build_model, get_task
from core.datasets import dataset_task, load_dataset
from core.export import (CONFIG_FILE, HISTORY_COLUMNS, META_KEY, WEIGHTS_FILE, ExportError, export_model,
                         history_csv, import_model, model_config, read_settings, settings_json)

RNG = np.random.default_rng(0)


def _same(a, b, x, lengths=None):
    a.eval(), b.eval()
    with torch.no_grad():
        torch.testing.assert_close(a(x, lengths), b(x, lengths), rtol=0, atol=0)


@pytest.mark.parametrize("kind,head,kw", [
    ("rnn", "per_step", dict(nonlinearity="relu")), ("lstm", "last", dict(num_layers=2, bidirectional=True)),
    ("gru", "attention", {}), ("lstm", "encoder_decoder", dict(out_steps=4)), ("rnn", "last", dict(nonlinearity="linear")),
])
def test_model_round_trip_is_exact(kind, head, kw):
    m = build_model(kind, 3, 8, 2, head=head, seed=5, **kw)
    loaded = import_model(export_model(m))
    assert loaded.model.config == m.config
    for k, v in m.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[k], v)
    _same(m, loaded.model, torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(1)))


def test_zip_layout_and_lone_safetensors_file():
    m = build_model("gru", 2, 4, 1, seed=0)
    z = zipfile.ZipFile(io.BytesIO(export_model(m, get_task("sine", seq_len=20), {"lr": 0.01})))
    assert sorted(z.namelist()) == sorted([WEIGHTS_FILE, CONFIG_FILE])
    cfg = json.loads(z.read(CONFIG_FILE))
    assert cfg["model"]["kind"] == "gru" and cfg["task"]["name"] == "sine" and cfg["task"]["seq_len"] == 20
    assert cfg["settings"] == {"lr": 0.01}
    weights = z.read(WEIGHTS_FILE)
    alone = import_model(weights)  # the config travels in the safetensors metadata too
    assert alone.task["name"] == "sine" and alone.settings == {"lr": 0.01}
    # a separate config.json wins over the metadata
    other = dict(cfg, settings={"lr": 0.5})
    assert import_model(weights, json.dumps(other).encode()).settings == {"lr": 0.5}


def _long_csv(n=30):
    rows = []
    for i in range(n):
        for t in range(int(RNG.integers(5, 12))):
            rows.append((f"s{i}", t, *np.round(RNG.normal(size=2) + (i % 3), 3), "abc"[i % 3]))
    return pd.DataFrame(rows, columns=["sequence_id", "t", "f0", "f1", "label"]).to_csv(index=False).encode()


def _series_csv():
    df = pd.DataFrame({"date": pd.date_range("2022-01-01", periods=200), "a": np.sin(np.arange(200) / 5),
                       "b": np.cos(np.arange(200) / 9)})
    return df.to_csv(index=False).encode()


def _wide_tsv():
    y = np.arange(24) % 2
    X = np.sin(np.linspace(0, 6, 30)[None] * (y[:, None] + 1)) + RNG.normal(0, 0.1, (24, 30))
    return "\n".join("\t".join([str(c)] + [f"{v:.4f}" for v in r]) for c, r in zip(y, X)).encode()


def _npz():
    buf = io.BytesIO()
    np.savez(buf, X=RNG.normal(size=(20, 15, 3)).astype(np.float32), y=np.array(["up", "down"] * 10))
    return buf.getvalue()


UPLOADS = [  # (file, bytes, task options)
    ("series.csv", _series_csv(), dict(window=20, mode="forecast")),
    ("series_last.csv", _series_csv(), dict(window=20, mode="forecast_last", horizon=3)),
    ("ucr_TRAIN.tsv", _wide_tsv(), {}),
    ("long.csv", _long_csv(), {}),
    ("arrays.npz", _npz(), {}),
    ("poem.txt", ("the quick brown fox jumps over the lazy dog. " * 20).encode(), dict(seq_len=16)),
]


@pytest.mark.parametrize("name,data,opts", UPLOADS, ids=[u[0] for u in UPLOADS])
def test_upload_train_export_import_same_predictions(name, data, opts):
    ds = load_dataset(data, name)
    task = dataset_task(ds, **opts)
    model = build_model("lstm", task.input_size, 8, task.output_size, head=task.head, seed=1)
    tr = Trainer(model, task, lr=1e-2, batch_size=8, device="cpu", seed=0)
    tr.train(5)
    loaded = import_model(export_model(model, task, {"task": task.name}))
    assert loaded.task["name"] == f"upload:{ds.name}" and loaded.task["input_size"] == task.input_size
    v = tr.validation_batch(64)
    _same(model, loaded.model, v.x, v.lengths)
    if name == "long.csv":  # variable lengths: padded batches give the same per-sequence outputs
        assert v.lengths is not None and int(v.lengths.min()) < int(v.lengths.max())
    # and the reloaded model trains on: the task rebuilt from the same file fits it
    again = dataset_task(load_dataset(data, name), **opts)
    assert np.isfinite(Trainer(loaded.model, again, lr=1e-2, batch_size=8, device="cpu").evaluate()["loss"])


def _zip(members: dict, method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for k, v in members.items():
            z.writestr(k, v)
    return buf.getvalue()


GOOD = build_model("rnn", 2, 4, 1, seed=0)
GOOD_ZIP = export_model(GOOD)
GOOD_W = zipfile.ZipFile(io.BytesIO(GOOD_ZIP)).read(WEIGHTS_FILE)
GOOD_CFG = model_config(GOOD)


def _cfg(**model):
    return json.dumps(dict(GOOD_CFG, model=dict(GOOD_CFG["model"], **model))).encode()


BAD = [
    ("empty", b"", None, "empty"),
    ("pickle", pickle.dumps({"w": [1, 2]}), None, "safetensors"),
    ("torch-save", b"PK\x03\x04" + b"\x00" * 40, None, "not a valid zip"),
    ("zip-without-weights", _zip({"notes.txt": b"hi"}), None, "not 'model.safetensors'"),
    ("zip-bomb", _zip({WEIGHTS_FILE: b"\0" * 3_000_000}, zipfile.ZIP_BZIP2), None, "refusing to extract"),
    ("no-config", st_save({"w": torch.zeros(2)}), None, "no config.json"),
    ("config-not-json", GOOD_W, b"{kind: rnn", "not valid JSON"),
    ("config-list", GOOD_W, b"[1, 2]", "JSON list"),
    ("config-wrong-format", GOOD_W, json.dumps({"format": "keras"}).encode(), "not an RNN Explorer model"),
    ("config-bad-kind", GOOD_W, _cfg(kind="transformer"), "kind 'transformer'"),
    ("config-huge", GOOD_W, _cfg(hidden_size=10**9), "hidden_size"),
    ("config-unknown-field", GOOD_W, _cfg(dropout=0.5), "unknown fields ['dropout']"),
    ("config-bad-head", GOOD_W, _cfg(head="mean"), "head 'mean' is not one of"),
    ("shape-mismatch", GOOD_W, _cfg(hidden_size=5), "shape"),
    ("kind-mismatch", GOOD_W, _cfg(kind="lstm"), "shape"),
    ("missing-tensor", st_save({k: v for k, v in GOOD.state_dict().items() if "readout" not in k}),
     json.dumps(GOOD_CFG).encode(), "missing ['readout.bias'"),
    ("int-weights", st_save({k: v.to(torch.int32) for k, v in GOOD.state_dict().items()}),
     json.dumps(GOOD_CFG).encode(), "floating point"),
    ("nan-weights", st_save({k: v * float("nan") for k, v in GOOD.state_dict().items()}),
     json.dumps(GOOD_CFG).encode(), "NaN"),
    ("truncated", GOOD_W[:-10], json.dumps(GOOD_CFG).encode(), "do not fit the file (truncated"),
    ("garbage-header", b"\xff" * 64, json.dumps(GOOD_CFG).encode(), "not a safetensors file"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_model_files_raise_export_error(case):
    _, data, cfg, fragment = case
    with pytest.raises(ExportError) as e:
        import_model(data, cfg)
    assert fragment in str(e.value)


def test_nothing_is_unpickled(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("unpickling during import")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    assert import_model(GOOD_ZIP).model.config == GOOD.config


SCHEMA = {"task": str, "hidden": int, "lr": float, "bidirectional": bool}


def test_settings_round_trip_and_errors():
    s = {"task": "adding", "hidden": 32, "lr": 0.003, "bidirectional": True}
    assert read_settings(settings_json(s), SCHEMA) == s
    assert read_settings(settings_json(dict(s, lr=1)), SCHEMA)["lr"] == 1.0  # an int is a float
    bad = [(b"not json", "not valid JSON"), (json.dumps({"settings": s}).encode(), "not RNN Explorer"),
           (settings_json({**s, "extra": 1}), "unknown ['extra']"), (settings_json({"task": "x"}), "lacks"),
           (settings_json(dict(s, hidden=3.5)), "'hidden' = 3.5"), (settings_json(dict(s, bidirectional=1)), "bool"),
           (settings_json(dict(s, hidden=True)), "'hidden' = True"), ("é".encode("latin-1"), "not UTF-8")]
    for data, fragment in bad:
        with pytest.raises(ExportError, match=None) as e:
            read_settings(data, SCHEMA)
        assert fragment in str(e.value), (fragment, str(e.value))


def test_history_csv():
    tr = Trainer(build_model("gru", 1, 4, 1, seed=0), get_task("sine", seq_len=10), batch_size=4, device="cpu")
    tr.train(6)
    ev = tr.evaluate()
    out = history_csv(tr.history, [0, 6], [1.5, ev["loss"]], [1.5, ev["metric"]])
    df = pd.read_csv(io.BytesIO(out))
    assert tuple(df.columns) == HISTORY_COLUMNS and list(df.step) == [0, 1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(df.loss[1:], [r["loss"] for r in tr.history])
    np.testing.assert_allclose(df.grad_norm[1:], [r["grad_norm"] for r in tr.history])
    assert df.val_loss.iloc[-1] == pytest.approx(ev["loss"]) and df.val_loss[1:6].isna().all()
    assert np.isnan(df.loss[0]) and df.val_loss[0] == 1.5


def test_metadata_key_holds_the_config():
    from safetensors import safe_open  # noqa: F401 - only to document where the metadata lives
    import struct
    n = struct.unpack("<Q", GOOD_W[:8])[0]
    meta = json.loads(GOOD_W[8:8 + n])["__metadata__"]
    assert json.loads(meta[META_KEY])["model"] == GOOD_CFG["model"]
