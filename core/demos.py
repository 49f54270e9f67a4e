"""Small "train in seconds" recipes: a task, a model and optimiser settings that reliably learn.

The theory pages train these on demand (a button press, a few seconds on one CPU thread) to show
each input/output structure, a bidirectional RNN against a one-way one, and attention against a
plain last-state readout. ``tests/core/test_demos.py`` checks that every recipe beats its task's
trivial baseline (the best constant prediction) within its step budget.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from . import budget
from .models import build_model
from .tasks import Batch, Task, get_task
from .trainer import Trainer


@dataclass(frozen=True)
class DemoRecipe:
    """A reproducible small training run."""

    task: str  # registry key of core.TASKS
    task_params: tuple = ()  # ((name, value), ...): the task factory's arguments (hashable)
    kind: str = "gru"  # "rnn", "lstm" or "gru"
    hidden: int = 16  # hidden units H per direction
    lr: float = 1e-2  # Adam learning rate
    steps: int = 150  # optimisation steps: a few seconds on one CPU thread
    batch: int = 32  # sequences per step
    bidirectional: bool = False  # add a backward-in-time chain
    head: str | None = None  # model head; None: the one the task asks for
    seed: int = 0  # model initialisation and data stream

    def make_task(self) -> Task:
        return get_task(self.task, **dict(self.task_params))


DEMOS: dict[str, DemoRecipe] = {
    # I/O structures (lecture note section 4)
    "one_to_one": DemoRecipe("one_to_one", (), "rnn", 16, 3e-2, 200, 64),
    "one_to_many": DemoRecipe("waveform", (("seq_len", 24),), "gru", 24, 2e-2, 150),
    "many_to_one": DemoRecipe("sentiment", (("seq_len", 6),), "gru", 16, 2e-2, 150),
    "many_to_many": DemoRecipe("char_lm", (("seq_len", 24),), "gru", 48, 2e-2, 120),
    "encoder_decoder": DemoRecipe("reversal", (("seq_len", 4), ("n_symbols", 4)), "gru", 24, 2e-2, 150),
    # Bidirectional RNNs (section 7): the label of step t depends on x_{t+shift}
    "lookahead_bi": DemoRecipe("lookahead", (("seq_len", 16), ("shift", 2)), "rnn", 16, 1e-2, 100,
                               bidirectional=True),
    "lookahead_uni": DemoRecipe("lookahead", (("seq_len", 16), ("shift", 2)), "rnn", 16, 1e-2, 100),
    # Attention (section 7): recall the value at the marked step of a long sequence. A vanilla RNN's
    # last state forgets it over 40 steps; attention reads it straight from the state at the mark.
    "attention": DemoRecipe("marked_recall", (("seq_len", 40),), "rnn", 16, 1e-2, 200, head="attention"),
    "attention_last": DemoRecipe("marked_recall", (("seq_len", 40),), "rnn", 16, 1e-2, 200, head="last"),
}


def with_params(recipe: DemoRecipe, **task_params) -> DemoRecipe:
    """The recipe with some task parameters replaced (e.g. ``shift=3``)."""
    merged = {**dict(recipe.task_params), **task_params}
    return replace(recipe, task_params=tuple(sorted(merged.items())))


def build_trainer(recipe: DemoRecipe, *, seed: int | None = None, device: str = "cpu") -> Trainer:
    """A fresh model and trainer for ``recipe`` (not trained yet).

    Args:
        recipe: the run to build.
        seed: overrides ``recipe.seed`` (model initialisation and data stream).
        device: where to train; small demos are fastest on the CPU.
    """
    s = recipe.seed if seed is None else int(seed)
    task = recipe.make_task()
    budget.check_job(task, recipe.kind, recipe.hidden, recipe.batch, bidirectional=recipe.bidirectional,
                     head=recipe.head or task.head)
    model = build_model(recipe.kind, task.input_size, recipe.hidden, task.output_size,
                        bidirectional=recipe.bidirectional, head=recipe.head or task.head,
                        out_steps=task.out_steps, seed=s)
    return Trainer(model, task, lr=recipe.lr, batch_size=recipe.batch, device=device, seed=s)


@dataclass(frozen=True)
class DemoResult:
    """A trained demo and its held-out numbers."""

    trainer: Trainer  # the trained model, task and history
    loss_before: float  # held-out loss before training
    metric_before: float  # held-out metric before training
    loss: float  # held-out loss after training
    metric: float  # held-out metric after training
    steps: int  # steps trained


def train_demo(recipe: DemoRecipe, *, steps: int | None = None, seed: int | None = None) -> DemoResult:
    """Train ``recipe`` for ``steps`` (default ``recipe.steps``) on the CPU, synchronously.

    Returns:
        the trained run with held-out loss and metric before and after (the trainer's fixed
        validation batch of 256 sequences).
    """
    tr = build_trainer(recipe, seed=seed)
    ev0 = tr.evaluate()
    n = recipe.steps if steps is None else int(steps)
    tr.train(n)
    ev = tr.evaluate()
    return DemoResult(tr, ev0["loss"], ev0["metric"], ev["loss"], ev["metric"], n)


def predict(trainer: Trainer, n: int = 8, seed: int = 1) -> tuple[Batch, np.ndarray]:
    """``n`` held-out sequences and the model's output on them.

    Returns:
        (batch on the CPU, output as numpy: (n, T, O), (n, O) or (n, T_out, O)).
    """
    batch = trainer.task.sample(n, torch.Generator().manual_seed(10_000 + seed))
    model = trainer.model
    model.eval()
    with torch.no_grad():
        out = model(batch.x.to(trainer.device), None if batch.lengths is None else batch.lengths.to(trainer.device))
    return batch, out.detach().cpu().numpy()
