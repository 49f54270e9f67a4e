"""The gradient-flow models after a short training (lecture note sections 6 and 7).

An untrained LSTM's forget gates sit near sigmoid(0) = 0.5, so its gradient halves every step
back; training on a task that needs memory (the adding problem) teaches gated cells to hold their
gates open. ``trained_flow_model`` trains the model of a ``FlowSetup`` briefly, on short adding
sequences (a few seconds on one CPU thread), so its gradient flow can be measured at the setup's T.

torch + numpy only.
"""
from __future__ import annotations

from dataclasses import dataclass

from .gradients import FlowSetup, flow_model
from .tasks import get_task
from .trainer import Trainer


@dataclass(frozen=True)
class FlowTraining:
    """How the cells are briefly trained before their gradient flow is measured."""

    task_len: int = 20  # T of the adding sequences trained on (short: the training costs seconds)
    steps: int = 200  # optimisation steps
    lr: float = 1e-2  # Adam learning rate
    batch_size: int = 32  # sequences per step
    clip: float = 1.0  # global gradient-norm clip


def trained_flow_model(setup: FlowSetup, training: FlowTraining = FlowTraining()):
    """The model of ``setup`` (same initialisation) after ``training`` on the adding problem.

    The data stream is seeded with ``setup.seed``; the weights do not depend on T, so the model
    trained on ``training.task_len`` steps is measured on the setup's own T.

    Returns:
        (model, final training losses (last 20 steps' mean)).
    """
    model = flow_model(setup)
    task = get_task("adding", seq_len=int(training.task_len))
    tr = Trainer(model, task, lr=float(training.lr), batch_size=int(training.batch_size), optimizer="adam",
                 clip=float(training.clip), device="cpu", seed=int(setup.seed))
    recs = tr.train(int(training.steps))
    tail = [r["loss"] for r in recs[-20:] if not r["diverged"]]
    return model.eval(), (sum(tail) / len(tail) if tail else float("nan"))
