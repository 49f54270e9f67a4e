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
                          build_trainers, criteria_results, evaluate, gate_saturation, matched_hidden_sizes,
                          steps_to_target)
from core.tasks import Task

from .figures import compare as FC
from .jobs import Snapshot, TrainingJob
from .runs import build_task

JOB_NAMES = {k: f"compare.{k}" for k in CELLS}  # names on the session's JobBoard
CUSTOM = "custom"
PROBE_EVERY = 100  # steps between probes of each job ...
PROBE_SECONDS = 1.0  # ... or this much wall time: a probe costs 5-10 training steps (bench/compare.py), and
# three jobs probe at once, so the lab probes half as often as the Training lab (loss curves stay live)
STATUS_WORDS = {"idle": "not started", "queued": "waiting for a core", "running": "training",
                "paused": "paused", "done": "done", "diverged": "diverged", "error": "error",
                "stopped": "stopped"}


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

    def signature(self) -> tuple:
        return tuple(sorted(asdict(self).items()))


def preset_settings(name: str) -> dict:
    """The page settings a preset sets: field -> value (task, T, H, lr, batch, clip, steps)."""
    p = PRESETS[name]
    return dict(task=p.task, seq_len=int(p.task_params.get("seq_len", 50)), hidden=p.hidden,
                equal_params=False, lr=p.lr, batch_size=p.batch_size, clip=p.clip, steps=p.steps)


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
    cs = CompareSettings(hs, s.lr, s.batch_size, s.clip or None, "adam", s.seed, s.device)
    trainers = build_trainers(task, cs)
    return {k: TrainingJob(tr, s.steps, limiter=limiter, probe_every=PROBE_EVERY, probe_seconds=PROBE_SECONDS,
                           pca_dims=2, name=JOB_NAMES[k]) for k, tr in trainers.items()}


def status_text(snap: Snapshot, limit: int | None = None) -> str:
    word = STATUS_WORDS.get(snap.status, snap.status)
    if snap.status == "queued":
        pos = f" (queue position {snap.queue_position})" if snap.queue_position else ""
        lim = f"; the server trains {limit} at once" if limit else ""
        return f":material/hourglass_top: {word}{pos}{lim}"
    return word


def default_target(task: Task, preset: Preset | None) -> float:
    """The held-out loss "steps to target" counts to: the preset's, else half the baseline's."""
    if preset is not None:
        return preset.target_loss
    return 0.5 * task.baseline_loss


# ---- live figures -----------------------------------------------------------------------

def loss_fig(snaps: dict, task: Task) -> go.Figure:
    curves = {k: (s.steps, s.loss) for k, s in snaps.items()}
    vals = {k: (s.val_steps, s.val_loss) for k, s in snaps.items()}
    name = "MSE" if task.loss_kind == "mse" else "cross-entropy"
    return FC.overlay_curves_figure(curves, val_curves=vals, baseline=task.baseline_loss, log_y=True,
                                    title=f"Loss ({name}, log axis)<br><sup>faint: training batches · bold: "
                                          "held-out · dashed: best constant</sup>", y_title=name)


def metric_fig(snaps: dict, task: Task) -> go.Figure:
    acc = task.metric == "accuracy"
    curves = {k: (s.steps, s.metric) for k, s in snaps.items()}
    vals = {k: (s.val_steps, s.val_metric) for k, s in snaps.items()}
    # MSE tasks: the metric is the loss, so show it on a linear axis (the baseline gap reads directly)
    return FC.overlay_curves_figure(curves, val_curves=vals, baseline=task.baseline_metric, log_y=False,
                                    y_range=(0, 1.02) if acc else (0, 2 * task.baseline_metric),
                                    title=("Accuracy (higher is better)" if acc
                                           else "MSE, linear axis (lower is better)")
                                    + "<br><sup>dashed: best constant prediction</sup>",
                                    y_title="accuracy" if acc else "MSE")


def grad_fig(snaps: dict) -> go.Figure:
    rows = {k: (s.grad_rows_steps, s.grad_rows) for k, s in snaps.items()}
    zr = FC.common_range([g for _, g in rows.values()], log=True, pad=0.0)
    return FC.grad_heatmaps_figure(rows, zrange=zr)


def trajectories_fig(snaps: dict) -> go.Figure:
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
    return FC.trajectories_figure(projs, xy_range=r, explained=explained)


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


def gate_heatmap_fig(kind: str, snap: Snapshot, seq: int) -> go.Figure:
    g = gate_arrays(snap, seq)
    step = snap.probe.step if snap.probe is not None else 0
    return FC.gate_heatmaps_figure(
        g, title=f"{FC.cell_name(kind)} gates, sequence {seq + 1} (units × time, step {step:,})")


def gate_means_fig(kind: str, snap: Snapshot) -> go.Figure:
    """Mean over units and all probe sequences of each sigmoid gate, against time."""
    p = snap.probe
    means = {} if p is None else {n: np.asarray(v).mean(axis=(0, 2)) for n, v in p.gates.items() if n in SIGMOID_GATES}
    return FC.gate_means_figure(means, title=f"{FC.cell_name(kind)}: mean gate value over units")


def saturation_fig(kind: str, snap: Snapshot, y_max: float | None = None) -> go.Figure:
    p = snap.probe
    vals = {} if p is None else {n: v for n, v in p.gates.items() if n in SIGMOID_GATES}
    return FC.saturation_figure(vals, title=f"{FC.cell_name(kind)}: gate saturation (all probe sequences)",
                                y_max=y_max)


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


def saturation_table(snaps: dict) -> pd.DataFrame:
    rows = []
    for k, s in snaps.items():
        if s.probe is None:
            continue
        for n, v in s.probe.gates.items():
            if n in SIGMOID_GATES:
                f = gate_saturation(v)
                rows.append({"cell": FC.cell_name(k), "gate": n, "closed (< 0.1)": f["closed"],
                             "open (> 0.9)": f["open"], "in between": f["between"]})
    return pd.DataFrame(rows)


# ---- after training -------------------------------------------------------------------------

def finished(snap: Snapshot) -> bool:
    return snap.status in ("done", "stopped", "diverged", "paused", "error") and snap.step > 0


def final_eval(job: TrainingJob) -> dict:
    """Loss and metric of a finished job's model on the fixed evaluation batch (core.compare)."""
    return evaluate(job.trainer.model, job.trainer.task)


def badges(preset: Preset | None, finals: dict) -> list[tuple[str, float | None, bool | None]]:
    """(description, value, passed) per criterion; passed None while its cell is not finished."""
    if preset is None:
        return []
    return [(c.describe(preset.build_task().metric), v, ok) for c, v, ok in criteria_results(preset, finals)]


def summary_table(snaps: dict, params: dict, finals: dict, task: Task, target: float) -> pd.DataFrame:
    """One row per cell: H, params, final held-out loss and metric, steps to target, wall time."""
    rows = []
    for k, s in snaps.items():
        f = finals.get(k)
        reach = steps_to_target(s.val_steps, s.val_loss, target)
        rows.append({
            "cell": FC.cell_name(k), "H": params[k][0], "parameters": params[k][1],
            "status": STATUS_WORDS.get(s.status, s.status), "steps": s.step,
            "final loss": f["loss"] if f else (s.val_loss[-1] if len(s.val_loss) else np.nan),
            "final accuracy": f["metric"] if f else (s.val_metric[-1] if len(s.val_metric) else np.nan),
            f"steps to loss ≤ {target:.3g}": "not reached" if reach is None else f"{reach:,}",
            "wall time (s)": s.elapsed_s, "steps/s": s.steps_per_s,
        })
    df = pd.DataFrame(rows)
    if task.metric != "accuracy":  # the MSE metric is the loss itself: one column
        df = df.drop(columns="final accuracy").rename(columns={"final loss": "final loss (MSE)"})
    return df


def adding_memory_fig(jobs: dict) -> go.Figure:
    """Error vs how far back the first marked value lies, for trained adding-task models."""
    curves, x = {}, np.empty(0)
    for k, j in jobs.items():
        x, mse, _ = adding_error_by_distance(j.trainer.model, j.trainer.task)
        curves[k] = mse
    task = next(iter(jobs.values())).trainer.task
    return FC.memory_figure(x, curves, title="Adding task: error against the distance of the first marked value",
                            x_title="steps between the first marked value and the answer",
                            y_title="squared error", chance=task.baseline_loss,
                            chance_text="baseline (always answer 1)")


def sweep_fig(delays, acc_kd: np.ndarray, n_symbols: int = 4) -> go.Figure:
    curves = {k: acc_kd[i] for i, k in enumerate(CELLS)}
    return FC.memory_figure(np.asarray(delays), curves, title="Delayed recall: held-out accuracy against the delay",
                            x_title="delay (steps)", y_title="accuracy", chance=1.0 / n_symbols,
                            chance_text="chance", y_range=(0, 1.05))


def sweep_summary(delays, acc_kd: np.ndarray, level: float = 0.9) -> str:
    """One sentence read off the sweep: the longest delay each cell recalls at >= ``level``."""
    parts = []
    for i, k in enumerate(CELLS):
        ok = [d for d, a in zip(delays, acc_kd[i]) if a >= level]
        parts.append(f"{FC.cell_name(k)} {max(ok) if ok else 'none'}")
    return f"Longest delay recalled with ≥ {level:.0%} accuracy: " + ", ".join(parts) + "."
