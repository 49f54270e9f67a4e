"""The training loop. It knows nothing of any UI: callers subscribe with callbacks."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from .tasks import Batch, Task

OPTIMIZERS = ("adam", "sgd")


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple MPS, then the CPU; anything else is passed to torch."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(device)


def describe_device(device: torch.device) -> str:
    """A short human name, e.g. "CPU (2 threads)" or "CUDA: NVIDIA H100"."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'' if n == 1 else 's'})"


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser settings of a run (saved with it)."""

    lr: float = 1e-2  # learning rate
    batch_size: int = 32  # sequences per step
    optimizer: str = "adam"  # "adam" or "sgd" (with momentum)
    momentum: float = 0.9  # SGD only
    weight_decay: float = 0.0  # L2 penalty applied by the optimiser
    clip: float | None = None  # clip the global gradient norm to this value; None: no clipping
    seed: int = 0  # seeds the data stream (the model has its own init seed)


class Trainer:
    """Trains ``model`` on batches drawn from ``task``.

    ``step()`` returns a record dict: step, loss, grad_norm (before clipping), metric (and
    ``accuracy`` for classification), clipped, diverged, seconds. Callbacks registered with
    ``on_step`` are called with (trainer, record) after each step.
    """

    def __init__(self, model: nn.Module, task: Task, *, lr: float = 1e-2, batch_size: int = 32,
                 optimizer: str = "adam", momentum: float = 0.9, weight_decay: float = 0.0,
                 clip: float | None = None, device: str | torch.device = "auto", seed: int = 0,
                 max_history: int = 100_000):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {OPTIMIZERS}")
        self.config = TrainConfig(float(lr), int(batch_size), optimizer, float(momentum),
                                  float(weight_decay), None if clip in (None, 0) else float(clip), int(seed))
        self.device = pick_device(device)
        self.model = model.to(self.device)
        self.task = task
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.optimizer = self._make_optimizer()
        self.step_count = 0
        self.history: list[dict] = []
        self.max_history = max_history  # older records are thinned, not dropped, past this
        self.diverged = False
        self.callbacks: list[Callable[["Trainer", dict], None]] = []
        self._val_batches: dict[int, Batch] = {}  # held-out batches by size, drawn once
        self._params = [p for p in self.model.parameters() if p.requires_grad]
        self._last_good = [p.detach().clone() for p in self._params]

    def _make_optimizer(self) -> torch.optim.Optimizer:
        c = self.config
        params = self.model.parameters()
        if c.optimizer == "adam":
            return torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay)
        return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)

    def on_step(self, fn: Callable[["Trainer", dict], None]) -> None:
        """Subscribe ``fn(trainer, record)``, called after every step."""
        self.callbacks.append(fn)

    def set_lr(self, lr: float) -> None:
        """Change the learning rate between steps (e.g. after a divergence)."""
        for g in self.optimizer.param_groups:
            g["lr"] = float(lr)
        self.config = TrainConfig(**{**self.config.__dict__, "lr": float(lr)})

    def set_clip(self, clip: float | None) -> None:
        """Change (or turn off with None/0) gradient clipping between steps."""
        clip = None if not clip else float(clip)
        self.config = TrainConfig(**{**self.config.__dict__, "clip": clip})

    def next_batch(self) -> Batch:
        return self.task.sample(self.config.batch_size, self.generator).to(self.device)

    def step(self) -> dict:
        """One optimisation step. A non-finite loss or gradient rolls the parameters back to the
        last ones that gave a finite loss, resets the optimiser's moments and sets ``diverged``."""
        t0 = time.perf_counter()
        self.model.train()
        batch = self.next_batch()
        out = self.model(batch.x, batch.lengths)
        loss = self.task.loss(out, batch.y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(
            self._params, self.config.clip if self.config.clip else float("inf"))
        loss_v, gn = float(loss.detach()), float(grad_norm)
        self.step_count += 1
        rec = {"step": self.step_count, "loss": loss_v, "grad_norm": gn,
               "clipped": bool(self.config.clip and gn > self.config.clip), "diverged": False}
        if not (math.isfinite(loss_v) and math.isfinite(gn)):
            self._roll_back()
            rec["diverged"] = True
        else:
            torch._foreach_copy_(self._last_good, [p.detach() for p in self._params])
            self.optimizer.step()
            # for regression the metric is the loss itself: no second pass
            metric = loss_v if self.task.metric == "mse" else self.task.score(out.detach(), batch.y)
            rec["metric"] = metric
            if self.task.metric == "accuracy":
                rec["accuracy"] = metric
        rec["seconds"] = time.perf_counter() - t0
        self._record(rec)
        for fn in self.callbacks:
            fn(self, rec)
        return rec

    def _roll_back(self) -> None:
        with torch.no_grad():
            torch._foreach_copy_(self._params, self._last_good)
        self.optimizer = self._make_optimizer()  # Adam's moments may hold inf/nan now
        self.diverged = True

    def _record(self, rec: dict) -> None:
        self.history.append(rec)
        if len(self.history) > self.max_history:
            # keep memory bounded on long runs: drop every other record of the older half
            half = len(self.history) // 2
            self.history = self.history[:half:2] + self.history[half:]

    def train(self, steps: int, stop: Callable[[], bool] | None = None) -> list[dict]:
        """Run ``steps`` steps (or until ``stop()`` is true); returns their records."""
        out = []
        for _ in range(steps):
            if stop is not None and stop():
                break
            out.append(self.step())
        return out

    def evaluate(self, batch: Batch | None = None, batch_size: int = 256) -> dict:
        """Loss and metric on held-out data: the task's validation set, or a fixed batch drawn
        from a generator seeded apart from the training stream (the same batch every call)."""
        if batch is None:
            batch = self.validation_batch(batch_size)
        batch = batch.to(self.device)
        self.model.eval()
        with torch.no_grad():
            out = self.model(batch.x, batch.lengths)
            loss = float(self.task.loss(out, batch.y))
            metric = self.task.score(out, batch.y)
        return {"step": self.step_count, "loss": loss, "metric": metric}

    def validation_batch(self, batch_size: int = 256) -> Batch:
        """The held-out batch: drawn once per size (every probe evaluates on it) and kept."""
        if self.task.validation is not None:
            return self.task.validation
        batch_size = min(batch_size, self.task.max_batch or batch_size)  # wide one-hot inputs: capped by bytes
        if batch_size not in self._val_batches:
            gen = torch.Generator().manual_seed(self.config.seed + 7919)
            self._val_batches[batch_size] = self.task.sample(batch_size, gen)
        return self._val_batches[batch_size]

    # ---- pause, save, resume ----------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue the run exactly: model, optimiser, data stream, history."""
        return {
            "model": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "step": self.step_count,
            "history": list(self.history),
            "diverged": self.diverged,
            "config": dict(self.config.__dict__),
        }

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.config = TrainConfig(**state["config"])
        self.optimizer = self._make_optimizer()
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.step_count = int(state["step"])
        self.history = list(state["history"])
        self.diverged = bool(state["diverged"])
        torch._foreach_copy_(self._last_good, [p.detach() for p in self._params])
