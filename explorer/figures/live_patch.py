"""What a live chart sends on a refresh: the whole figure, or only what changed since the last one.

A training curve grows by a few points a refresh and a probe chart's layout stays the same while
its arrays change; sending the whole figure each time costs the server (JSON of every point, under
the GIL the training thread needs), the network and the browser (parsing it all). ``figure_parts``
turns a figure into plain dicts with numpy arrays; ``figure_patch`` compares two such figures and
says, trace by trace, what to set, delete or splice (keep the first ``k`` values of an array and
append the rest: a growing curve sends its new tail only); ``live_json`` writes either as JSON,
arrays in Plotly's compact base64 form. The browser half lives in ``explorer.app.live_chart``.

Pure: plotly figures and dicts in, dicts and JSON text out; no streamlit.
"""
from __future__ import annotations

import base64
import json

import numpy as np

# numpy dtypes Plotly.js decodes from base64 ("dtype" of its {"dtype", "bdata"} arrays)
_PLOTLY_DTYPES = {"f8", "f4", "i4", "i2", "i1", "u4", "u2", "u1"}


def decode_arrays(obj):
    """``obj`` (a figure's JSON dict, as ``to_plotly_json`` gives it) with every Plotly base64
    array ({"dtype", "bdata"[, "shape"]}) turned into a numpy array; a new structure, ``obj`` kept."""
    if isinstance(obj, dict):
        if isinstance(obj.get("bdata"), str) and obj.get("dtype") in _PLOTLY_DTYPES:
            a = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
            shape = obj.get("shape")
            if shape is not None:
                a = a.reshape([int(s) for s in str(shape).split(",")] if isinstance(shape, str) else shape)
            return a
        return {k: decode_arrays(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [decode_arrays(v) for v in obj]
    return obj


def _encode(obj):
    """json.dumps ``default``: numpy arrays as Plotly base64 arrays, numpy scalars as numbers."""
    if isinstance(obj, np.ndarray):
        a = obj
        if a.dtype.kind == "b":
            a = a.astype(np.uint8)
        elif a.dtype.kind in "iu" and a.dtype.itemsize == 8:  # Plotly.js has no 64-bit integers
            a = a.astype(np.int32) if a.size == 0 or np.abs(a).max() < 2**31 else a.astype(np.float64)
        elif a.dtype.kind == "f" and a.dtype.itemsize not in (4, 8):
            a = a.astype(np.float32)
        elif a.dtype.kind not in "iuf":
            return a.tolist()
        a = np.ascontiguousarray(a)
        out = {"dtype": a.dtype.str[1:], "bdata": base64.b64encode(a.tobytes()).decode("ascii")}
        if a.ndim > 1:
            out["shape"] = ", ".join(str(s) for s in a.shape)
        return out
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def live_json(obj) -> str:
    """JSON text of a figure dict or a patch, arrays in Plotly's base64 form (NaN as in Plotly)."""
    return json.dumps(obj, default=_encode, separators=(",", ":"))


def same(a, b) -> bool:
    """Deep equality of JSON-like values holding numpy arrays (NaN equals NaN in arrays)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f" and b.dtype.kind == "f"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading values two 1-D arrays share."""
    m = min(a.size, b.size)
    diff = np.flatnonzero(a[:m] != b[:m])
    return int(diff[0]) if diff.size else m


def _trace_patch(old: dict, new: dict) -> dict | None:
    """What turns trace ``old`` into ``new``: None (nothing), {"full": new}, or {"set": {key:
    value}, "del": [key], "ext": {key: [keep, tail]}} (an array that keeps its first values)."""
    if old.get("type") != new.get("type"):
        return {"full": new}
    set_, ext = {}, {}
    for k, v in new.items():
        if k in old and same(old[k], v):
            continue
        o = old.get(k)
        if (isinstance(v, np.ndarray) and isinstance(o, np.ndarray) and v.ndim == o.ndim == 1
                and v.dtype.kind in "iuf" and o.dtype.kind in "iuf"):
            keep = common_prefix(o, v)
            if keep:  # a growing curve: keep what the browser has, send the tail
                ext[k] = [keep, v[keep:]]
                continue
        set_[k] = v
    gone = [k for k in old if k not in new]
    if not (set_ or ext or gone):
        return None
    return {k: v for k, v in (("set", set_), ("ext", ext), ("del", gone)) if v}


def figure_patch(old: dict, new: dict) -> dict | None:
    """The patch from figure dict ``old`` to ``new`` (both as ``figure_parts`` makes them).

    Returns:
        None when they are the same; else {"traces": [None | trace patch, ...] (one entry per
        trace of ``new``), "layout": new layout (only when it changed)}; {"full": True} when the
        whole figure must go (animation frames changed: they are not patched).
    """
    if old.get("frames") or new.get("frames"):
        return None if same(old, new) else {"full": True}
    od, nd = old.get("data") or [], new.get("data") or []
    traces = [_trace_patch(od[i], t) if i < len(od) else {"full": t} for i, t in enumerate(nd)]
    out = {}
    if len(od) != len(nd) or any(t is not None for t in traces):
        out["traces"] = traces
    if not same(old.get("layout"), new.get("layout")):
        out["layout"] = new.get("layout")
        out.setdefault("traces", traces)
    return out or None


def patch_from_any(olds: list[dict], new: dict) -> dict | None:
    """One patch that turns EACH of ``olds`` into ``new`` (as ``figure_patch``): a browser that
    missed a message (or drew only the latest of two) still holds one of them. Sets and
    deletions are absolute; a spliced array keeps the shortest prefix all ``olds`` share with ``new``.
    Returns None when every old figure is ``new``."""
    patches = [figure_patch(o, new) for o in olds]
    if all(p is None for p in patches):
        return None
    if any(p is not None and "full" in p for p in patches):
        return {"full": True}
    traces = []
    for i, tr in enumerate(new.get("data") or []):
        ops = [None if p is None or "traces" not in p else p["traces"][i] for p in patches]
        if all(op is None for op in ops):
            traces.append(None)
            continue
        if any(op is not None and "full" in op for op in ops):
            traces.append({"full": tr})
            continue
        set_ = {k: tr[k] for op in ops if op for k in op.get("set", {})}
        gone = sorted({k for op in ops if op for k in op.get("del", ())})
        ext = {}
        for k in {k for op in ops if op for k in op.get("ext", {})} - set(set_):
            keep = min((op["ext"][k][0] if op and k in op.get("ext", {}) else len(tr[k])) for op in ops)
            ext[k] = [keep, tr[k][keep:]]
        traces.append({k: v for k, v in (("set", set_), ("ext", ext), ("del", gone)) if v})
    out = {"traces": traces}
    if any(p is not None and "layout" in p for p in patches):
        out["layout"] = new.get("layout")
    return out


def apply_patch(old: dict, patch: dict) -> dict:
    """``patch`` applied to figure dict ``old`` (what the browser does): a new dict, ``old`` kept."""
    data = []
    for i, t in enumerate(patch["traces"]):
        if t is None:
            data.append(old["data"][i])
        elif "full" in t:
            data.append(t["full"])
        else:
            tr = {**old["data"][i], **t.get("set", {})}
            for k in t.get("del", ()):
                tr.pop(k, None)
            for k, (keep, tail) in t.get("ext", {}).items():
                tr[k] = np.concatenate([np.asarray(old["data"][i][k], float)[:keep], np.asarray(tail, float)])
            data.append(tr)
    return {**old, "data": data, "layout": patch.get("layout", old.get("layout"))}
