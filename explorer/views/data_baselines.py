"""Baselines and the best checkpoint of an uploaded dataset's run, for the Data page and the
Training lab. No Streamlit calls.

Baselines (``core.baselines``) need no model: they depend only on the data and on the preparation
options that decide the held-out data (split, seed, window, horizon, targets, standardisation).
They are cached on the dataset's entry (``entry["_baselines"]``), keyed by those options and the
test file, so they are computed once per preparation, whichever page asks first.
"""
from __future__ import annotations

import copy

import numpy as np

from core.baselines import Baselines, dataset_baselines
from core.datasets import DatasetError

from ..app.i18n import text
from ..jobs.runs import UPLOAD_PREFIX

# task.params fields that decide the held-out data and its units, per kind of data
SPLIT_FIELDS = {"labelled": ("val_fraction", "seed"),
                "series": ("mode", "window", "horizon", "target_channels", "val_fraction", "standardize")}
CACHE_SIZE = 4  # baselines kept per dataset (the Data page's options and a running lab's may differ)


def upload_entry(task, datasets: dict) -> dict | None:
    """The Data page's entry of an uploaded task (``upload:<name>``), or None for a built-in task."""
    if not task.name.startswith(UPLOAD_PREFIX):
        return None
    entry = (datasets or {}).get(task.name[len(UPLOAD_PREFIX):])
    return entry if isinstance(entry, dict) else None


def split_options(task, kind: str) -> dict:
    """The ``dataset_task`` options of ``task`` (from its recorded params) that decide its held-out data."""
    p = task.params or {}
    out = {k: p[k] for k in SPLIT_FIELDS.get(kind, ()) if k in p}
    if "target_channels" in out:
        out["target_channels"] = list(out["target_channels"])
    return out


def task_baselines(entry: dict, task) -> Baselines | None:
    """Baselines on ``task``'s held-out data (its test file, else its validation split), cached on
    ``entry``; None for text, or when they cannot be computed for these options."""
    ds = entry["dataset"]
    if ds.kind not in SPLIT_FIELDS:
        return None
    test = entry.get("test") if (task.params or {}).get("test") else None
    opts = split_options(task, ds.kind)
    key = (repr(sorted(opts.items())), id(test))
    cache = entry.setdefault("_baselines", {})
    if key not in cache:
        if len(cache) >= CACHE_SIZE:
            cache.pop(next(iter(cache)))
        try:
            cache[key] = dataset_baselines(ds, test, **opts)
        except (DatasetError, ValueError):
            cache[key] = None  # the page shows the preparation's own message
    return cache[key]


def value_text(metric: str, v: float) -> str:
    """A baseline's or model's score as shown: accuracy as a percentage, MSE with 4 digits."""
    if v is None or not np.isfinite(v):
        return "–"
    return f"{v:.1%}" if metric == "accuracy" else f"{v:.4g}"


def baseline_label(name: str, lang: str = "en") -> str:
    """The name of a baseline (``baselines.name.<name>``)."""
    return text(f"baselines.name.{name}", lang)


def chart_lines(b: Baselines | None, lang: str = "en") -> dict[str, float] | None:
    """label -> value for the curves' reference lines (None when there are none)."""
    if b is None or not b.values:
        return None
    return {baseline_label(k, lang): float(v) for k, v in b.values.items()}


def held_out_text(b: Baselines, lang: str = "en") -> str:
    """Where the baselines were measured, and on how much data, in one sentence."""
    unit = "targets" if b.metric == "mse" else "sequences"
    return text(f"baselines.where_{b.held_out}_{unit}", lang, n=f"{b.n_held_out:,}")


def baseline_rows(b: Baselines, lang: str = "en") -> list[tuple[str, str, str]]:
    """(name, score, what it does) for each baseline, in display order."""
    metric = text(f"data.metric.{b.metric}", lang)
    rows = []
    for k, v in b.values.items():
        what = text(f"baselines.what.{k}", lang, period=b.notes.get("period") or "-")
        if k == "1nn_euclidean" and b.notes.get("scored", b.n_held_out) < b.n_held_out:  # too many to compare all
            what += text("baselines.what.1nn_subset", lang, scored=f"{b.notes['scored']:,}", n=f"{b.n_held_out:,}")
        rows.append((baseline_label(k, lang), f"{metric} {value_text(b.metric, v)}", what))
    return rows


def baseline_markdown(b: Baselines, lang: str = "en") -> str:
    """The baselines as a markdown list under a line saying where they were measured."""
    lines = [held_out_text(b, lang)]
    lines += [f"- **{name}:** {score} — {what}" for name, score, what in baseline_rows(b, lang)]
    return "\n".join(lines)


def run_results(snap, task, b: Baselines | None, lang: str = "en") -> list[str]:
    """The run's results as markdown list lines, then each baseline on the same data.

    With a test file (``snap.has_test``): the best step, chosen on the validation split, with its
    validation and test metrics, and the last step's test metric; the baselines are on the test
    file. Without one: the last and the best metric on the validation split."""
    metric = task.metric
    name = text(f"data.metric.{metric}", lang) if metric in ("accuracy", "mse") else metric
    out = []
    vm = np.asarray(snap.val_metric, dtype=float)
    tested = bool(getattr(snap, "has_test", False))
    if tested:
        if snap.best_step is not None and snap.best_metric is not None:
            out.append(text("baselines.result.best_test", lang, metric=name, step=f"{int(snap.best_step):,}",
                            val=value_text(metric, snap.best_metric), test=value_text(metric, snap.best_test_metric)))
        tm = np.asarray(snap.test_metric, dtype=float)
        out.append(text("baselines.result.last_test", lang, metric=name, step=f"{int(snap.val_steps[-1]):,}",
                        value=value_text(metric, tm[-1])))
    else:
        where = text(f"baselines.on_{(b.held_out if b is not None else 'validation')}", lang)
        if vm.size:
            out.append(text("baselines.result.last", lang, metric=name, where=where, value=value_text(metric, vm[-1]),
                            step=f"{int(snap.val_steps[-1]):,}"))
        if snap.best_step is not None and snap.best_metric is not None:
            out.append(text("baselines.result.best", lang, metric=name, value=value_text(metric, snap.best_metric),
                            step=f"{int(snap.best_step):,}"))
        elif not vm.size:
            out.append(text("baselines.result.none_yet", lang))
    if b is not None:
        key = "baselines.result.baseline_test" if b.held_out == "test" else "baselines.result.baseline"
        for k, v in b.values.items():
            out.append(text(key, lang, name=baseline_label(k, lang), metric=name, value=value_text(b.metric, v)))
    return [f"- {line}" for line in out]


# ---- the best checkpoint --------------------------------------------------------------------------

def best_model(trainer):
    """(model, step, best): a copy of ``trainer``'s model holding the weights of its best held-out
    measurement and that step, with best True; or the model itself at its last step, with best
    False, when no checkpoint was kept."""
    state = trainer.best_state_dict() if getattr(trainer, "best_step", None) is not None else None
    if state is None:
        return trainer.model, int(trainer.step_count), False
    model = copy.deepcopy(trainer.model)
    model.load_state_dict(state)
    return model, int(trainer.best_step), True
