"""A model on its task's held-out data (the test file when one is declared, else the validation
split), beside the best constant prediction: the Data page's "Evaluate" cards. No Streamlit calls."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..app.i18n import text


@dataclass(frozen=True)
class HeldOut:
    """A model on the task's held-out batch (the test file when one is declared)."""

    dataset: str  # the uploaded dataset's name
    on_test: bool  # True: the test file; False: the validation split
    n: int  # sequences / windows evaluated
    metric_name: str  # "accuracy" or "mse"
    loss: float  # the model's loss
    metric: float  # the model's accuracy or MSE
    baseline_loss: float  # the constant prediction fitted on training data, on the same batch
    baseline_metric: float
    step: int  # training step of the model
    best: bool = False  # the model is the run's best checkpoint (not its last step)


def constant_output(task, y_ref: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The best constant prediction fitted on training targets ``y_ref``, shaped for ``y``:
    log class frequencies (cross-entropy) or the per-output mean (MSE)."""
    if task.loss_kind == "cross_entropy":
        t = y_ref[y_ref >= 0].reshape(-1)
        p = torch.bincount(t, minlength=task.output_size).double() / max(1, t.numel())
        logits = torch.log(p.clamp_min(1e-12)).float()
        return logits.expand(*y.shape, task.output_size)
    mean = torch.nanmean(y_ref.reshape(-1, y_ref.shape[-1]).double(), 0).float()
    return mean.expand(*y.shape)


def held_out(model, task, step: int = 0, dataset: str = "", best: bool = False) -> HeldOut:
    """Loss and metric of ``model`` on ``task.test`` (the test file), else on ``task.validation``,
    beside the trivial baseline (``best``: the model is the run's best checkpoint, for the caption)."""
    v = task.test if task.test is not None else task.validation
    if v is None:
        raise ValueError(f"{task.name} has no held-out batch")
    dev = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        out = model(v.x.to(dev), None if v.lengths is None else v.lengths.to(dev)).cpu()
    ref = task.sample(2048, torch.Generator().manual_seed(12345)).y
    base = constant_output(task, ref, v.y)
    return HeldOut(dataset, task.test is not None, int(v.x.shape[0]), task.metric,
                   float(task.loss(out, v.y)), task.score(out, v.y), float(task.loss(base, v.y)),
                   task.score(base, v.y), int(step), bool(best))


def held_out_cards(r: HeldOut, lang: str = "en") -> tuple[list[tuple[str, str, str | None]], str]:
    """(label, value, delta) metric cards and a caption for a held-out evaluation, in ``lang``.
    A delta starts with its number (Streamlit colours a metric's delta by its leading sign)."""
    def tx(key, **values):
        return text(f"data.eval.{key}", lang, **values)

    where = tx("on_test" if r.on_test else "on_val")
    fmt = (lambda v: f"{v:.1%}") if r.metric_name == "accuracy" else (lambda v: f"{v:.4g}")
    metric = text(f"data.metric.{r.metric_name}", lang)
    cards = [(tx("metric_label", metric=metric, where=where, n=f"{r.n:,}"), fmt(r.metric),
              tx("vs_baseline", delta=fmt(r.metric - r.baseline_metric))),
             (tx("baseline_card"), fmt(r.baseline_metric), None),
             (tx("loss_card"), f"{r.loss:.4g} / {r.baseline_loss:.4g}", None)]
    caption = tx("caption_accuracy" if r.metric_name == "accuracy" else "caption_mse", step=r.step)
    return cards, caption + (" " + tx("best_note") if r.best else "")
