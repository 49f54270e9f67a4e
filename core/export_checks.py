"""Checks of an imported file, made on its bytes BEFORE anything is allocated for it.

Validate, then allocate: a zip's entry count is read from its end record before ``zipfile`` lists
the entries; JSON is measured (size, nesting depth) before ``json.loads`` recurses into it; a
safetensors header (8-byte little-endian length, then JSON) gives every tensor's dtype, shape and
byte range, which are checked against the config's model (built on torch's ``meta`` device: shapes
without storage) before a single weight is read. Error messages and the values quoted in them are
clipped (``MAX_MESSAGE``, ``MAX_VALUE``): a file never decides how long a message gets.
"""
from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass, fields

import numpy as np

MAX_MESSAGE = 400  # characters of an error message
MAX_VALUE = 120  # characters of one value quoted in a message
ST_DTYPES = {"F16": 2, "BF16": 2, "F32": 4, "F64": 8}  # floating safetensors dtypes -> bytes per value
_EOCD = b"PK\x05\x06"  # a zip's end-of-central-directory record


def clip(s: str, n: int = MAX_VALUE) -> str:
    """``s`` cut to ``n`` characters (an ellipsis marks the cut)."""
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "…"


class ExportError(ValueError):
    """A file that is not a valid export; the message says what is wrong.

    ``key`` names the message and ``params`` its values, so that a user interface can show it in
    another language (explorer.views.data_text.export_error_text); the message itself stays English.
    Messages and string values are clipped to ``MAX_MESSAGE`` / ``MAX_VALUE`` characters.
    """

    def __init__(self, message: str, key: str | None = None, **params):
        super().__init__(clip(message, MAX_MESSAGE))
        self.key = key  # message name, e.g. "bad_zip"; None: only the English message
        self.params = {k: clip(v) if isinstance(v, str) else v for k, v in params.items()}  # the message's values

    def __reduce__(self):  # copies and pickles keep the key and params
        return type(self), (self.args[0], self.key), {"params": self.params}


@dataclass(frozen=True)
class ImportLimits:
    """The largest things an import may declare. Core's defaults are generous; the app passes its
    own widgets' limits (explorer.views.data.app_limits)."""

    max_bytes: int = 200 * 2**20  # largest file or zip member
    max_ratio: int = 1000  # largest expansion of one zip member
    max_entries: int = 16  # zip members (an export holds 2)
    max_json_bytes: int = 2**20  # largest config.json, settings file or safetensors header
    max_json_depth: int = 32  # deepest nesting of [ and { (an export nests 4 deep)
    max_size: int = 100_000  # largest input / output size
    max_hidden: int = 4096  # largest hidden size
    max_layers: int = 3  # most stacked layers
    max_steps: int = 100_000  # largest out_steps (and recorded sequence length)


# ---- zip ------------------------------------------------------------------------------------------

def zip_entries(raw: bytes) -> int | None:
    """The entry count a zip's end record declares (None: no end record found). 0xFFFF (zip64)
    counts as 65,535: more than any export holds."""
    tail = raw[-(22 + 65535):]
    i = tail.rfind(_EOCD)
    if i < 0 or len(tail) - i < 22:
        return None
    return struct.unpack("<H", tail[i + 10:i + 12])[0]


def check_zip_entries(raw: bytes, limits: ImportLimits) -> None:
    n = zip_entries(raw)
    if n is not None and n > limits.max_entries:
        raise ExportError(f"the zip holds {n:,} entries; a model export holds 2 (model.safetensors, config.json)",
                          "zip_entries", n=f"{n:,}", most=limits.max_entries)


# ---- JSON -----------------------------------------------------------------------------------------

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def json_depth(raw: bytes) -> int:
    """The deepest nesting of brackets in JSON text ``raw`` (strings skipped), without parsing it."""
    s = np.frombuffer(_STRING.sub(b'""', raw), dtype=np.uint8)
    step = (np.isin(s, (ord("["), ord("{"))).astype(np.int32) - np.isin(s, (ord("]"), ord("}"))))
    return int(np.cumsum(step).max(initial=0))


JSON_SOURCES = {"config": "config.json", "header": "the safetensors header", "settings": "the settings file"}


def read_json(raw: bytes, src: str, limits: ImportLimits) -> dict:
    """The JSON object in ``raw`` after size and depth checks; ``src`` is a key of JSON_SOURCES."""
    what = JSON_SOURCES[src]
    if len(raw) > limits.max_json_bytes:
        raise ExportError(f"{what} has {len(raw):,} bytes; at most {limits.max_json_bytes:,} are accepted",
                          "json_too_big", what=src, n=f"{len(raw):,}", most=f"{limits.max_json_bytes:,}")
    depth = json_depth(raw)
    if depth > limits.max_json_depth:
        raise ExportError(f"{what} nests {depth:,} levels deep; at most {limits.max_json_depth} are accepted",
                          "json_deep", what=src, depth=f"{depth:,}", most=limits.max_json_depth)
    try:
        d = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ExportError(f"{what} is not UTF-8 text; expected a JSON file", "not_utf8", what=src) from None
    except json.JSONDecodeError as e:
        raise ExportError(f"{what} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}", "bad_json",
                          what=src, msg=e.msg, line=e.lineno, col=e.colno) from None
    except (RecursionError, ValueError) as e:  # e.g. an integer of too many digits
        raise ExportError(f"{what} is not valid JSON: {e}", "bad_json", what=src, msg=clip(str(e)), line=1,
                          col=1) from None
    if not isinstance(d, dict):
        raise ExportError(f"{what} holds a JSON {type(d).__name__}; expected an object {{...}}", "not_object",
                          what=src, type=type(d).__name__)
    return d


# ---- typed fields ---------------------------------------------------------------------------------

def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    """A finite JSON number (an int within 64 bits: float() of a larger one overflows)."""
    if _is_int(v):
        return abs(v) < 2**63
    return isinstance(v, float) and math.isfinite(v)


def typed_value(name: str, v, typ, where: str = "settings"):
    """``v`` as ``typ`` (int, float, bool or str) when it is a JSON value of that type (an int may
    be written 3.0); otherwise ExportError ``bad_setting`` (``where`` "settings") or ``bad_field``
    ("config": a field of config.json's model) -- never ValueError or OverflowError."""
    if typ is bool:
        ok = isinstance(v, bool)
    elif typ is int:
        ok = _is_num(v) and float(v).is_integer() and abs(v) < 2**63
    elif typ is float:
        ok = _is_num(v)
    else:
        ok = isinstance(v, typ)
    if not ok:
        what = "setting" if where == "settings" else "config.json: field"
        raise ExportError(f"{what} {name!r} = {clip(repr(v))} is not a valid {typ.__name__}",
                          "bad_setting" if where == "settings" else "bad_field", name=repr(name), value=repr(v),
                          type=typ.__name__)
    return typ(v)


def model_fields(d, limits: ImportLimits) -> dict:
    """The ``model`` object of a config, every field type- and range-checked (nothing built)."""
    from .models import HEADS, MODEL_KINDS, NONLINEARITIES, RECURRENT_INITS, ModelConfig

    if not isinstance(d, dict):
        raise ExportError("config.json has no 'model' object (the ModelConfig of the network)", "no_model")
    names = {f.name for f in fields(ModelConfig)}
    unknown, missing = sorted(set(d) - names), sorted({"kind", "input_size", "hidden_size", "output_size"} - set(d))
    if unknown or missing:
        # The message quotes the same clipped values as its params, so that every language says the same.
        u, m, e = clip(str(unknown)), clip(str(missing)), clip(str(sorted(names)))
        raise ExportError(f"config.json's 'model' has unknown fields {u} / lacks {m}; "
                          f"expected the fields of ModelConfig: {e}", "model_fields", unknown=u, missing=m, expected=e)
    choices = {"kind": MODEL_KINDS, "nonlinearity": NONLINEARITIES, "head": HEADS, "recurrent_init": RECURRENT_INITS}
    for k, allowed in choices.items():
        if k in d and not (isinstance(d[k], str) and d[k] in allowed):
            key = "bad_kind" if k == "kind" else "bad_choice"
            raise ExportError(f"config.json: {k} {clip(repr(d[k]))} is not one of {allowed}", key, name=k,
                              kind=repr(d[k]), value=repr(d[k]), kinds=str(allowed))
    ranges = {"input_size": limits.max_size, "output_size": limits.max_size, "hidden_size": limits.max_hidden,
              "num_layers": limits.max_layers, "out_steps": limits.max_steps}
    for k, hi in ranges.items():
        v = d.get(k, 1 if k != "out_steps" else None)
        if v is None and k == "out_steps":
            continue
        if not _is_int(v) or not 1 <= v <= hi:
            raise ExportError(f"config.json: {k} = {clip(repr(v))}; it must be an integer from 1 to {hi:,}",
                              "bad_size", name=k, value=repr(v), hi=f"{hi:,}")
    if not isinstance(d.get("bidirectional", False), bool):
        typed_value("bidirectional", d["bidirectional"], bool, "config")
    for k in ("spectral_radius", "forget_bias"):
        if d.get(k) is not None:
            typed_value(k, d[k], float, "config")
    if d.get("forget_bias") is not None and d["kind"] != "lstm":
        raise ExportError("config.json describes no valid model: forget_bias applies to LSTM cells only",
                          "invalid_model", detail="forget_bias applies to LSTM cells only")
    if d.get("seed") is not None:
        d["seed"] = typed_value("seed", d["seed"], int, "config")  # an int within 64 bits
    return d


def expected_shapes(mc: dict) -> dict[str, tuple]:
    """name -> shape of every tensor the model of config ``mc`` holds; nothing is allocated (meta)."""
    import torch

    from .models import ModelConfig, SeqModel

    with torch.device("meta"):
        model = SeqModel(ModelConfig(**mc))
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def header(raw: bytes, limits: ImportLimits) -> dict:
    """The parsed safetensors header of ``raw``: its JSON (tensors and ``__metadata__``), each
    tensor's entry checked (a floating dtype, a shape, a byte range inside the file that fits it)."""
    if len(raw) < 8:
        raise ExportError(f"the weights file has {len(raw)} bytes; a safetensors file starts with an 8-byte header "
                          "size", "short_weights", n=len(raw))
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ExportError("the weights file is not a safetensors file (its header size is wrong)", "bad_header")
    head = read_json(raw[8:8 + n], "header", limits)
    body = len(raw) - 8 - n
    for name, e in head.items():
        if name == "__metadata__":
            continue
        ok = (isinstance(e, dict) and isinstance(e.get("shape"), list) and isinstance(e.get("data_offsets"), list)
              and len(e["data_offsets"]) == 2 and all(_is_int(x) and x >= 0 for x in e["shape"] + e["data_offsets"]))
        if not ok:
            raise ExportError("the weights file is not a safetensors file (its header size is wrong)", "bad_header")
        if e.get("dtype") not in ST_DTYPES:
            raise ExportError(f"weight {clip(repr(name))} has dtype {clip(str(e.get('dtype')))}; weights must be "
                              "floating point", "weight_dtype", name=repr(name), dtype=str(e.get("dtype")))
        a, b = e["data_offsets"]
        if not a <= b <= body or b - a != math.prod(e["shape"]) * ST_DTYPES[e["dtype"]]:
            raise ExportError(f"weight {clip(repr(name))}: its bytes do not fit the file (truncated or not a "
                              "safetensors file)", "weight_bytes", name=repr(name))
    return head


def check_weights(head: dict, want: dict[str, tuple], kind: str) -> None:
    """The header's tensors against the shapes the config needs (names, then shapes)."""
    have = {k: tuple(v["shape"]) for k, v in head.items() if k != "__metadata__"}
    missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
    if missing or extra:
        raise ExportError(f"the weights do not fit the config's {kind.upper()}: missing {missing[:4]}, "
                          f"unexpected {[clip(x, 40) for x in extra[:4]]}", "weights_mismatch", kind=kind.upper(),
                          missing=str(missing[:4]), extra=str([clip(x, 40) for x in extra[:4]]))
    for k, shape in want.items():
        if have[k] != shape:
            raise ExportError(f"weight {k!r} has shape {have[k]} but the config needs {shape}",
                              "weight_shape", name=repr(k), shape=str(have[k]), need=str(shape))
