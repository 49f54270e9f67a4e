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
from core.dynamics import (FlipFlopRecipe, all_corners, fixed_point_tol, flipflop_trainer, frozen_copy,
                           layer0_states, readout_corners)
from core.tasks import IGNORE
from core.trace import whh_eigenvalues

from ..figures import dynamics as FD
from ..app.i18n import has, text
from ..jobs.training_job import TrainingJob
from ..figures.common import cell_name
from ..app import settings as ST

JOB_NAME = "dynamics.flipflop"  # the preset's job on the session's JobBoard
LAB_JOB = "lab"  # the Training lab's job
N_SEQUENCES = ST.N_DYN_SEQUENCES  # held-out sequences whose trajectories are drawn and seed the fixed-point search
FP_INTERVAL_S = 3.0  # recompute fixed points at most this often while training (1-2 s each)
FP_STARTS = 128  # starts of the live search
LIVE_POINTS = 2500  # trajectory points drawn while training (a browser redraws them every second)
SEARCH_THREAD = "rnnx-fixed-points"  # name of the fixed-point search thread (for debuggers)
MINUS = "\u2212"  # a real minus sign: "+−+" reads better than "+-+" on a projector
ANALYSIS_INTERVAL_S = 1.0  # re-run the held-out sequences at most this often while training
MAX_CATEGORIES = 12  # more distinct targets than this: colour by value instead
NO_TARGET = "(no target)"  # label of steps without a target; shown as "fig.dynamics.no_target"
# what the "target" colouring means (Analysis.color_title): a key of the catalogue table "fig.dynamics.color"
COLOR_TITLES = ("class", "class_index", "target", "channel1")


def make_flipflop_job(recipe: FlipFlopRecipe, device: str = "cpu", limiter=None) -> TrainingJob:
    """The preset's background job (not started)."""
    return TrainingJob(flipflop_trainer(recipe, device), recipe.steps, limiter=limiter, probe_every=50,
                       pca_dims=2, name=JOB_NAME)


def task_name(task, lang: str = "en") -> str:
    """The task's one-line title in ``lang``: the catalogue's when the task has its built-in title
    (non-default parameters or an uploaded dataset: the task's own title)."""
    key = f"tasks.{task.name}.title"
    return text(key, lang) if has(key) and text(key) == task.title else task.title


def describe(job: TrainingJob, lang: str = "en") -> str:
    """One line naming the analysed model: cell, H, layers, direction, task."""
    c = job.trainer.model.config
    act = text("dynamics.describe.act", lang, act=text(f"widgets.act.{c.nonlinearity}", lang)) \
        if c.kind == "rnn" else ""
    layers = text("dynamics.describe.layers", lang, n=c.num_layers) if c.num_layers > 1 else ""
    bi = text("dynamics.describe.bidirectional", lang) if c.bidirectional else ""
    return text("dynamics.describe.line", lang, cell=cell_name(c.kind, lang), act=act, hidden=c.hidden_size,
                layers=layers, bi=bi, task=task_name(job.trainer.task, lang))


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
    color_title: str  # what the target colour means: one of COLOR_TITLES (a catalogue key)
    job: int = 0  # id of the job the copy came from
    time: float = 0.0  # time.monotonic() of the copy


def fresh_analysis(job: TrainingJob, last: Analysis | None, now: float, active: bool) -> Analysis:
    """``last`` while it is recent enough (same job and step, or < ANALYSIS_INTERVAL_S old while
    training), else a new ``analyse`` aligned to it."""
    if last is not None and last.job == job.id and (
            last.step == job.model_step or (active and now - last.time < ANALYSIS_INTERVAL_S)):
        return last
    return analyse(job, last.basis if last is not None and last.job == job.id else None)


def analyse(job: TrainingJob, previous: PCABasis | None = None, n: int = N_SEQUENCES) -> Analysis:
    """Copy the job's model, run held-out sequences through layer 0 and fit a 3-component PCA
    (aligned to ``previous`` so the picture does not flip between refreshes)."""
    tr = job.trainer
    with job.locked():  # the weights and the step they are from, together
        step, model = job.model_step, frozen_copy(tr.model)
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
        (labels (n, T) str or None, values (n, T) float or None, title key: one of COLOR_TITLES).
        Steps without a target are labelled NO_TARGET.
    """
    y = np.asarray(y)
    n = y.shape[0]
    per_step = y.ndim >= 2 and y.shape[1] == T and not (task.loss_kind == "mse" and y.ndim == 2 and task.io in (
        "many-to-one", "one-to-one"))
    if task.loss_kind == "cross_entropy":
        yy = y if per_step else np.repeat(y.reshape(n, 1), T, 1)
        names = task.vocab or task.channel_names
        lab = np.where(yy == IGNORE, NO_TARGET, yy.astype(str)).astype(object)
        if names:
            for i, nm in enumerate(names):
                lab[yy == i] = repr(nm) if task.vocab else str(nm)
        if len(set(lab.reshape(-1).tolist())) <= MAX_CATEGORIES:
            return lab.astype(str), None, "class"
        return None, yy.astype(float), "class_index"
    yy = y.reshape(n, T, -1) if per_step else np.repeat(y.reshape(n, 1, -1), T, 1)
    rows = yy.reshape(-1, yy.shape[-1])
    finite = np.isfinite(rows).all(1)
    if finite.any() and len(np.unique(rows[finite], axis=0)) <= MAX_CATEGORIES and yy.shape[-1] <= 4:
        def word(r):
            if not np.isfinite(r).all():
                return NO_TARGET
            if set(np.unique(r).tolist()) <= {-1.0, 1.0}:
                return "".join("+" if v > 0 else MINUS for v in r)
            return ", ".join(f"{v:g}" for v in r)
        uniq, inv = np.unique(np.nan_to_num(rows, nan=np.inf), axis=0, return_inverse=True)
        words = np.array([word(np.where(np.isinf(u), np.nan, u)) for u in uniq], dtype=object)
        lab = words[inv.reshape(-1)].reshape(n, T)
        return lab.astype(str), None, "target"
    return None, yy[..., 0].astype(float), "channel1"


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
        self._thread = threading.Thread(target=self._run, args=(a,), daemon=True, name=SEARCH_THREAD)
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


def label_text(label: str, lang: str = "en") -> str:
    """A target label as shown: NO_TARGET and class words ("'even'", shared "tasks.class.<word>")
    in ``lang``; others (symbols, memories such as "+−+") as they are."""
    if label == NO_TARGET:
        return text("fig.dynamics.no_target", lang)
    word = label[1:-1] if len(label) > 2 and label[0] == label[-1] == "'" else None
    if word is not None and has(f"tasks.class.{word}"):
        return "'" + text(f"tasks.class.{word}", lang) + "'"
    return label


def state_space_fig(a: Analysis, fp: FixedPoints | None, *, dims: int = 2, color_by: str = "time",
                    labels: tuple = (), max_points: int = 8000, lang: str = "en") -> object:
    """Trajectories (h part) in the first ``dims`` PCs with the fixed points of ``fp``."""
    k = min(dims, a.basis.k)
    if k < 2:
        return FD.empty_figure(text("fig.dynamics.h1", lang), title=text("fig.dynamics.h1_title", lang), lang=lang)
    basis = PCABasis(a.basis.mean, a.basis.components[:k], a.basis.explained[:k], a.basis.fit_on)
    proj = project(basis, a.hidden)
    n, T = proj.shape[:2]
    kw = {}
    if color_by == "target" and a.color_labels is not None:
        shown = {w: label_text(w, lang) for w in np.unique(a.color_labels).tolist()}
        kw = dict(color_labels=np.vectorize(shown.get, otypes=[object])(a.color_labels)
                  if any(k != v for k, v in shown.items()) else a.color_labels)
    elif color_by == "target" and a.color_values is not None:
        kw = dict(color_values=a.color_values, color_title=text(f"fig.dynamics.color.{a.color_title}", lang))
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
    title = text("fig.dynamics.space", lang, cell=cell_name(a.model.config.kind, lang), step=a.step, n=n, k=k)
    if marks is not None:
        title += "<br><sup>" + text("fig.dynamics.space_sub", lang) + "</sup>"
    return FD.state_space_figure(proj, explained=basis.explained, fixed=marks, title=title, max_points=max_points,
                                 height=640 if k == 3 else 600, uirevision=f"space{k}", lang=lang, **kw)


def jacobian_eig_fig(fp: FixedPoints | None, step: int, lang: str = "en") -> object:
    title = text("fig.dynamics.jac_title", lang, step=step)
    if fp is None or not len(fp):
        return FD.empty_figure(text("fig.dynamics.no_fp", lang), title=title, height=440, lang=lang)
    sets = []
    if (~fp.stable).any():
        sets.append(FD.EigenSet(text("fig.dynamics.unstable_points", lang, n=int((~fp.stable).sum())),
                                fp.eigenvalues[~fp.stable], FD.UNSTABLE_COLOR, "diamond", 8, 0.7))
    if fp.stable.any():
        sets.append(FD.EigenSet(text("fig.dynamics.stable_points", lang, n=int(fp.stable.sum())),
                                fp.eigenvalues[fp.stable], FD.STABLE_COLOR, "circle", 7, 0.6))
    return FD.eigenvalue_figure(sets, title=title + "<br><sup>" + text("fig.dynamics.jac_sub", lang) + "</sup>",
                                uirevision="jac", lang=lang)


def whh_eig_fig_from(eig: np.ndarray, kind: str, step: int, initial: np.ndarray | None = None,
                     lang: str = "en") -> object:
    """Eigenvalues of W_hh at ``step`` (and at step 0 when ``initial`` is given)."""
    block = "W_hh" if kind == "rnn" else text("fig.dynamics.whh_block", lang)
    sets = []
    if initial is not None:
        sets.append(FD.EigenSet(text("fig.dynamics.at_step0", lang), initial, "#BBBBBB", "circle", 7, 0.8))
    sets.append(FD.EigenSet(text("fig.dynamics.at_step", lang, step=step), eig, FD.PALETTE[0], "circle", 9, 0.9))
    rho = float(np.abs(eig).max()) if len(eig) else float("nan")
    return FD.eigenvalue_figure(sets, title=text("fig.dynamics.whh_title", lang, block=block, rho=rho),
                                uirevision="whh", lang=lang)


def live_whh(job: TrainingJob) -> tuple[np.ndarray, int]:
    """W_hh eigenvalues of the job's model now (a detached copy of the block; the thread may step)."""
    with job.locked(), torch.no_grad():
        return whh_eigenvalues(job.trainer.model), job.model_step


def corners_text(summary: FixedPointSummary, lang: str = "en") -> str:
    """Markdown: one badge per memory, green when a stable fixed point holds it, grey otherwise."""
    have = set(summary.corners)
    words = [c.replace("-", MINUS) for c in all_corners(3)]
    return " ".join(f":green-badge[{w}]" if w in have else
                    ":gray-badge[" + text("dynamics.corner_missing", lang, memory=w) + "]" for w in words)


TABLE_LABELS = {"point": "point", "stable": "stable", "memory": "memory", "max |λ|": "max_lambda",
                "unstable dims": "unstable_dims"}  # column of fixed_point_table -> "dynamics.table.<key>"


def table_labels(lang: str = "en") -> dict[str, str]:
    """Column of ``fixed_point_table`` -> its header in ``lang`` ("q" stays "q")."""
    return {col: text(f"dynamics.table.{key}", lang) for col, key in TABLE_LABELS.items()} | {"q": "q"}


def fixed_point_table(fp: FixedPoints, labels: tuple = ()) -> list[dict]:
    """One row per fixed point: stability, the memory it reads out, its largest |λ|, q."""
    rows = []
    for i in range(len(fp)):
        rows.append({"point": i + 1, "stable": bool(fp.stable[i]),
                     "memory": labels[i] if i < len(labels) else "",
                     "max |λ|": float(np.abs(fp.eigenvalues[i]).max()),
                     "unstable dims": int(fp.n_unstable_dims[i]), "q": float(fp.q[i])})
    return rows
