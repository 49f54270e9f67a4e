"""Logic of the Bidirectional & attention page. No Streamlit calls.

- Look-ahead (``train_lookahead``): a bidirectional and a one-way vanilla RNN trained on the same
  data, synchronously (a few seconds); numpy results for the figures.
- Marked recall (``new_attention_jobs``): an attention model and a plain last-state model trained
  in background ``TrainingJob``s, so the page can draw the attention weights while they learn.

Texts come from the catalogue (``bidir.*``); every function that returns text takes ``lang``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go
import torch

from core import trace
from core.demos import DEMOS, DemoRecipe, build_trainer, train_demo, with_params

from ..app import i18n
from ..figures.attention import attention_heatmap, comparison_bars, direction_states_figure, lookahead_figure
from ..jobs.concurrency import JobLimiter
from ..jobs.snapshots import Snapshot
from ..jobs.training_job import TrainingJob

N_SEQUENCES = 6  # held-out look-ahead sequences kept for the figures
ATTENTION_JOBS = ("attention", "attention_last")  # JobBoard names: attention head, last-state head
PROBE_EVERY = 10  # steps between probes of the attention jobs (the heatmap's refresh)


# ---- bidirectional ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LookaheadResult:
    """Bidirectional vs one-way on the look-ahead task, as numpy arrays (picklable)."""

    shift: int  # label of step t = sign of x_{t+shift}
    steps: int  # training steps of each model
    seed: int  # model and data seed
    seconds: float  # wall time of both trainings
    acc_bi_before: float  # held-out accuracy, untrained bidirectional model
    acc_uni_before: float  # held-out accuracy, untrained one-way model
    acc_bi: float  # held-out accuracy after training
    acc_uni: float
    baseline: float  # accuracy of the best constant prediction
    x: np.ndarray  # (n, T) held-out inputs
    target: np.ndarray  # (n, T) 0/1 labels
    p_bi: np.ndarray  # (n, T) P(positive), bidirectional
    p_uni: np.ndarray  # (n, T) P(positive), one-way
    forward: np.ndarray  # (n, T, H) forward states of the bidirectional model
    backward: np.ndarray  # (n, T, H) backward states of the bidirectional model


def lookahead_recipes(shift: int) -> tuple[DemoRecipe, DemoRecipe]:
    return with_params(DEMOS["lookahead_bi"], shift=int(shift)), with_params(DEMOS["lookahead_uni"], shift=int(shift))


def train_lookahead(shift: int = 2, steps: int | None = None, seed: int = 0) -> LookaheadResult:
    """Train both look-ahead models (same data stream, same seed) and trace held-out sequences."""
    r_bi, r_uni = lookahead_recipes(shift)
    t0 = time.perf_counter()
    bi = train_demo(r_bi, steps=steps, seed=seed)
    uni = train_demo(r_uni, steps=steps, seed=seed)
    seconds = time.perf_counter() - t0
    task = bi.trainer.task
    batch = bi.trainer.validation_batch(256)
    x, y = batch.x[:N_SEQUENCES], batch.y[:N_SEQUENCES]
    t_bi = trace(bi.trainer.model, x, y, task)
    t_uni = trace(uni.trainer.model, x, y, task)
    return LookaheadResult(int(shift), bi.steps, int(seed), seconds, bi.metric_before, uni.metric_before,
                           bi.metric, uni.metric, task.baseline_metric, x[..., 0].numpy(), y.numpy(),
                           _p_positive(t_bi.output), _p_positive(t_uni.output), t_bi.hidden,
                           t_bi.hidden_backward)


def _p_positive(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, float)
    return 1.0 / (1.0 + np.exp(-(z[..., 1] - z[..., 0])))  # softmax of two classes


def lookahead_fig(res: LookaheadResult, i: int = 0, lang: str = "en") -> go.Figure:
    i = int(np.clip(i, 0, res.x.shape[0] - 1))
    return lookahead_figure(res.x[i], res.target[i], res.p_bi[i], res.p_uni[i], shift=res.shift, lang=lang,
                            title=i18n.text("bidir.fig.lookahead_title", lang, i=i + 1))


def states_fig(res: LookaheadResult, i: int = 0, lang: str = "en") -> go.Figure:
    i = int(np.clip(i, 0, res.x.shape[0] - 1))
    return direction_states_figure(res.forward[i], res.backward[i], lang=lang,
                                   title=i18n.text("bidir.fig.states_title", lang, i=i + 1))


def lookahead_compare_fig(res: LookaheadResult, lang: str = "en") -> go.Figure:
    labels = [i18n.text("bidir.model.bidirectional", lang), i18n.text("bidir.model.one_way", lang)]
    return comparison_bars(labels, [res.acc_bi_before, res.acc_uni_before],
                           [res.acc_bi, res.acc_uni], baseline=res.baseline, lang=lang,
                           y_title=i18n.text("bidir.fig.accuracy", lang),
                           title=i18n.text("bidir.fig.compare_title", lang))


# ---- attention --------------------------------------------------------------------------------

def attention_label(name: str, lang: str = "en") -> str:
    """What a job of ATTENTION_JOBS is called on the page ("attention head", "last state only")."""
    if name not in ATTENTION_JOBS:
        raise ValueError(f"unknown attention job {name!r}; choose one of {ATTENTION_JOBS}")
    return i18n.text(f"bidir.job.{name}", lang)


def attention_recipe(name: str, seq_len: int, steps: int, seed: int) -> DemoRecipe:
    return replace(with_params(DEMOS[name], seq_len=int(seq_len)), steps=int(steps), seed=int(seed))


def new_attention_jobs(seq_len: int, steps: int, seed: int,
                       limiter: JobLimiter | None = None) -> dict[str, TrainingJob]:
    """One background job per name in ATTENTION_JOBS (not started)."""
    jobs = {}
    for name in ATTENTION_JOBS:
        r = attention_recipe(name, seq_len, steps, seed)
        jobs[name] = TrainingJob(build_trainer(r), r.steps, limiter=limiter, probe_every=PROBE_EVERY, name=name)
    return jobs


@dataclass(frozen=True)
class AttentionBefore:
    """The untrained attention model on the probe sequences, and both models' held-out MSE."""

    weights: np.ndarray  # (n, T) attention weights of the untrained model
    marks: np.ndarray  # (n,) marked step of each probe sequence
    mse: dict  # job name -> held-out MSE before training


def attention_before(seq_len: int, seed: int) -> AttentionBefore:
    """What the page shows before training (the same probe sequences the jobs will trace)."""
    mse = {}
    weights = marks = None
    for name in ATTENTION_JOBS:
        tr = build_trainer(attention_recipe(name, seq_len, 0, seed))
        mse[name] = tr.evaluate()["metric"]
        if name == "attention":
            b = tr.validation_batch(256)
            x, y = b.x[:N_SEQUENCES], b.y[:N_SEQUENCES]
            with torch.no_grad():
                weights = trace(tr.model, x, y, tr.task).attention
            marks = x[:, :, 1].argmax(1).numpy()
    return AttentionBefore(weights, marks, mse)


def probe_marks(x_ntf: np.ndarray) -> np.ndarray:
    """(n,) marked step of each sequence (channel 1 is the marker)."""
    return np.asarray(x_ntf)[:, :, 1].argmax(1)


def attention_fig(snap: Snapshot | None, before: AttentionBefore, lang: str = "en") -> go.Figure:
    """The latest probe's attention weights (the untrained model's before the first probe)."""
    p = None if snap is None else snap.probe
    if p is None or p.attention is None:
        return attention_heatmap(before.weights, before.marks, lang=lang,
                                 title=i18n.text("bidir.fig.untrained_title", lang))
    return attention_heatmap(p.attention, probe_marks(p.x), step=p.step, lang=lang)


def mass_on_mark(weights_nt: np.ndarray, marks_n: np.ndarray) -> float:
    """Mean attention weight on the marked step (1 = looks only there; 1/T = uniform)."""
    w = np.asarray(weights_nt, float)
    return float(w[np.arange(w.shape[0]), np.asarray(marks_n, int)].mean())


def latest_val_mse(snap: Snapshot | None, before: float) -> float:
    if snap is None or snap.val_metric.size == 0:
        return before
    return float(snap.val_metric[-1])


def attention_compare_fig(snaps: dict, before: AttentionBefore, baseline: float, lang: str = "en") -> go.Figure:
    names = list(ATTENTION_JOBS)
    after = [latest_val_mse(snaps.get(n), before.mse[n]) for n in names]
    return comparison_bars([attention_label(n, lang) for n in names], [before.mse[n] for n in names], after,
                           baseline=baseline, y_title=i18n.text("bidir.fig.mse", lang), higher_is_better=False,
                           lang=lang, title=i18n.text("bidir.fig.mse_title", lang))
