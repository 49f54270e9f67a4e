"""Figures of the Training lab, built from a job ``Snapshot``. Pure: no Streamlit calls.

Each function picks the right builder for the task's I/O structure and loss kind, so the page
only lays them out.
"""
from __future__ import annotations

import numpy as np

from core.analysis import project

from .. import figures as F
from ..app.i18n import has, text

TRAJ_SEQUENCES = 6  # sequences drawn in the state-space view
LIVE_HEATMAP_ROWS = 150  # gradient-history rows sent per refresh (keeps a refresh under 1 MB)
CURVE_REFRESH_S = 0.2  # seconds between redraws of loss and metric: 5 a second (a patch: the new points)
PROBE_REFRESH_S = 0.4  # seconds between redraws of the probe charts (2-D); 3-D waits twice as long


def cached(cache: dict, key: tuple, make):
    """``make()`` once per ``key``; ``cache`` keeps only the latest few entries (bounded)."""
    hit = cache.get(key, cache)  # (the session's live feed builds in its own thread too: no check-then-read)
    if hit is cache:
        if len(cache) > 8:
            cache.clear()
        hit = cache[key] = make()
    return hit


def probe_figures(snap, task, scrub: int, dims: int, cache: dict, job_id, lang: str = "en") -> dict:
    """The five probe charts, rebuilt only when a new probe (or view setting, or language) arrives.
    Plain dicts (the builders' ``as_dict``): plotly's validation of these figures would cost the
    server more than their data (about 35 ms a probe)."""
    key = ("probe", job_id, snap.probe.step, len(snap.state_history), scrub, dims, lang)
    return cached(cache, key, lambda: {
        "pred": prediction_fig(snap, task, lang=lang),
        "traj": trajectory_fig(snap, scrub, dims, lang=lang),
        "hidden": hidden_fig(snap, scrub, lang=lang),
        "grad": grad_curve_fig(snap, lang=lang),
        "gradmap": grad_heatmap_fig(snap, lang=lang),
    })


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def metric_is_loss(task) -> bool:
    """True when the task's metric is its loss (MSE regression): a metric chart would repeat the
    loss chart point for point."""
    return task.metric == "mse" and task.loss_kind == "mse"


def _tested(snap) -> bool:
    """True when the run is scored on a test file (its curve is drawn beside the validation one)."""
    return bool(getattr(snap, "has_test", False))


def loss_fig(snap, task, lang: str = "en", baselines: dict | None = None) -> dict:
    """The loss curves; ``baselines`` (label -> MSE, a series' naive forecasts) replace the task's
    own constant baseline when its metric is its loss; the best held-out step is marked. Plain
    dicts (``loss_figure(as_dict=True)``): a live chart rebuilt several times a second."""
    kind = "ce" if task.loss_kind == "cross_entropy" else "mse"
    refs = baselines if metric_is_loss(task) else None
    return F.loss_figure(snap.steps, snap.loss, snap.val_steps, snap.val_loss,
                         None if refs else task.baseline_loss, title=text(f"lab.fig.loss_{kind}", lang), lang=lang,
                         baselines=refs, best_step=snap.best_step, test_steps=snap.val_steps,
                         test_loss=snap.test_loss if _tested(snap) else None, as_dict=True)


def metric_fig(snap, task, lang: str = "en", baselines: dict | None = None) -> dict:
    """The metric curves; ``baselines`` (label -> metric, e.g. constant and 1-NN-ED accuracy on the
    same held-out data) replace the task's own constant baseline; the best held-out step is marked."""
    name = text("lab.fig.metric_accuracy", lang) if task.metric == "accuracy" else text("lab.fig.metric_mse", lang)
    return F.metric_figure(snap.steps, snap.metric, name=name, baseline=None if baselines else task.baseline_metric,
                           val_steps=snap.val_steps, val_values=snap.val_metric,
                           higher_is_better=task.higher_is_better, lang=lang, baselines=baselines,
                           best_step=snap.best_step, percent=task.metric == "accuracy",
                           test_steps=snap.val_steps, test_values=snap.test_metric if _tested(snap) else None, as_dict=True)


def prediction_fig(snap, task, lang: str = "en") -> dict | None:
    """Predictions against targets on the probe sequences (None before the first probe)."""
    p = snap.probe
    if p is None:
        return None
    out, y = np.asarray(p.output), np.asarray(p.target)
    if task.loss_kind == "mse":
        return F.prediction_figure(y, out, channel_names=_out_names(task, lang),
                                   title=text("lab.fig.pred_mse", lang), lang=lang, as_dict=True)
    probs = _softmax(out)
    names = class_names(task, lang)
    if probs.ndim == 2:  # many-to-one: one distribution per sequence
        return F.class_prob_figure(probs, y, names, many_to_one=True,
                                   title=text("lab.fig.pred_many_to_one", lang), lang=lang, as_dict=True)
    tgt = y[0].astype(float)
    tgt[tgt < 0] = np.nan  # IGNORE steps have no target
    return F.class_prob_figure(probs[0], tgt, names, title=text("lab.fig.pred_per_step", lang), lang=lang, as_dict=True)


def class_names(task, lang: str = "en") -> list[str] | None:
    """The task's class names (its vocabulary) as shown in ``lang``: words such as "odd" or
    "positive" translated; symbols ("A", "XY") and the characters of a text kept as they are."""
    if task.vocab is None:
        return None
    return [text(f"tasks.class.{c}", lang) if has(f"tasks.class.{c}", lang) else str(c) for c in task.vocab]


def _out_names(task, lang: str = "en"):
    if task.name in ("sine", "waveform", "adding", "marked_recall", "one_to_one"):
        return ["y"]
    if task.channel_names and len(task.channel_names) == task.output_size:
        keys = [str(c).replace(" ", "_") for c in task.channel_names]  # "bit 1" -> tasks.channel.bit_1
        return [text(f"tasks.channel.{k}", lang) if has(f"tasks.channel.{k}", lang) else c
                for k, c in zip(keys, task.channel_names)]
    return None


def history_index(snap, scrub: int | None) -> int:
    """Which stored probe to show: ``scrub`` (clipped), or the latest when None/-1."""
    n = len(snap.state_history)
    if n == 0:
        return -1
    if scrub is None or scrub < 0 or scrub >= n:
        return n - 1
    return scrub


def trajectory_fig(snap, scrub: int | None = None, dims: int = 2, lang: str = "en") -> dict | None:
    """Hidden-state trajectories in the run's current PCA basis (fixed axes while scrubbing)."""
    if snap.basis is None or not snap.state_history:
        return None
    i = history_index(snap, scrub)
    step, hidden = snap.state_history[i]
    basis = snap.basis
    k = min(dims, basis.components.shape[0])
    proj = project(basis, hidden[:TRAJ_SEQUENCES])[..., :k]
    allp = np.concatenate([project(basis, h[:TRAJ_SEQUENCES])[..., :k].reshape(-1, k)
                           for _, h in (snap.state_history[0], snap.state_history[-1])])
    lo, hi = allp.min(0), allp.max(0)
    pad = 0.05 * np.maximum(hi - lo, 1e-6)
    ranges = [(float(a - d), float(b + d)) for a, b, d in zip(lo, hi, pad)]
    return F.trajectory_figure(proj, explained=list(basis.explained[:k]), ranges=ranges,
                               title=text("lab.fig.traj", lang, step=step), lang=lang, as_dict=True)


def hidden_fig(snap, scrub: int | None = None, lang: str = "en") -> dict | None:
    if not snap.state_history:
        return None
    step, hidden = snap.state_history[history_index(snap, scrub)]
    return F.hidden_heatmap(hidden[0], title=text("lab.fig.hidden", lang, step=step), lang=lang, as_dict=True)


def grad_curve_fig(snap, lang: str = "en") -> dict | None:
    if snap.probe is None:
        return None
    return F.grad_norm_curve(snap.probe.grad_h_norm, label=text("lab.fig.grad_label", lang, step=snap.probe.step),
                             lang=lang, as_dict=True)


def grad_heatmap_fig(snap, lang: str = "en") -> dict | None:
    if len(snap.grad_rows) == 0:
        return None
    return F.grad_norm_heatmap(snap.grad_rows_steps, snap.grad_rows, max_rows=LIVE_HEATMAP_ROWS, lang=lang, as_dict=True)
