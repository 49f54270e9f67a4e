"""Logic of the LSTM vs GRU vs RNN page: settings -> three jobs, snapshots -> figures and tables.

No Streamlit calls: the page lays these out. Figures that put the cells side by side get common
ranges computed here over all three snapshots first.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.analysis import project
from core.compare import (CELLS, PRESETS, SIGMOID_GATES, CompareSettings, Preset, adding_error_by_distance,
                          build_trainers, criteria_results, evaluate, matched_hidden_sizes,
                          steps_to_target)
from core.tasks import Task

from ..figures import compare as FC
from ..app import state
from ..app.i18n import text
from ..jobs.snapshots import Snapshot
from ..jobs.training_job import TrainingJob
from ..jobs.runs import build_task
from ..app.settings import CUSTOM

JOB_NAMES = {k: f"compare.{k}" for k in CELLS}  # names on the session's JobBoard
VIEWS_REFRESH_S = 2.0  # seconds between redraws of the probe-based views (loss and metric: 0.5 s)
MAX_CACHED_VIEWS = 4  # sets of probe views kept per session
PROBE_EVERY = 100  # steps between probes of each job ...
PROBE_SECONDS = 1.0  # ... or this much wall time: a probe costs 5-10 training steps (bench/compare.py), and
# three jobs probe at once, so the lab probes half as often as the Training lab (loss curves stay live)
STATUSES = ("idle", "queued", "running", "paused", "done", "diverged", "error", "stopped")  # with catalogue words
# summary table columns: key -> number format on the page (None: as it is)
COLUMN_FORMATS = {"final_loss": "%.4f", "final_loss_mse": "%.4f", "final_accuracy": "%.3f", "wall_time": "%.1f",
                  "steps_per_s": "%.0f"}


@dataclass(frozen=True)
class PageSettings:
    """What the three jobs are built from (change any: a new comparison)."""

    preset: str  # CUSTOM or a key of PRESETS (decides the pass/fail badges)
    task: str  # key of core.TASKS or "upload:<name>"
    seq_len: int  # T
    hidden: int  # H of every cell, or of the RNN when equal_params
    equal_params: bool  # match parameter counts to the RNN's
    lr: float  # Adam learning rate
    batch_size: int  # sequences per step
    clip: float  # gradient-norm clip, 0 = off
    seed: int  # data stream and model init
    steps: int  # budget per cell
    device: str  # "auto", "cpu", "cuda", "mps"
    forget_bias: float = 0.0  # the LSTM's initial forget-gate bias; 0 = torch's default draw

    def signature(self) -> tuple:
        return tuple(sorted(asdict(self).items()))


def preset_settings(name: str) -> dict:
    """The page settings a preset sets: field -> value (task, T, H, lr, batch, clip, steps)."""
    p = PRESETS[name]
    return dict(task=p.task, seq_len=int(p.task_params.get("seq_len", 50)), hidden=p.hidden,
                equal_params=False, lr=p.lr, batch_size=p.batch_size, clip=p.clip, steps=p.steps,
                forget_bias=float(p.forget_bias or 0.0))


# PageSettings field -> the session key of the widget that shows it (what a preset sets)
PRESET_KEYS = dict(task=state.CMP_TASK, seq_len=state.CMP_SEQ_LEN, hidden=state.CMP_HIDDEN,
                   equal_params=state.CMP_EQUAL, lr=state.CMP_LR, batch_size=state.CMP_BATCH,
                   clip=state.CMP_CLIP, steps=state.CMP_STEPS, forget_bias=state.CMP_FORGET)


def preset_state(name: str) -> dict:
    """Session key -> value for every setting the preset ``name`` fixes."""
    return {PRESET_KEYS[f]: v for f, v in preset_settings(name).items()}


def preset_text(name: str, part: str, lang: str = "en") -> str:
    """A preset's "title", "reference" or "explanation" in ``lang`` (from the catalogue)."""
    p = PRESETS[name]
    return text(f"compare.preset.{p.text_key or p.name}.{part}", lang, **p.task_params)


def preset_labels(lang: str = "en") -> dict[str, str]:
    """Option -> label of the preset menu (CUSTOM first)."""
    return {CUSTOM: text("compare.custom", lang), **{n: preset_text(n, "title", lang) for n in PRESETS}}


def criterion_text(c, metric: str, lang: str = "en") -> str:
    """"LSTM MSE < 0.05" in ``lang`` (core's ``Criterion.describe`` in English)."""
    q = "mse" if c.quantity == "loss" and metric == "mse" else ("loss" if c.quantity == "loss" else metric)
    quantity = text(f"compare.quantity.{q}", lang) if q in ("loss", "mse", "accuracy") else q
    return text("compare.criterion", lang, cell=c.kind.upper(), quantity=quantity, op=c.op, threshold=c.threshold)


def preset_info(preset: Preset, n_eval: int, lang: str = "en") -> str:
    """The markdown that explains a preset and its pass condition."""
    metric = preset.build_task().metric
    return text("compare.preset_info", lang, title=preset_text(preset.name, "title", lang),
                reference=preset_text(preset.name, "reference", lang),
                explanation=preset_text(preset.name, "explanation", lang),
                criteria=", ".join(criterion_text(c, metric, lang) for c in preset.criteria), n=n_eval,
                steps=preset.steps)


def active_preset(s: PageSettings) -> Preset | None:
    """The preset whose badges apply: only when the settings are exactly the preset's."""
    if s.preset not in PRESETS:
        return None
    want = preset_settings(s.preset)
    have = {k: getattr(s, k) for k in want}
    same = all((abs(have[k] - v) < 1e-12 if isinstance(v, float) else have[k] == v) for k, v in want.items())
    return PRESETS[s.preset] if same else None


def make_task(s: PageSettings, datasets: dict | None = None) -> Task:
    if s.preset in PRESETS and active_preset(s) is not None:
        return PRESETS[s.preset].build_task()  # with all its parameters (e.g. the delay)
    return build_task(s.task, s.seq_len, datasets)


def sizes(task: Task, s: PageSettings) -> dict[str, tuple[int, int]]:
    """kind -> (H, parameter count)."""
    return matched_hidden_sizes(task, s.hidden, s.equal_params)


def make_jobs(s: PageSettings, task: Task, limiter=None) -> dict[str, TrainingJob]:
    """Three jobs with the same task, seed and budget, ready to start (not started)."""
    hs = {k: h for k, (h, _) in sizes(task, s).items()}
    cs = CompareSettings(hs, s.lr, s.batch_size, s.clip or None, "adam", s.seed, s.device, s.forget_bias or None)
    trainers = build_trainers(task, cs)
    return {k: TrainingJob(tr, s.steps, limiter=limiter, probe_every=PROBE_EVERY, probe_seconds=PROBE_SECONDS,
                           pca_dims=2, name=JOB_NAMES[k]) for k, tr in trainers.items()}


def status_word(status: str, lang: str = "en") -> str:
    return text(f"compare.status.{status}", lang) if status in STATUSES else status


def status_text(snap: Snapshot, limit: int | None = None, lang: str = "en") -> str:
    word = status_word(snap.status, lang)
    if snap.status == "queued":
        pos = text("compare.queue_position", lang, position=snap.queue_position) if snap.queue_position else ""
        lim = text("compare.queue_limit", lang, limit=limit) if limit else ""
        return f":material/hourglass_top: {word}{pos}{lim}"
    return word


def default_target(task: Task, preset: Preset | None) -> float:
    """The held-out loss "steps to target" counts to: the preset's, else half the baseline's."""
    if preset is not None:
        return preset.target_loss
    return 0.5 * task.baseline_loss


# ---- live figures -----------------------------------------------------------------------
# ``as_dict``: the builders' plain dicts, unvalidated, for live charts (plotly's validation cost
# the server more than the data: ~16 ms per refresh of the curves, ~200 ms per set of probe views).

def loss_fig(snaps: dict, task: Task, *, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    curves = {k: (s.steps, s.loss) for k, s in snaps.items()}
    vals = {k: (s.val_steps, s.val_loss) for k, s in snaps.items()}
    name = text("fig.compare.mse", lang) if task.loss_kind == "mse" else text("fig.compare.cross_entropy", lang)
    return FC.overlay_curves_figure(curves, val_curves=vals, baseline=task.baseline_loss, log_y=True,
                                    title=text("fig.compare.loss_title", lang, name=name), y_title=name, lang=lang,
                                    as_dict=as_dict)


def metric_fig(snaps: dict, task: Task, *, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    acc = task.metric == "accuracy"
    curves = {k: (s.steps, s.metric) for k, s in snaps.items()}
    vals = {k: (s.val_steps, s.val_metric) for k, s in snaps.items()}
    title = text("fig.compare.accuracy_title", lang) if acc else text("fig.compare.mse_title", lang)
    y_title = text("fig.compare.accuracy", lang) if acc else text("fig.compare.mse", lang)
    # MSE tasks: the metric is the loss, so show it on a linear axis (the baseline gap reads directly)
    return FC.overlay_curves_figure(curves, val_curves=vals, baseline=task.baseline_metric, log_y=False,
                                    y_range=(0, 1.02) if acc else (0, 2 * task.baseline_metric),
                                    title=title, y_title=y_title, lang=lang, as_dict=as_dict)


def grad_fig(snaps: dict, *, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    rows = {k: (s.grad_rows_steps, s.grad_rows) for k, s in snaps.items()}
    zr = FC.common_range([g for _, g in rows.values()], log=True, pad=0.0)
    return FC.grad_heatmaps_figure(rows, zrange=zr, lang=lang, as_dict=as_dict)


def trajectories_fig(snaps: dict, *, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    projs, explained = {}, {}
    for k, s in snaps.items():
        if s.basis is None or s.probe is None:
            continue
        projs[k] = project(s.basis, s.probe.hidden)[..., :2]
        explained[k] = s.basis.explained[:2]
    r = FC.common_range(list(projs.values()), pad=0.05)
    if r is not None:
        m = max(abs(r[0]), abs(r[1]))
        r = (-m, m)
    return FC.trajectories_figure(projs, xy_range=r, explained=explained, lang=lang, as_dict=as_dict)


def finals_by_kind(jobs: dict, finals: dict) -> dict:
    """cell kind -> its job's final evaluation, for the cells that have one (``finals``: by job id)."""
    return {k: finals[j.id] for k, j in jobs.items() if j.id in finals}


def probe_views(snaps: dict, job_ids: dict, seq: int, cache: dict, *, lang: str = "en",
                as_dict: bool = False) -> dict:
    """The views that change only when a probe arrives: gradient heatmaps, trajectories, gates of
    sequence ``seq``, gate means and saturation. Built once per set of probes (``cache``, bounded).

    Args:
        snaps: cell kind -> Snapshot.
        job_ids: cell kind -> the job's id (a new comparison never reuses old figures).
        seq: the probe sequence the gate heatmaps show (0-based).
        cache: the session's figure cache (modified: at most ``MAX_CACHED_VIEWS`` entries).
        lang: language of the figures.
        as_dict: plain dicts ({"data", "layout"}) instead of validated Figures (live charts).

    Returns:
        name -> Figure (or dicts): "grad", "traj", "gates_<k>", "means_<k>", "sat_<k>" for k in lstm, gru.
    """
    key = (tuple((k, job_ids[k], None if s.probe is None else s.probe.step, len(s.grad_rows_steps))
                 for k, s in snaps.items()), seq, lang, as_dict)
    figs = cache.get(key)  # (the session's live feed builds in its own thread too: no check-then-read)
    if figs is None:
        if len(cache) >= MAX_CACHED_VIEWS:
            cache.clear()
        ymax = saturation_ymax(snaps)
        figs = {"grad": grad_fig(snaps, lang=lang, as_dict=as_dict),
                "traj": trajectories_fig(snaps, lang=lang, as_dict=as_dict)}
        for k in ("lstm", "gru"):
            figs[f"gates_{k}"] = gate_heatmap_fig(k, snaps[k], seq, lang=lang, as_dict=as_dict)
            figs[f"means_{k}"] = gate_means_fig(k, snaps[k], lang=lang, as_dict=as_dict)
            figs[f"sat_{k}"] = saturation_fig(k, snaps[k], ymax, lang=lang, as_dict=as_dict)
        cache[key] = figs
    return figs


def live_curve_figures(jobs: dict, task, lang: str = "en") -> dict:
    """Loss and metric of the three runs by chart key, as plain dicts, from their snapshots now (no st
    calls: the session's live stream builds these in its own thread)."""
    snaps = {k: j.snapshot() for k, j in jobs.items()}
    return {"cmp_loss": loss_fig(snaps, task, lang=lang, as_dict=True),
            "cmp_metric": metric_fig(snaps, task, lang=lang, as_dict=True)}


def live_view_figures(jobs: dict, seq: int, cache: dict, lang: str = "en") -> dict:
    """``probe_views`` (plain dicts) by chart key ("cmp_" + its name), from the runs' snapshots now (no st calls)."""
    snaps = {k: j.snapshot() for k, j in jobs.items()}
    views = probe_views(snaps, {k: j.id for k, j in jobs.items()}, seq, cache, lang=lang, as_dict=True)
    return {f"cmp_{name}": f for name, f in views.items()}


# ---- gates ------------------------------------------------------------------------------

def gate_arrays(snap: Snapshot, seq: int) -> dict:
    """name -> (T, H) for one probe sequence; LSTM adds "c", its cell state."""
    p = snap.probe
    if p is None or not p.gates:
        return {}
    seq = int(np.clip(seq, 0, p.hidden.shape[0] - 1))
    out = {n: np.asarray(v[seq]) for n, v in p.gates.items()}
    if p.cell is not None:
        out["c"] = np.asarray(p.cell[seq])
    order = ("input", "forget", "output", "cell", "c", "reset", "update", "new")
    return {n: out[n] for n in order if n in out}


def gate_heatmap_fig(kind: str, snap: Snapshot, seq: int, *, lang: str = "en",
                     as_dict: bool = False) -> go.Figure | dict:
    g = gate_arrays(snap, seq)
    step = snap.probe.step if snap.probe is not None else 0
    title = text("fig.compare.gate_heatmap_title", lang, cell=FC.cell_name(kind, lang), seq=seq + 1, step=step)
    return FC.gate_heatmaps_figure(g, title=title, lang=lang, as_dict=as_dict)


def gate_means_fig(kind: str, snap: Snapshot, *, lang: str = "en", as_dict: bool = False) -> go.Figure | dict:
    """Mean over units and all probe sequences of each sigmoid gate, against time."""
    p = snap.probe
    means = {} if p is None else {n: np.asarray(v).mean(axis=(0, 2)) for n, v in p.gates.items() if n in SIGMOID_GATES}
    return FC.gate_means_figure(means, title=text("fig.compare.gate_means_title", lang, cell=FC.cell_name(kind, lang)),
                                lang=lang, as_dict=as_dict)


def saturation_fig(kind: str, snap: Snapshot, y_max: float | None = None, *, lang: str = "en",
                   as_dict: bool = False) -> go.Figure | dict:
    p = snap.probe
    vals = {} if p is None else {n: v for n, v in p.gates.items() if n in SIGMOID_GATES}
    return FC.saturation_figure(vals, title=text("fig.compare.saturation_title", lang, cell=FC.cell_name(kind, lang)),
                                y_max=y_max, lang=lang, as_dict=as_dict)


def saturation_ymax(snaps: dict, bins: int = 20) -> float | None:
    """A common top for every saturation histogram (the largest bin over both gated cells)."""
    top = 0.0
    for s in snaps.values():
        if s.probe is None:
            continue
        for n, v in s.probe.gates.items():
            if n in SIGMOID_GATES:
                v = np.asarray(v).reshape(-1)
                h = np.histogram(np.clip(v, 0, 1), np.linspace(0, 1, bins + 1))[0]
                top = max(top, float(h.max() / max(v.size, 1)))
    return min(1.0, top * 1.08) if top > 0 else None


def finished(snap: Snapshot) -> bool:
    return snap.status in ("done", "stopped", "diverged", "paused", "error") and snap.step > 0


def final_eval(job: TrainingJob) -> dict:
    """Loss and metric of a finished job's model on the fixed evaluation batch (core.compare)."""
    return evaluate(job.trainer.model, job.trainer.task)


def badges(preset: Preset | None, finals: dict, lang: str = "en") -> list[tuple[str, float | None, bool | None]]:
    """(description, value, passed) per criterion; passed None while its cell is not finished."""
    if preset is None:
        return []
    metric = preset.build_task().metric
    return [(criterion_text(c, metric, lang), v, ok) for c, v, ok in criteria_results(preset, finals)]


def badge_text(description: str, value: float | None, passed: bool | None, lang: str = "en") -> str:
    """"PASS · LSTM MSE < 0.05 (measured 0.012)", "FAIL · ..." or "...: pending"."""
    if passed is None:
        return text("compare.pending", lang, criterion=description)
    return text("compare.passed" if passed else "compare.failed", lang, criterion=description, value=value)


def column(name: str, lang: str = "en", **values) -> str:
    """The header of summary/saturation column ``name`` in ``lang``."""
    return text(f"compare.col.{name}", lang, **values)


def summary_table(snaps: dict, params: dict, finals: dict, task: Task, target: float, *,
                  lang: str = "en") -> pd.DataFrame:
    """One row per cell: H, params, final held-out loss and metric, steps to target, wall time.

    Headers and words in ``lang``; ``column(name, lang)`` gives a header (for the page's formats).
    """
    rows = []
    for k, s in snaps.items():
        f = finals.get(k)
        reach = steps_to_target(s.val_steps, s.val_loss, target)
        rows.append({
            "cell": FC.cell_name(k, lang), "hidden": params[k][0], "parameters": params[k][1],
            "status": status_word(s.status, lang), "steps": s.step,
            "final_loss": f["loss"] if f else (s.val_loss[-1] if len(s.val_loss) else np.nan),
            "final_accuracy": f["metric"] if f else (s.val_metric[-1] if len(s.val_metric) else np.nan),
            "steps_to_target": text("compare.not_reached", lang) if reach is None else f"{reach:,}",
            "wall_time": s.elapsed_s, "steps_per_s": s.steps_per_s,
        })
    df = pd.DataFrame(rows)
    if task.metric != "accuracy":  # the MSE metric is the loss itself: one column
        df = df.drop(columns="final_accuracy").rename(columns={"final_loss": "final_loss_mse"})
    return df.rename(columns=lambda c: column(c, lang, target=target) if c == "steps_to_target" else column(c, lang))


def summary_formats(lang: str = "en") -> dict[str, str]:
    """Translated header -> printf number format, for the page's column_config."""
    return {column(k, lang): f for k, f in COLUMN_FORMATS.items()}


def adding_memory_fig(jobs: dict, *, lang: str = "en") -> go.Figure:
    """Error vs how far back the first marked value lies, for trained adding-task models."""
    curves, x = {}, np.empty(0)
    for k, j in jobs.items():
        x, mse, _ = adding_error_by_distance(j.trainer.model, j.trainer.task)
        curves[k] = mse
    task = next(iter(jobs.values())).trainer.task
    return FC.memory_figure(x, curves, title=text("fig.compare.adding_title", lang),
                            x_title=text("fig.compare.adding_x", lang), y_title=text("fig.compare.adding_y", lang),
                            chance=task.baseline_loss, chance_text=text("fig.compare.adding_baseline", lang),
                            lang=lang)


def sweep_fig(delays, acc_kd: np.ndarray, n_symbols: int = 4, *, lang: str = "en") -> go.Figure:
    curves = {k: acc_kd[i] for i, k in enumerate(CELLS)}
    return FC.memory_figure(np.asarray(delays), curves, title=text("fig.compare.sweep_title", lang),
                            x_title=text("fig.compare.sweep_x", lang), y_title=text("fig.compare.accuracy", lang),
                            chance=1.0 / n_symbols, y_range=(0, 1.05), lang=lang)


def sweep_summary(delays, acc_kd: np.ndarray, level: float = 0.9, lang: str = "en") -> str:
    """One sentence read off the sweep: the longest delay each cell recalls at >= ``level``."""
    parts = []
    for i, k in enumerate(CELLS):
        ok = [d for d, a in zip(delays, acc_kd[i]) if a >= level]
        parts.append(f"{FC.cell_name(k, lang)} {max(ok) if ok else text('compare.sweep_none', lang)}")
    return text("compare.sweep_summary", lang, level=level, cells=", ".join(parts))
