"""Comparing the three cells (lecture note section 7): equal-parameter sizing, presets that
reproduce known results with pass/fail criteria, and memory-length measurements.

torch + numpy only. Every random draw takes an explicit ``torch.Generator``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from . import budget
from .models import build_model, count_parameters
from .presets import CELLS, PRESETS, RENAMED, CompareSettings, Criterion, Preset, current_name  # noqa: F401 (re-exported)
from .tasks import Task, get_task
from .trainer import Trainer

EVAL_SEQUENCES = 2048  # sequences in the fixed evaluation batch behind every pass/fail badge
EVAL_SEED = 424242  # its seed: apart from the training streams and the probes' validation batch
SIGMOID_GATES = ("input", "forget", "output", "reset", "update")  # gates with values in (0, 1)


# ---- sizes --------------------------------------------------------------------------------

def param_count(kind: str, task: Task, hidden: int, **model_kw) -> int:
    """Trainable parameters of the model ``kind`` with ``hidden`` units built for ``task``."""
    m = build_model(kind, task.input_size, int(hidden), task.output_size, head=task.head,
                    out_steps=task.out_steps, **model_kw)
    return count_parameters(m)


def hidden_for_params(kind: str, task: Task, target: int, *, max_hidden: int = 1024, **model_kw) -> int:
    """The hidden size whose parameter count is closest to ``target`` (ties: the smaller H).

    The count is a quadratic in H for every head (W_hh is H x H, everything else is linear in H),
    so three small builds give its coefficients exactly; the integers around the root are then
    checked with real builds.

    Args:
        kind: "rnn", "lstm" or "gru".
        task: the task the model is built for (input/output sizes, head).
        target: the parameter count to match.
        max_hidden: upper bound on the answer.

    Returns:
        H in [1, max_hidden].
    """
    n = [param_count(kind, task, h, **model_kw) for h in (1, 2, 3)]
    a = (n[2] - 2 * n[1] + n[0]) / 2.0
    b = n[1] - n[0] - 3 * a
    c = n[0] - a - b
    if a > 0:
        root = (-b + math.sqrt(max(b * b - 4 * a * (c - target), 0.0))) / (2 * a)
    else:
        root = (target - c) / max(b, 1e-9)
    cands = sorted({min(max(1, int(math.floor(root)) + d), max_hidden) for d in (-1, 0, 1, 2)})
    return min(cands, key=lambda h: (abs(param_count(kind, task, h, **model_kw) - target), h))


def matched_hidden_sizes(task: Task, hidden: int, equal_params: bool, *, reference: str = "rnn",
                         target: int | None = None, **model_kw) -> dict[str, tuple[int, int]]:
    """Hidden size and parameter count of each cell.

    Args:
        task: the task.
        hidden: H of every cell, or of the ``reference`` cell when ``equal_params``.
        equal_params: choose each other cell's H so its count is closest to the reference's
            (or to ``target`` when given).
        reference: the cell whose H is ``hidden``.
        target: a parameter count to match instead of the reference's.

    Returns:
        kind -> (H, parameter count), in ``CELLS`` order.
    """
    if not equal_params:
        return {k: (int(hidden), param_count(k, task, hidden, **model_kw)) for k in CELLS}
    goal = int(target) if target is not None else param_count(reference, task, hidden, **model_kw)
    out = {}
    for k in CELLS:
        h = int(hidden) if (k == reference and target is None) else hidden_for_params(k, task, goal, **model_kw)
        out[k] = (h, param_count(k, task, h, **model_kw))
    return out


# ---- runs -------------------------------------------------------------------------------

def build_trainers(task: Task, s: CompareSettings, kinds=CELLS) -> dict[str, Trainer]:
    """One Trainer per cell; same seed for data (identical batches) and for model init."""
    for k in kinds:  # all three checked before any model is built
        budget.check_job(task, k, int(s.hidden[k]), s.batch_size, optimizer=s.optimizer)
    out = {}
    for k in kinds:
        m = build_model(k, task.input_size, int(s.hidden[k]), task.output_size, head=task.head,
                        out_steps=task.out_steps, seed=s.seed,
                        forget_bias=s.forget_bias if k == "lstm" else None)
        out[k] = Trainer(m, task, lr=s.lr, batch_size=s.batch_size, optimizer=s.optimizer,
                         clip=s.clip, device=s.device, seed=s.seed)
    return out


def eval_batch(task: Task, n: int = EVAL_SEQUENCES, seed: int = EVAL_SEED):
    """The fixed evaluation batch (the task's own validation set when it has one)."""
    if task.validation is not None:
        return task.validation
    return task.sample(n, torch.Generator().manual_seed(seed))


def evaluate(model: torch.nn.Module, task: Task, batch=None) -> dict:
    """Loss and metric of ``model`` on ``batch`` (default: ``eval_batch(task)``)."""
    batch = eval_batch(task) if batch is None else batch
    dev = next(model.parameters()).device
    b = batch.to(dev)
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model(b.x, b.lengths)
        res = {"loss": float(task.loss(out, b.y)), "metric": task.score(out, b.y)}
    model.train(was)
    return res


def steps_to_target(steps: np.ndarray, values: np.ndarray, target: float,
                    higher_is_better: bool = False) -> int | None:
    """First step whose value reaches ``target`` (<= for losses, >= for accuracies); None if never."""
    v = np.asarray(values, dtype=float)
    s = np.asarray(steps)
    ok = (v >= target) if higher_is_better else (v <= target)
    ok &= np.isfinite(v)
    return int(s[np.argmax(ok)]) if ok.any() else None


@dataclass
class CellResult:
    """What one cell's run gave."""

    kind: str
    hidden: int
    params: int
    steps: int  # steps trained
    loss: float  # final loss on eval_batch
    metric: float  # final metric on eval_batch
    seconds: float  # wall time of the training steps
    steps_to_target: int | None  # first evaluation step at or below the preset's target loss
    curve: list = field(default_factory=list)  # [(step, eval loss)] at each check


def criteria_results(preset: Preset, results: dict) -> list[tuple[Criterion, float | None, bool | None]]:
    """(criterion, value, passed) for each criterion; value/passed None when its cell did not run.

    Args:
        results: kind -> CellResult or a dict with "loss" and "metric".
    """
    out = []
    for c in preset.criteria:
        r = results.get(c.kind)
        if r is None:
            out.append((c, None, None))
            continue
        v = float(r[c.quantity] if isinstance(r, dict) else getattr(r, c.quantity))
        out.append((c, v, c.check(v)))
    return out


def run_preset(preset: Preset, *, kinds=CELLS, seed: int = 0, device: str = "cpu", steps: int | None = None,
               check_every: int = 50, stop_when_passed: bool = False,
               progress: Callable[[str, int, int], None] | None = None) -> dict[str, CellResult]:
    """Train the preset's cells one after another, synchronously (tests, benchmarks, scripts).

    Args:
        kinds: the cells to train.
        steps: budget per cell (default: the preset's).
        check_every: steps between evaluations on ``eval_batch``.
        stop_when_passed: stop a cell as soon as all its criteria pass, for cells whose criteria
            are all goals (a "stays near the baseline" criterion is only meaningful after the
            whole budget, so such cells always train to the end).
        progress: called with (kind, step, steps) after each check.

    Returns:
        kind -> CellResult.
    """
    task = preset.build_task()
    s = preset.settings(seed, device)
    trainers = build_trainers(task, s, kinds)
    batch = eval_batch(task)
    budget = preset.steps if steps is None else int(steps)
    out = {}
    for k, tr in trainers.items():
        mine = [c for c in preset.criteria if c.kind == k]
        curve, reached, secs = [], None, 0.0
        while tr.step_count < budget:
            n = min(check_every, budget - tr.step_count)
            t0 = time.perf_counter()
            tr.train(n)
            secs += time.perf_counter() - t0
            ev = evaluate(tr.model, task, batch)
            curve.append((tr.step_count, ev["loss"]))
            if reached is None and ev["loss"] <= preset.target_loss:
                reached = tr.step_count
            if progress is not None:
                progress(k, tr.step_count, budget)
            if (stop_when_passed and mine and all(c.is_goal for c in mine)
                    and all(c.check(ev[c.quantity]) for c in mine)):
                break
        ev = evaluate(tr.model, task, batch)
        out[k] = CellResult(k, s.hidden[k], count_parameters(tr.model), tr.step_count, ev["loss"],
                            ev["metric"], secs, reached, curve)
    return out


# ---- gates --------------------------------------------------------------------------------

def adding_error_by_distance(model: torch.nn.Module, task: Task, *, n: int = 4096, n_bins: int = 10,
                             seed: int = EVAL_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Squared error of a model trained on the adding task against how far back the FIRST marked
    value lies (T - i1 steps before the answer), on ``n`` fresh sequences.

    Returns:
        (distance (K,) bin centres in steps, mse (K,), count (K,)); empty bins are NaN.
    """
    if task.name != "adding":
        raise ValueError("adding_error_by_distance needs the adding task")
    b = task.sample(n, torch.Generator().manual_seed(seed))
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model(b.x.to(dev)).cpu()
    model.train(was)
    err = ((out - b.y) ** 2).reshape(-1).numpy()
    T = b.x.shape[1]
    i1 = b.x[:, :, 1].argmax(1).numpy()  # argmax finds the first of the two ones
    dist = T - i1
    edges = np.linspace(dist.min(), dist.max() + 1, n_bins + 1)
    which = np.clip(np.digitize(dist, edges) - 1, 0, n_bins - 1)
    cnt = np.bincount(which, minlength=n_bins)
    mse = np.bincount(which, weights=err, minlength=n_bins) / np.maximum(cnt, 1)
    mse[cnt == 0] = np.nan
    return 0.5 * (edges[:-1] + edges[1:]) - 0.5, mse, cnt


@dataclass(frozen=True)
class SweepSettings:
    """A memory-length sweep: a fresh small model per (cell, delay), all with the same budget."""

    delays: tuple = (2, 4, 8, 16, 24)  # delays of the delayed-recall task
    hidden: int = 16  # H of every cell
    steps: int = 250  # training steps per model
    batch_size: int = 32  # sequences per step
    lr: float = 1e-2  # Adam
    seed: int = 0  # data and init
    extra: int = 10  # sequence length = delay + extra (the steps that are scored)
    n_symbols: int = 4  # alphabet (chance accuracy 1 / n_symbols)
    forget_bias: float | None = None  # the LSTM's initial forget-gate bias (None: torch's draw)


def sweep_point(kind: str, delay: int, s: SweepSettings) -> float:
    """Held-out accuracy of one fresh ``kind`` model trained on delayed recall at ``delay``."""
    task = get_task("delayed_recall", seq_len=int(delay) + s.extra, delay=int(delay), n_symbols=s.n_symbols)
    cs = CompareSettings({kind: s.hidden}, s.lr, s.batch_size, 1.0, "adam", s.seed, "cpu", s.forget_bias)
    tr = build_trainers(task, cs, (kind,))[kind]
    tr.train(s.steps)
    return float(evaluate(tr.model, task, eval_batch(task, 512))["metric"])


# ---- command line: python -m core.compare --list | --preset NAME --seed S [--json] ----------------

def preset_report(preset: Preset, seed: int = 0, device: str = "cpu",
                  progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Train the cells ``preset``'s criteria name on its whole budget with ``seed`` and check them.

    The whole budget, as the page does before it shows a badge (a cell that passes early may
    still fall back). A cell no criterion names (the GRU of delayed_recall_30) is not trained:
    each cell has its own seeded initialisation and data stream, so the others' values are the
    same without it. JSON-ready.

    Returns:
        {"preset", "seed", "passed", "checks": [{"check", "cell", "quantity", "op", "threshold",
        "value", "passed"}], "values": {"<cell>_<quantity>": value}, "steps", "seconds"}
    """
    t0 = time.perf_counter()
    # four evaluations rather than one per 50 steps: the checks read the final state, and an
    # evaluation draws nothing from the training stream, so the final numbers are the same
    kinds = tuple(k for k in CELLS if any(c.kind == k for c in preset.criteria))
    res = run_preset(preset, kinds=kinds, seed=int(seed), device=device, progress=progress,
                     check_every=max(1, preset.steps // 4))
    checks = [{"check": c.describe(), "cell": c.kind, "quantity": c.quantity, "op": c.op,
               "threshold": c.threshold, "value": v, "passed": bool(ok)}
              for c, v, ok in criteria_results(preset, res)]
    return {"preset": preset.name, "seed": int(seed), "passed": all(c["passed"] for c in checks),
            "checks": checks, "values": {f"{c['cell']}_{c['quantity']}": c["value"] for c in checks},
            "steps": preset.steps, "seconds": round(time.perf_counter() - t0, 2)}


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (1 when a preset fails)."""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m core.compare",
                                 description="Run a comparison preset and check its pass/fail criteria.")
    ap.add_argument("--list", action="store_true", help="print the presets, one name at the start of each line")
    ap.add_argument("--preset", type=current_name, choices=sorted(PRESETS),
                    help="the preset to run (a former name runs its successor)")
    ap.add_argument("--seed", type=int, default=0, help="seeds the data stream and the models (default 0)")
    ap.add_argument("--device", default="cpu", help="cpu (the budgets are stated for it), cuda, mps")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1, as the server)")
    ap.add_argument("--json", action="store_true", help="end with one JSON line")
    a = ap.parse_args(argv)
    if a.list:
        for name, p in PRESETS.items():
            print(f"{name}  {p.title}: {p.steps} steps per cell; " + ", ".join(c.describe() for c in p.criteria))
        return 0
    if a.preset is None:
        ap.error("give --preset NAME (see --list)")
    torch.set_num_threads(max(1, a.threads))
    p = PRESETS[a.preset]
    rep = preset_report(p, a.seed, a.device)
    print(f"{p.title}, seed {a.seed}: {p.steps} steps per cell, {rep['seconds']:.1f} s")
    for c in rep["checks"]:
        print(f"  {'PASS' if c['passed'] else 'FAIL'}  {c['check']}: {c['value']:.4g}")
    print("passed" if rep["passed"] else "FAILED")
    if a.json:
        print(json.dumps(rep))
    return 0 if rep["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
