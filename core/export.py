"""Export and import: a model as safetensors + JSON config, run settings as JSON, history as CSV.

Nothing is unpickled: weights are read with ``safetensors.torch.load`` (plain tensors), configs
with ``json``. A model download is one zip holding ``model.safetensors`` and ``config.json``; the
config is also stored in the safetensors header's metadata, so a lone ``.safetensors`` file loads
too. Bad files raise ``ExportError`` with a message a person can act on.
"""
from __future__ import annotations

import csv
import io
import json
import math
import struct
import zipfile
from dataclasses import asdict, dataclass, fields

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .models import MODEL_KINDS, ModelConfig, SeqModel, model_from_config

MODEL_FORMAT, SETTINGS_FORMAT = "rnn-explorer-model", "rnn-explorer-settings"
VERSION = 1
WEIGHTS_FILE, CONFIG_FILE = "model.safetensors", "config.json"
META_KEY = "rnn_explorer_config"  # safetensors metadata entry holding config.json
MAX_BYTES = 200 * 2**20  # largest archive, member or header accepted
MAX_RATIO = 1000  # largest expansion of one zip member
MAX_SIZE = 100_000  # largest input/output size accepted in a config (the app's are far smaller)
MAX_HIDDEN = 4096  # largest hidden size accepted in a config
HISTORY_COLUMNS = ("step", "loss", "grad_norm", "metric", "clipped", "diverged", "val_loss", "val_metric")


class ExportError(ValueError):
    """A file that is not a valid export; the message says what is wrong.

    ``key`` names the message and ``params`` its values, so that a user interface can show it in
    another language (explorer.data_text.export_error_text); the message itself stays English.
    """

    def __init__(self, message: str, key: str | None = None, **params):
        super().__init__(message)
        self.key = key  # message name, e.g. "bad_zip"; None: only the English message
        self.params = params  # the message's values (strings and numbers)

    def __reduce__(self):  # copies and pickles keep the key and params
        return type(self), (self.args[0], self.key), {"params": self.params}


@dataclass(frozen=True)
class LoadedModel:
    """What ``import_model`` read."""

    model: SeqModel  # rebuilt from the config, weights loaded, on the CPU
    config: dict  # the whole config.json
    task: dict | None  # the task it was trained on (name, seq_len, params, sizes), if recorded
    settings: dict | None  # the run settings it was trained with, if recorded


# ---- JSON helpers ---------------------------------------------------------------------------------

def _jsonable(v):
    """``v`` with tuples as lists and anything JSON cannot hold dropped (None)."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float) or hasattr(v, "__float__") and not hasattr(v, "shape"):
        f = float(v)
        return f if math.isfinite(f) else None
    if hasattr(v, "tolist"):
        return _jsonable(v.tolist())
    return None


def task_record(task) -> dict:
    """The parts of a ``core.Task`` needed to rebuild it and to check a model fits it."""
    return {"name": task.name, "seq_len": int(task.seq_len), "io": task.io, "head": task.head,
            "input_size": int(task.input_size), "output_size": int(task.output_size),
            "loss_kind": task.loss_kind, "params": _jsonable(task.params)}


JSON_SOURCES = {"config": "config.json", "header": "the safetensors header", "settings": "the settings file"}


def _read_json(raw: bytes, src: str) -> dict:
    """The JSON object in ``raw``; ``src`` is a key of JSON_SOURCES (named in error messages)."""
    what = JSON_SOURCES[src]
    try:
        d = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ExportError(f"{what} is not UTF-8 text; expected a JSON file", "not_utf8", what=src) from None
    except json.JSONDecodeError as e:
        raise ExportError(f"{what} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}", "bad_json",
                          what=src, msg=e.msg, line=e.lineno, col=e.colno) from None
    if not isinstance(d, dict):
        raise ExportError(f"{what} holds a JSON {type(d).__name__}; expected an object {{...}}", "not_object",
                          what=src, type=type(d).__name__)
    return d


# ---- models ---------------------------------------------------------------------------------------

def model_config(model: SeqModel, task=None, settings: dict | None = None) -> dict:
    """config.json of ``model``: its ModelConfig, and the task and run settings when given."""
    return {"format": MODEL_FORMAT, "version": VERSION, "model": asdict(model.config),
            "task": None if task is None else task_record(task),
            "settings": None if settings is None else _jsonable(settings)}


def export_model(model: SeqModel, task=None, settings: dict | None = None) -> bytes:
    """One zip: ``model.safetensors`` (weights, config in its metadata) and ``config.json``."""
    cfg = json.dumps(model_config(model, task, settings), indent=2)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    weights = st_save(tensors, metadata={META_KEY: cfg})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(WEIGHTS_FILE, weights)
        z.writestr(CONFIG_FILE, cfg)
    return buf.getvalue()


def _header_metadata(raw: bytes) -> dict:
    """The ``__metadata__`` of a safetensors file (8-byte little-endian length, then JSON)."""
    if len(raw) < 8:
        raise ExportError(f"the weights file has {len(raw)} bytes; a safetensors file starts with an 8-byte header "
                          "size", "short_weights", n=len(raw))
    (n,) = struct.unpack("<Q", raw[:8])
    if n > min(len(raw) - 8, MAX_BYTES):
        raise ExportError("the weights file is not a safetensors file (its header size is wrong)", "bad_header")
    head = _read_json(raw[8:8 + n], "header")
    meta = head.get("__metadata__") or {}
    return meta if isinstance(meta, dict) else {}


def _unzip(raw: bytes) -> tuple[bytes | None, bytes | None]:
    """(weights, config) from a model zip, after size and expansion checks."""
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        infos = {i.filename.rsplit("/", 1)[-1]: i for i in z.infolist()}
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise ExportError(f"the file is not a valid zip archive ({e})", "bad_zip", detail=str(e)) from None
    for i in infos.values():
        if i.file_size > MAX_BYTES or i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ExportError(f"{i.filename!r} expands to {i.file_size:,} bytes; refusing to extract it", "zip_bomb",
                              member=repr(i.filename), size=i.file_size)
    if WEIGHTS_FILE not in infos:
        raise ExportError(f"the zip holds {sorted(infos) or 'nothing'}, not {WEIGHTS_FILE!r}; upload the .zip "
                          "that the Data page's 'Download the model' button makes",
                          "no_weights" if infos else "zip_empty", have=str(sorted(infos)), want=repr(WEIGHTS_FILE))
    try:
        w = z.read(infos[WEIGHTS_FILE])
        c = z.read(infos[CONFIG_FILE]) if CONFIG_FILE in infos else None
    except Exception as e:  # noqa: BLE001 - a corrupt member
        raise ExportError(f"could not read the zip's members ({e})", "zip_read", detail=str(e)) from None
    return w, c


def _check_model_config(d) -> dict:
    if not isinstance(d, dict):
        raise ExportError("config.json has no 'model' object (the ModelConfig of the network)", "no_model")
    names = {f.name for f in fields(ModelConfig)}
    unknown, missing = sorted(set(d) - names), sorted({"kind", "input_size", "hidden_size", "output_size"} - set(d))
    if unknown or missing:
        raise ExportError(f"config.json's 'model' has unknown fields {unknown} / lacks {missing}; "
                          f"expected the fields of ModelConfig: {sorted(names)}", "model_fields",
                          unknown=str(unknown), missing=str(missing), expected=str(sorted(names)))
    if d["kind"] not in MODEL_KINDS:
        raise ExportError(f"config.json: kind {d['kind']!r} is not one of {MODEL_KINDS}", "bad_kind",
                          kind=repr(d["kind"]), kinds=str(MODEL_KINDS))
    for k, hi in (("input_size", MAX_SIZE), ("output_size", MAX_SIZE), ("hidden_size", MAX_HIDDEN)):
        v = d[k]
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
            raise ExportError(f"config.json: {k} = {v!r}; it must be an integer from 1 to {hi}", "bad_size",
                              name=k, value=repr(v), hi=hi)
    return d


def import_model(data: bytes, config: bytes | None = None) -> LoadedModel:
    """Rebuild a model from ``export_model``'s zip, or from a .safetensors file (config in its
    metadata, or given as ``config``, the bytes of config.json)."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or not len(data):
        raise ExportError("the model file is empty; upload the .zip from 'Download the model'", "empty")
    raw = bytes(data)
    if len(raw) > MAX_BYTES:
        raise ExportError(f"the model file is {len(raw) / 2**20:.0f} MB, over {MAX_BYTES // 2**20} MB", "too_big",
                          mb=f"{len(raw) / 2**20:.0f}", limit=MAX_BYTES // 2**20)
    if raw[:2] == b"PK":
        raw, zc = _unzip(raw)
        config = config if config is not None else zc
    if config is None:
        meta = _header_metadata(raw).get(META_KEY)
        if not meta:
            raise ExportError("no config.json with the file, and none in the safetensors metadata: "
                              "upload the .zip from 'Download the model' (weights and config together)", "no_config")
        config = meta.encode()
    cfg = _read_json(config, "config")
    if cfg.get("format") != MODEL_FORMAT:
        raise ExportError(f"config.json is not an RNN Explorer model config (format {cfg.get('format')!r}, "
                          f"expected {MODEL_FORMAT!r})", "model_format", found=repr(cfg.get("format")),
                          want=repr(MODEL_FORMAT))
    mc = _check_model_config(cfg.get("model"))
    try:
        model = model_from_config(mc)
    except (TypeError, ValueError) as e:
        raise ExportError(f"config.json describes no valid model: {e}", "invalid_model", detail=str(e)) from None
    try:
        tensors = st_load(raw)
    except Exception as e:  # noqa: BLE001 - safetensors raises its own error types
        raise ExportError(f"the weights are not a valid safetensors file ({type(e).__name__}: {e})", "bad_weights",
                          detail=f"{type(e).__name__}: {e}") from None
    want = model.state_dict()
    missing, extra = sorted(set(want) - set(tensors)), sorted(set(tensors) - set(want))
    if missing or extra:
        raise ExportError(f"the weights do not fit the config's {mc['kind'].upper()}: missing {missing[:4]}, "
                          f"unexpected {extra[:4]}", "weights_mismatch", kind=mc["kind"].upper(),
                          missing=str(missing[:4]), extra=str(extra[:4]))
    for k, v in want.items():
        t = tensors[k]
        if tuple(t.shape) != tuple(v.shape):
            raise ExportError(f"weight {k!r} has shape {tuple(t.shape)} but the config needs {tuple(v.shape)}",
                              "weight_shape", name=repr(k), shape=str(tuple(t.shape)), need=str(tuple(v.shape)))
        if not t.is_floating_point():
            raise ExportError(f"weight {k!r} has dtype {t.dtype}; weights must be floating point", "weight_dtype",
                              name=repr(k), dtype=str(t.dtype))
        if not bool(torch.isfinite(t).all()):
            raise ExportError(f"weight {k!r} holds NaN or infinite values", "weight_nonfinite", name=repr(k))
    model.load_state_dict({k: t.to(want[k].dtype) for k, t in tensors.items()})
    model.eval()
    task, settings = cfg.get("task"), cfg.get("settings")
    return LoadedModel(model, cfg, task if isinstance(task, dict) else None,
                       settings if isinstance(settings, dict) else None)


# ---- run settings -----------------------------------------------------------------------------------

def settings_json(settings: dict) -> bytes:
    """A settings file: {"format", "version", "settings": {...}}."""
    return json.dumps({"format": SETTINGS_FORMAT, "version": VERSION, "settings": _jsonable(settings)},
                      indent=2).encode()


def read_settings(data: bytes, schema: dict) -> dict:
    """Settings from ``settings_json``'s bytes, checked against ``schema`` (field -> type:
    int, float, bool or str); every field must be there, with a value of its type."""
    d = _read_json(bytes(data), "settings")
    if d.get("format") != SETTINGS_FORMAT:
        raise ExportError(f"the settings file is not RNN Explorer run settings (format {d.get('format')!r}, "
                          f"expected {SETTINGS_FORMAT!r})", "settings_format", found=repr(d.get("format")),
                          want=repr(SETTINGS_FORMAT))
    s = d.get("settings")
    if not isinstance(s, dict):
        raise ExportError("the settings file has no 'settings' object", "no_settings")
    missing, unknown = sorted(set(schema) - set(s)), sorted(set(s) - set(schema))
    if missing or unknown:
        raise ExportError(f"the settings file lacks {missing} / has unknown {unknown}; expected {sorted(schema)}",
                          "settings_fields", missing=str(missing), unknown=str(unknown), expected=str(sorted(schema)))
    out = {}
    for k, typ in schema.items():
        v = s[k]
        ok = (isinstance(v, bool) if typ is bool else
              isinstance(v, (int, float)) and not isinstance(v, bool) and (typ is float or float(v).is_integer())
              if typ in (int, float) else isinstance(v, typ))
        if not ok or (typ is float and not math.isfinite(v)):
            raise ExportError(f"setting {k!r} = {v!r} is not a valid {typ.__name__}", "bad_setting", name=repr(k),
                              value=repr(v), type=typ.__name__)
        out[k] = typ(v)
    return out


# ---- history ----------------------------------------------------------------------------------------

def history_csv(history: list[dict], val_steps=(), val_loss=(), val_metric=()) -> bytes:
    """One row per training step (``Trainer.history`` records); held-out loss and metric on the
    steps where they were measured, empty elsewhere."""
    val = {int(s): (l, m) for s, l, m in zip(val_steps, val_loss, val_metric)}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HISTORY_COLUMNS)

    def num(v):
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(float(v))

    rows, steps = [], set()
    for r in history:
        s = int(r["step"])
        steps.add(s)
        vl, vm = val.get(s, (None, None))
        rows.append([s, num(r.get("loss")), num(r.get("grad_norm")), num(r.get("metric")),
                     int(bool(r.get("clipped"))), int(bool(r.get("diverged"))), num(vl), num(vm)])
    rows += [[s, "", "", "", 0, 0, num(val[s][0]), num(val[s][1])] for s in set(val) - steps]
    w.writerows(sorted(rows, key=lambda row: row[0]))
    return buf.getvalue().encode()
