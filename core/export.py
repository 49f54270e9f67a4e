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
import zipfile
from dataclasses import asdict, dataclass

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .export_checks import (ExportError, ImportLimits, clip, check_weights, check_zip_entries,
                            expected_shapes, header, model_fields, read_json, typed_value)
from .models import ModelConfig, SeqModel

MODEL_FORMAT, SETTINGS_FORMAT = "rnn-explorer-model", "rnn-explorer-settings"
VERSION = 1
WEIGHTS_FILE, CONFIG_FILE = "model.safetensors", "config.json"
META_KEY = "rnn_explorer_config"  # safetensors metadata entry holding config.json
LIMITS = ImportLimits()  # core's own limits; the app passes its widgets' (explorer.views.data.app_limits)
HISTORY_COLUMNS = ("step", "loss", "grad_norm", "metric", "clipped", "diverged", "val_loss", "val_metric")


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


def _unzip(raw: bytes, limits: ImportLimits) -> tuple[bytes | None, bytes | None]:
    """(weights, config) from a model zip, after entry-count, size and expansion checks."""
    check_zip_entries(raw, limits)
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        infos = {i.filename.rsplit("/", 1)[-1]: i for i in z.infolist()}
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise ExportError(f"the file is not a valid zip archive ({e})", "bad_zip", detail=str(e)) from None
    for i in infos.values():
        if i.file_size > limits.max_bytes or i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise ExportError(f"{i.filename!r} expands to {i.file_size:,} bytes; refusing to extract it", "zip_bomb",
                              member=repr(i.filename), size=i.file_size)
    if WEIGHTS_FILE not in infos:
        raise ExportError(f"the zip holds {clip(str(sorted(infos))) if infos else 'nothing'}, not {WEIGHTS_FILE!r}; upload the .zip "
                          "that the Data page's 'Download the model' button makes",
                          "no_weights" if infos else "zip_empty", have=str(sorted(infos)), want=repr(WEIGHTS_FILE))
    if CONFIG_FILE in infos and infos[CONFIG_FILE].file_size > limits.max_json_bytes:
        n = infos[CONFIG_FILE].file_size
        raise ExportError(f"config.json has {n:,} bytes; at most {limits.max_json_bytes:,} are accepted",
                          "json_too_big", what="config", n=f"{n:,}", most=f"{limits.max_json_bytes:,}")
    try:
        w = z.read(infos[WEIGHTS_FILE])
        c = z.read(infos[CONFIG_FILE]) if CONFIG_FILE in infos else None
    except Exception as e:  # noqa: BLE001 - a corrupt member
        raise ExportError(f"could not read the zip's members ({e})", "zip_read", detail=str(e)) from None
    return w, c


def import_model(data: bytes, config: bytes | None = None, limits: ImportLimits = LIMITS) -> LoadedModel:
    """Rebuild a model from ``export_model``'s zip, or from a .safetensors file (config in its
    metadata, or given as ``config``, the bytes of config.json).

    Validate, then allocate: the file's size, the zip's entry count, the JSON's size and depth, every
    field of the model config against ``limits``, and every tensor's dtype and shape in the
    safetensors header against the config's model; only then are the weights read and the model
    built (on the meta device, then given the file's tensors: no initialisation, no spectral-radius
    rescaling). Raises ExportError, nothing else, for a bad file.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)) or not len(data):
        raise ExportError("the model file is empty; upload the .zip from 'Download the model'", "empty")
    raw = bytes(data)
    if len(raw) > limits.max_bytes:
        raise ExportError(f"the model file is {len(raw) / 2**20:.0f} MB, over {limits.max_bytes // 2**20} MB",
                          "too_big", mb=f"{len(raw) / 2**20:.0f}", limit=limits.max_bytes // 2**20)
    if raw[:2] == b"PK":
        raw, zc = _unzip(raw, limits)
        config = config if config is not None else zc
    head = header(raw, limits)
    if config is None:
        meta = head.get("__metadata__")
        meta = meta.get(META_KEY) if isinstance(meta, dict) else None
        if not meta or not isinstance(meta, str):
            raise ExportError("no config.json with the file, and none in the safetensors metadata: "
                              "upload the .zip from 'Download the model' (weights and config together)", "no_config")
        config = meta.encode()
    cfg = read_json(bytes(config), "config", limits)
    if cfg.get("format") != MODEL_FORMAT:
        raise ExportError(f"config.json is not an RNN Explorer model config (format {clip(repr(cfg.get('format')))}, "
                          f"expected {MODEL_FORMAT!r})", "model_format", found=repr(cfg.get("format")),
                          want=repr(MODEL_FORMAT))
    mc = model_fields(cfg.get("model"), limits)
    want = expected_shapes(mc)
    check_weights(head, want, mc["kind"])
    try:
        tensors = st_load(raw)
    except Exception as e:  # noqa: BLE001 - safetensors raises its own error types
        raise ExportError(f"the weights are not a valid safetensors file ({type(e).__name__}: {e})", "bad_weights",
                          detail=f"{type(e).__name__}: {e}") from None
    for k, t in tensors.items():
        if not bool(torch.isfinite(t).all()):
            raise ExportError(f"weight {k!r} holds NaN or infinite values", "weight_nonfinite", name=repr(k))
    with torch.device("meta"):
        model = SeqModel(ModelConfig(**mc))
    model.load_state_dict({k: t.to(torch.float32).contiguous() for k, t in tensors.items()}, assign=True)
    model.eval()
    task, settings = cfg.get("task"), cfg.get("settings")
    return LoadedModel(model, cfg, task if isinstance(task, dict) else None,
                       settings if isinstance(settings, dict) else None)


# ---- run settings -----------------------------------------------------------------------------------

def settings_json(settings: dict) -> bytes:
    """A settings file: {"format", "version", "settings": {...}}."""
    return json.dumps({"format": SETTINGS_FORMAT, "version": VERSION, "settings": _jsonable(settings)},
                      indent=2).encode()


def typed_fields(d: dict, schema: dict, where: str = "settings") -> dict:
    """The fields of ``d`` that ``schema`` names (field -> int, float, bool or str), each converted
    to its type; ExportError for a value of another type (an int may be written 3.0)."""
    return {k: typed_value(k, d[k], typ, where) for k, typ in schema.items() if k in d}


def read_settings(data: bytes, schema: dict, limits: ImportLimits = LIMITS) -> dict:
    """Settings from ``settings_json``'s bytes, checked against ``schema`` (field -> type:
    int, float, bool or str); every field must be there, with a value of its type."""
    d = read_json(bytes(data), "settings", limits)
    if d.get("format") != SETTINGS_FORMAT:
        raise ExportError(f"the settings file is not RNN Explorer run settings (format {clip(repr(d.get('format')))}, "
                          f"expected {SETTINGS_FORMAT!r})", "settings_format", found=repr(d.get("format")),
                          want=repr(SETTINGS_FORMAT))
    s = d.get("settings")
    if not isinstance(s, dict):
        raise ExportError("the settings file has no 'settings' object", "no_settings")
    missing, unknown = sorted(set(schema) - set(s)), sorted(set(s) - set(schema))
    if missing or unknown:
        raise ExportError(f"the settings file lacks {missing} / has unknown {unknown}; expected {sorted(schema)}",
                          "settings_fields", missing=str(missing), unknown=str(unknown), expected=str(sorted(schema)))
    return typed_fields(s, schema)


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
