"""Page logic of the Dynamics lab: which model, its states, fixed points and figures. No Streamlit.

The model is either the Training lab's (``board.get("lab")``) or the flip-flop preset's job
(``board.get(JOB_NAME)``); both may be training in another thread, so every analysis runs on a
``frozen_copy`` taken at one moment.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

from core.analysis import FixedPoints, PCABasis, align_basis, find_fixed_points, fit_pca, project
from core.dynamics import (ChaosSettings, FlipFlopRecipe, Sensitivity, all_corners, fixed_point_tol,
                           flipflop_trainer, frozen_copy, layer0_states, random_inputs, random_rnn,
                           readout_corners, sensitivity)
from core.tasks import IGNORE
from core.trace import whh_eigenvalues

from .figures import dynamics as FD
from .figures.compare import cell_name
from .jobs import TrainingJob

JOB_NAME = "dynamics.flipflop"  # the preset's job on the session's JobBoard
LAB_JOB = "lab"  # the Training lab's job
SOURCES = {"flipflop": "Preset: 3-bit flip-flop (trained here)", "lab": "The Training lab's model"}
N_SEQUENCES = 48  # held-out sequences whose trajectories are drawn and seed the fixed-point search
FP_INTERVAL_S = 3.0  # recompute fixed points at most this often while training (1-2 s each)
FP_STARTS = 128  # starts of the live search
LIVE_POINTS = 2500  # trajectory points drawn while training (a browser redraws them every second)
MINUS = "\u2212"  # a real minus sign: "+−+" reads better than "+-+" on a projector
ANALYSIS_INTERVAL_S = 1.0  # re-run the held-out sequences at most this often while training
MAX_CATEGORIES = 12  # more distinct targets than this: colour by value instead
CHAOS_RADII = tuple(np.round(np.linspace(0.5, 2.0, 31), 3))
TOL_NOTE = ("GRU: the fixed-point tolerance is q < 1e-5 instead of 1e-6. A trained GRU stores its bits on "
            "slow regions where the update gate is saturated (z ≈ 1, so h_t ≈ h_{t-1} over a whole patch "
            "of states): q there bottoms out near 1e-6 rather than at 0, and the tighter tolerance would "
            "reject the very points that hold the memory. Expect many nearby stable points (slow patches) "
            "instead of 8 isolated ones.")


def make_flipflop_job(recipe: FlipFlopRecipe, device: str = "cpu", limiter=None) -> TrainingJob:
    """The preset's background job (not started)."""
    return TrainingJob(flipflop_trainer(recipe, device), recipe.steps, limiter=limiter, probe_every=50,
                       pca_dims=2, name=JOB_NAME)


def describe(job: TrainingJob) -> str:
    c = job.trainer.model.config
    act = f" ({c.nonlinearity})" if c.kind == "rnn" else ""
    layers = f", {c.num_layers} layers (layer 1 analysed)" if c.num_layers > 1 else ""
    bi = ", bidirectional (forward direction analysed)" if c.bidirectional else ""
    return f"{cell_name(c.kind)}{act}, H = {c.hidden_size}{layers}{bi}, task {job.trainer.task.title}"


# ---- the analysis of one moment --------------------------------------------------------------


@dataclass
class Analysis:
    """States of held-out sequences under a frozen copy of the model, and their PCA."""

    model: object  # SeqModel, the frozen copy
    task: object  # core Task
    step: int  # training step of the copy
    x: np.ndarray  # (n, T, F) inputs
    hidden: np.ndarray  # (n, T, H) layer-0 h_t (NaN past a sequence's length)
    states: np.ndarray  # (N, S) valid states, [h, c] for LSTM (fixed-point starts)
    basis: PCABasis  # 3 components of the h part
    color_labels: np.ndarray | None  # (n, T) category per point, or None
    color_values: np.ndarray | None  # (n, T) value per point (continuous targets), or None
    color_title: str  # what the target colour means
    job: int = 0  # id of the job the copy came from
    time: float = 0.0  # time.monotonic() of the copy


def fresh_analysis(job: TrainingJob, last: Analysis | None, now: float, active: bool) -> Analysis:
    """``last`` while it is recent enough (same job and step, or < ANALYSIS_INTERVAL_S old while
    training), else a new ``analyse`` aligned to it."""
    if last is not None and last.job == job.id and (
            last.step == job.trainer.step_count or (active and now - last.time < ANALYSIS_INTERVAL_S)):
        return last
    return analyse(job, last.basis if last is not None and last.job == job.id else None)


def analyse(job: TrainingJob, previous: PCABasis | None = None, n: int = N_SEQUENCES) -> Analysis:
    """Copy the job's model, run held-out sequences through layer 0 and fit a 3-component PCA
    (aligned to ``previous`` so the picture does not flip between refreshes)."""
    tr = job.trainer
    step = tr.step_count
    model = frozen_copy(tr.model)
    vb = tr.validation_batch(256)
    n = min(n, vb.x.shape[0])
    x = vb.x[:n].cpu()
    lengths = None if vb.lengths is None else vb.lengths[:n].cpu()
    st = layer0_states(model, x, lengths)
    hidden = np.where(st.valid[..., None], st.hidden, np.nan)
    H = hidden.shape[-1]
    basis = fit_pca(hidden.reshape(-1, H), k=min(3, H))
    if previous is not None and previous.components.shape == basis.components.shape:
        basis = align_basis(basis, previous)
    labels, values, ctitle = target_colors(tr.task, vb.y[:n].cpu().numpy(), hidden.shape[1])
    return Analysis(model, tr.task, step, x.numpy(), hidden, st.states[st.valid], basis, labels, values, ctitle,
                    job.id, time.monotonic())


def target_colors(task, y, T: int):
    """Colour each point by its target: categories when there are few distinct ones, else a value.

    Args:
        task: the core Task (classes have names in ``channel_names`` / ``vocab``).
        y: targets (n, T[, O]) per step or (n[, O]) per sequence.
        T: steps.
    Returns:
        (labels (n, T) str or None, values (n, T) float or None, title).
    """
    y = np.asarray(y)
    n = y.shape[0]
    per_step = y.ndim >= 2 and y.shape[1] == T and not (task.loss_kind == "mse" and y.ndim == 2 and task.io in (
        "many-to-one", "one-to-one"))
    if task.loss_kind == "cross_entropy":
        yy = y if per_step else np.repeat(y.reshape(n, 1), T, 1)
        names = task.vocab or task.channel_names
        lab = np.where(yy == IGNORE, "(no target)", yy.astype(str)).astype(object)
        if names:
            for i, nm in enumerate(names):
                lab[yy == i] = repr(nm) if task.vocab else str(nm)
        if len(set(lab.reshape(-1).tolist())) <= MAX_CATEGORIES:
            return lab.astype(str), None, "target class"
        return None, yy.astype(float), "target class (index)"
    yy = y.reshape(n, T, -1) if per_step else np.repeat(y.reshape(n, 1, -1), T, 1)
    rows = yy.reshape(-1, yy.shape[-1])
    finite = np.isfinite(rows).all(1)
    if finite.any() and len(np.unique(rows[finite], axis=0)) <= MAX_CATEGORIES and yy.shape[-1] <= 4:
        def word(r):
            if not np.isfinite(r).all():
                return "(no target)"
            if set(np.unique(r).tolist()) <= {-1.0, 1.0}:
                return "".join("+" if v > 0 else MINUS for v in r)
            return ", ".join(f"{v:g}" for v in r)
        uniq, inv = np.unique(np.nan_to_num(rows, nan=np.inf), axis=0, return_inverse=True)
        words = np.array([word(np.where(np.isinf(u), np.nan, u)) for u in uniq], dtype=object)
        lab = words[inv.reshape(-1)].reshape(n, T)
        return lab.astype(str), None, "target"
    return None, yy[..., 0].astype(float), "target (channel 1)"


def fixed_points(a: Analysis, n_starts: int = FP_STARTS, seed: int = 0) -> FixedPoints:
    """Fixed points of layer 0 at zero input, started from visited states."""
    kind = a.model.config.kind
    return find_fixed_points(a.model, states=a.states, n_starts=n_starts, tol=fixed_point_tol(kind), seed=seed)


def fp_due(cache: dict | None, job_id, step: int, now: float, active: bool, forced: bool = False,
           interval: float = FP_INTERVAL_S) -> bool:
    """Should the fixed points be recomputed? Yes when forced, for a new job, and for a new step
    when training has stopped or ``interval`` seconds have passed (the search costs 1-2 s)."""
    if forced or cache is None or cache.get("job") != job_id:
        return True
    if cache.get("step") == step:
        return False
    return (not active) or now - cache.get("time", 0.0) >= interval


def fp_entry(job_id, a: Analysis, fp: FixedPoints) -> dict:
    """What the page caches of one search (the summary reads the model of the same moment)."""
    return {"job": job_id, "step": a.step, "time": time.monotonic(), "fp": fp, "summary": summarise(a, fp)}


class FixedPointSearch:
    """One fixed-point search in a daemon thread (on the analysis's frozen copy), so a live page
    keeps redrawing while it runs (1-2 s). No Streamlit calls in the thread."""

    def __init__(self, job_id, a: Analysis):
        self.job_id, self.step = job_id, a.step
        self.entry: dict | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, args=(a,), daemon=True, name="rnnx-fixed-points")
        self._thread.start()

    def _run(self, a: Analysis) -> None:
        try:
            self.entry = fp_entry(self.job_id, a, fixed_points(a))
        except Exception as e:  # shown on the page; a failed search must not kill the session
            self.error = f"{type(e).__name__}: {e}"

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


def update_fixed_points(cache: dict | None, job_id, a: Analysis, active: bool, now: float) -> dict:
    """Advance the page's fixed-point cache ``{"entry": last finished search or None, "pending":
    FixedPointSearch or None}``: collect a finished search; while training, start a new one in the
    background when ``fp_due``; otherwise (stopped, or nothing to show yet) search synchronously."""
    cache = dict(cache or {"entry": None, "pending": None})
    if cache["entry"] is not None and cache["entry"]["job"] != job_id:
        cache = {"entry": None, "pending": None}
    pend = cache["pending"]
    if pend is not None and not active:
        pend.wait()  # training stopped: no later refresh would collect it
    if pend is not None and pend.done:
        if pend.entry is not None and pend.job_id == job_id:
            cache["entry"] = pend.entry
        cache["pending"] = pend = None
    if pend is not None or not fp_due(cache["entry"], job_id, a.step, now, active):
        return cache
    if active and cache["entry"] is not None:
        cache["pending"] = FixedPointSearch(job_id, a)
    else:
        cache["entry"] = fp_entry(job_id, a, fixed_points(a))
    return cache


def is_flipflop(a: Analysis) -> bool:
    c = a.model.config
    return a.task.name == "flipflop" and c.num_layers == 1 and not c.bidirectional and c.head == "per_step"


@dataclass(frozen=True)
class FixedPointSummary:
    n_points: int  # distinct fixed points
    n_stable: int  # of them stable
    corners: tuple  # flip-flop memories read out by a stable point, e.g. ("+-+", ...); () otherwise
    labels: tuple  # (K,) memory label per point ("" for none)
    converged: float  # fraction of starts that converged


def summarise(a: Analysis, fp: FixedPoints) -> FixedPointSummary:
    labels = tuple(c.replace("-", MINUS) for c in readout_corners(a.model, fp.hidden, a.task.input_size)) \
        if is_flipflop(a) and len(fp) else ()
    corners = tuple(sorted({lab for lab, s in zip(labels, fp.stable) if lab and s}))
    return FixedPointSummary(len(fp), int(fp.stable.sum()), corners, labels, float(fp.converged_fraction))


# ---- figures -------------------------------------------------------------------------------------


def state_space_fig(a: Analysis, fp: FixedPoints | None, *, dims: int = 2, color_by: str = "time",
                    labels: tuple = (), max_points: int = 8000) -> object:
    """Trajectories (h part) in the first ``dims`` PCs with the fixed points of ``fp``."""
    k = min(dims, a.basis.k)
    if k < 2:
        return FD.empty_figure("H = 1: nothing to project", title="Hidden-state trajectories")
    basis = PCABasis(a.basis.mean, a.basis.components[:k], a.basis.explained[:k], a.basis.fit_on)
    proj = project(basis, a.hidden)
    n, T = proj.shape[:2]
    kw = {}
    if color_by == "target" and a.color_labels is not None:
        kw = dict(color_labels=a.color_labels)
    elif color_by == "target" and a.color_values is not None:
        kw = dict(color_values=a.color_values, color_title=a.color_title)
    else:
        kw = dict(color_values=np.broadcast_to(np.arange(T, dtype=float), (n, T)), color_title="t")
    marks = None
    if fp is not None and len(fp):
        coords = project(basis, fp.hidden)
        span = np.nanmax(proj.reshape(-1, k), 0) - np.nanmin(proj.reshape(-1, k), 0)
        length = 0.12 * float(np.nanmax(span)) if np.isfinite(span).any() else 1.0
        d = fp.unstable_directions[:, :fp.hidden_size]
        norm = np.linalg.norm(d, axis=1, keepdims=True)
        d_proj = np.where(norm > 0, (d / np.where(norm > 0, norm, 1)) @ basis.components.T, np.nan)
        segs = np.stack([coords - length * d_proj, coords + length * d_proj], 1)
        marks = FD.FixedPointMarks(coords, fp.stable, segs, labels if len(labels) == len(fp) else ())
    cname = cell_name(a.model.config.kind)
    title = (f"{cname} states at step {a.step:,}: {n} held-out sequences in {k}-D PCA"
             + ("<br><sup>fixed points at zero input; unstable ones with their unstable direction</sup>"
                if marks is not None else ""))
    return FD.state_space_figure(proj, explained=basis.explained, fixed=marks, title=title, max_points=max_points,
                                 height=640 if k == 3 else 600, uirevision=f"space{k}", **kw)


def jacobian_eig_fig(fp: FixedPoints | None, step: int) -> object:
    title = f"Eigenvalues of the Jacobian at each fixed point (step {step:,})"
    if fp is None or not len(fp):
        return FD.empty_figure("No fixed point found yet", title=title, height=440)
    sets = []
    if (~fp.stable).any():
        sets.append(FD.EigenSet(f"unstable points ({int((~fp.stable).sum())})", fp.eigenvalues[~fp.stable],
                                FD.UNSTABLE_COLOR, "diamond", 8, 0.7))
    if fp.stable.any():
        sets.append(FD.EigenSet(f"stable points ({int(fp.stable.sum())})", fp.eigenvalues[fp.stable],
                                FD.STABLE_COLOR, "circle", 7, 0.6))
    return FD.eigenvalue_figure(sets, title=title + "<br><sup>stable: every |λ| < 1; unstable: at least "
                                "one outside the circle</sup>", uirevision="jac")


def whh_eig_fig_from(eig: np.ndarray, kind: str, step: int, initial: np.ndarray | None = None) -> object:
    """Eigenvalues of W_hh at ``step`` (and at step 0 when ``initial`` is given)."""
    block = {"rnn": "W_hh", "lstm": "W_hh (candidate block)", "gru": "W_hh (candidate block)"}[kind]
    sets = []
    if initial is not None:
        sets.append(FD.EigenSet("at step 0", initial, "#BBBBBB", "circle", 7, 0.8))
    sets.append(FD.EigenSet(f"step {step:,}", eig, FD.PALETTE[0], "circle", 9, 0.9))
    rho = float(np.abs(eig).max()) if len(eig) else float("nan")
    return FD.eigenvalue_figure(sets, title=f"Eigenvalues of {block}<br><sup>live; spectral radius ρ = {rho:.2f}"
                                "</sup>", uirevision="whh")


def live_whh(job: TrainingJob) -> tuple[np.ndarray, int]:
    """W_hh eigenvalues of the job's model now (a detached copy of the block; the thread may step)."""
    m = job.trainer.model
    with torch.no_grad():
        return whh_eigenvalues(m), job.trainer.step_count


# ---- sensitivity and the edge of chaos ------------------------------------------------------------


def model_sensitivity(a: Analysis, seq: int, k: int, delta: float) -> Sensitivity:
    seq = int(np.clip(seq, 0, a.x.shape[0] - 1))
    return sensitivity(a.model, a.x[seq], int(np.clip(k, 0, a.x.shape[1] - 2)), delta)


def untrained_sensitivity(rho: float, k: int, delta: float, s: ChaosSettings = ChaosSettings()) -> Sensitivity:
    """The same experiment on the untrained tanh RNN of the edge-of-chaos sweep."""
    return sensitivity(random_rnn(rho, s), random_inputs(s), int(np.clip(k, 0, s.seq_len - 2)), delta)


def growth_fig(sens: Sensitivity, what: str) -> object:
    f = sens.fit
    return FD.growth_figure(sens.log_dist, sens.k, fit=(f.slope, f.intercept, f.first, f.last),
                            lyapunov_qr=sens.lyapunov_qr,
                            title=f"{what}: h_{sens.k} pushed by δ = {sens.delta:g}<br><sup>slope of the "
                                  "straight part = finite-time estimate of the largest Lyapunov exponent</sup>")


def sensitivity_text(s: Sensitivity) -> str:
    f = s.fit
    if not np.isfinite(f.slope):
        est = "The distance left the fitted band at once: no slope."
    else:
        est = (f"Fitted slope over steps {s.k + f.first}–{s.k + f.last}: λ ≈ {f.slope:+.3f} per step "
               f"(the distance is multiplied by e^λ = {np.exp(f.slope):.3f} each step).")
    verdict = ("λ < 0: the perturbation dies out; the network forgets where it was (and gradients vanish)."
               if np.isfinite(s.lyapunov_qr) and s.lyapunov_qr < -0.005 else
               "λ > 0: the perturbation grows until it is as large as the attractor: chaos (and gradients "
               "explode)." if np.isfinite(s.lyapunov_qr) and s.lyapunov_qr > 0.005 else
               "λ ≈ 0: marginal, at the edge.")
    return (f"{est} The QR method on the Jacobians of the same trajectory gives λ_max = {s.lyapunov_qr:+.3f}. "
            f"{verdict} The fit stops where the distance reaches 1e-2 (saturation) or 1e-12 (round-off).")


def chaos_fig(lam: np.ndarray, current: tuple | None = None) -> object:
    return FD.chaos_figure(np.array(CHAOS_RADII), lam, current=current)


def chaos_text(lam: np.ndarray) -> str:
    r = np.array(CHAOS_RADII)
    pos = np.nonzero(lam > 0.01)[0]
    edge = f"λ_max first exceeds 0.01 at ρ ≈ {r[pos[0]]:.2f}" if len(pos) else "λ_max stays ≤ 0.01 on this range"
    return (f"Untrained tanh RNN, H = 64, small random inputs, {ChaosSettings().seq_len} steps after a "
            f"{ChaosSettings().burn_in}-step burn-in. Below ρ ≈ 1 the exponent follows ln ρ (tanh is nearly "
            f"linear near 0); {edge}. Between order and chaos the exponent hovers near 0: that is where an "
            "untrained network keeps information longest, and where gradients neither vanish nor explode.")


def corners_text(summary: FixedPointSummary) -> str:
    """Markdown: one badge per memory, green when a stable fixed point holds it, grey otherwise."""
    have = set(summary.corners)
    words = [c.replace("-", MINUS) for c in all_corners(3)]
    return " ".join(f":green-badge[{w}]" if w in have else f":gray-badge[{w} missing]" for w in words)


def fixed_point_table(fp: FixedPoints, labels: tuple = ()) -> list[dict]:
    """One row per fixed point: stability, the memory it reads out, its largest |λ|, q."""
    rows = []
    for i in range(len(fp)):
        rows.append({"point": i + 1, "stable": bool(fp.stable[i]),
                     "memory": labels[i] if i < len(labels) else "",
                     "max |λ|": float(np.abs(fp.eigenvalues[i]).max()),
                     "unstable dims": int(fp.n_unstable_dims[i]), "q": float(fp.q[i])})
    return rows
