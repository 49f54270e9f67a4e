"""What a sequence task is: ``Batch`` and ``Task`` (sizes, loss, metric, constant baseline).

``core.tasks`` registers the built-in tasks; ``core.datasets`` builds tasks from uploaded data.
Both import these types from here, so neither imports the other's generators.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from . import budget

IO_KINDS = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder")
IGNORE = -100  # class target that the loss and metrics skip (cross_entropy's ignore_index)


class Batch(tuple):
    """(x, y) that also carries ``lengths`` (B,) for variable-length data (None when fixed)."""

    def __new__(cls, x: Tensor, y: Tensor, lengths: Tensor | None = None):
        obj = super().__new__(cls, (x, y))
        obj.lengths = lengths
        return obj

    @property
    def x(self) -> Tensor:
        return self[0]

    @property
    def y(self) -> Tensor:
        return self[1]

    def to(self, device) -> "Batch":
        return Batch(self[0].to(device), self[1].to(device),
                     None if self.lengths is None else self.lengths.to(device))


@dataclass
class Task:
    """A supervised sequence task.

    ``sampler(batch_size, generator) -> Batch`` makes x float32 (B, T, F) and y: float (B, T, O) or
    (B, O) for "mse"; long (B, T) or (B,) class indices for "cross_entropy" (IGNORE to skip a step).
    """

    name: str  # registry key
    io: str  # one of IO_KINDS
    input_size: int  # F
    output_size: int  # O, or the number of classes
    loss_kind: str  # "mse" or "cross_entropy"
    sampler: Callable[[int, torch.Generator], Batch]
    seq_len: int  # T of the inputs (the longest, for variable lengths)
    head: str = "per_step"  # the model head this structure needs (see core.models.HEADS)
    title: str = ""  # one line for a menu
    description: str = ""  # what the network must learn, for a page
    metric: str = ""  # "accuracy" for classification, "mse" for regression
    params: dict = field(default_factory=dict)  # the factory's arguments, to rebuild the task
    vocab: list[str] | None = None  # symbol of each class / one-hot input index (text, words)
    channel_names: list[str] | None = None  # input channel names
    out_steps: int | None = None  # encoder-decoder output length
    baseline_loss: float = float("nan")  # loss of the best constant prediction
    baseline_metric: float = float("nan")  # metric of the best constant prediction
    validation: Batch | None = None  # a fixed held-out batch (datasets); None: drawn by seed
    nan_targets: bool = False  # regression targets may hold NaN (gaps) that the loss must skip
    max_batch: int | None = None  # most sequences a held-out batch may hold (a byte budget); None: any
    test: Batch | None = None  # a declared test file, prepared as ``validation``: scored, never used to choose

    def __post_init__(self):
        if not self.metric:
            self.metric = "accuracy" if self.loss_kind == "cross_entropy" else "mse"
        if math.isnan(self.baseline_loss):
            ref = self.sample(min(reference_size(self), self.max_batch or REFERENCE_SEQUENCES),
                              torch.Generator().manual_seed(12345))
            self.baseline_loss, self.baseline_metric = constant_baseline(self, ref.y)

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "accuracy"

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        return self.sampler(batch_size, generator)

    def loss(self, output: Tensor, y: Tensor) -> Tensor:
        """Mean loss over the valid targets (IGNORE classes, NaN regression targets skipped)."""
        if self.loss_kind == "cross_entropy":
            return F.cross_entropy(output.reshape(-1, output.shape[-1]), y.reshape(-1),
                                   ignore_index=IGNORE)
        if not self.nan_targets:  # built-in tasks: no per-step NaN check (it costs a sync a step)
            return F.mse_loss(output, y)
        valid = ~torch.isnan(y)
        return ((output - torch.nan_to_num(y)) ** 2 * valid).sum() / valid.sum().clamp(min=1)

    def score(self, output: Tensor, y: Tensor) -> float:
        """The task's metric (accuracy in [0, 1] or MSE) over valid targets."""
        return float(self.score_tensor(output, y))

    def score_tensor(self, output: Tensor, y: Tensor) -> Tensor:
        """``score`` as a 0-d tensor on the outputs' device (read it back when needed: no sync)."""
        with torch.no_grad():
            if self.loss_kind == "cross_entropy":
                valid = y != IGNORE
                hit = (output.argmax(-1) == y) & valid
                return hit.sum() / valid.sum().clamp(min=1)
            return self.loss(output, y)


REFERENCE_SEQUENCES = 2048  # sequences of the reference batch the constant baseline is measured on
REFERENCE_BYTES = 64 * 2**20  # ... at most: long one-hot tasks (char_lm at T=1000: 500 MB) take fewer


def reference_size(task: Task) -> int:
    """Sequences in ``task``'s reference batch: ``REFERENCE_SEQUENCES``, fewer when they would hold
    more than ``REFERENCE_BYTES`` (at least 64)."""
    n = budget.batch_cap(REFERENCE_BYTES, task.seq_len or 1, task.input_size, task.output_size,
                  per_step_output=task.head == "per_step", most=REFERENCE_SEQUENCES)
    return max(64, n)


def constant_baseline(task: Task, y: Tensor) -> tuple[float, float]:
    """(loss, metric) of the best constant prediction for targets ``y``."""
    if task.loss_kind == "cross_entropy":
        t = y[y != IGNORE].reshape(-1)
        p = torch.bincount(t, minlength=task.output_size).double()
        p = p / p.sum()
        nz = p[p > 0]
        return float(-(nz * nz.log()).sum()), float(p.max())
    flat = y.reshape(-1, y.shape[-1]).double()
    mean = torch.nanmean(flat, dim=0)
    mse = float(torch.nanmean((flat - mean) ** 2))
    return mse, mse
