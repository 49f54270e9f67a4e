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
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
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
    ``accuracy`` for classification), clipped, diverged, seconds. ``advance()`` steps without a
    host sync: losses and gradient norms wait on the device and are read back every
    ``readback_every`` steps (and by ``flush()``). Callbacks registered with ``on_step`` are
    called with (trainer, record) for every step, in order, when its record is read back.

    Best checkpoint: ``evaluate(track_best=True)`` (or ``note_validation(result)``) keeps a copy
    of the model's weights whenever the held-out metric improves (higher accuracy, lower MSE);
    ``best_step``, ``best_metric``, ``best_state_dict()`` and ``restore_best()`` read it back.
    With ``patience`` set, ``should_stop`` turns True after that many tracked evaluations
    without improvement. The copy is made only on improvement, never in ``step()``.

    Raises:
        ValueError: at construction, when the model's input size, output size or head does not
            fit the task (e.g. a per-step head on a many-to-one task).
    """

    def __init__(self, model: nn.Module, task: Task, *, lr: float = 1e-2, batch_size: int = 32,
                 optimizer: str = "adam", momentum: float = 0.9, weight_decay: float = 0.0,
                 clip: float | None = None, device: str | torch.device = "auto", seed: int = 0,
                 max_history: int = 100_000, patience: int | None = None,
                 readback_every: int = 10):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {OPTIMIZERS}")
        if patience is not None and int(patience) < 1:
            raise ValueError(f"patience must be at least 1 evaluation (or None), got {patience}")
        check_fits(model, task)
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
        self.readback_every = max(1, int(readback_every))  # steps whose loss waits on the device
        self._pending: list[list] = []  # [step, loss, grad_norm, metric|None, t0(, seconds)] per step
        self.callbacks: list[Callable[["Trainer", dict], None]] = []
        self._val_batches: dict[int, Batch] = {}  # held-out batches by size, drawn once
        self._params = [p for p in self.model.parameters() if p.requires_grad]
        self._last_good = [p.detach().clone() for p in self._params]
        self.patience = None if patience is None else int(patience)  # tracked evaluations without gain
        self.best_step: int | None = None  # step of the best held-out metric seen (None: none yet)
        self.best_metric: float | None = None  # that metric
        self._best_state: dict | None = None  # model weights at best_step (CPU copies)
        self._since_best = 0  # tracked evaluations since the last improvement
        self._best_loss = math.inf  # held-out loss at best_step (breaks ties of the metric)

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
        """The next training batch on the trainer's device, moved without a host sync.

        Variable-length batches keep ``lengths`` (B,) on the CPU, where packing reads them (on the
        GPU they would be read back every step), sorted longest first: that spares packing's own
        index copies, and the order of sequences in a batch changes no mean loss."""
        b = self.task.sample(self.config.batch_size, self.generator)
        lengths = b.lengths
        if lengths is not None:
            lengths = lengths.cpu()
            order = torch.argsort(lengths, descending=True, stable=True)
            b, lengths = Batch(b.x[order], b.y[order]), lengths[order]
        if self.device.type not in ("cuda", "meta"):  # CPU (a no-op), MPS and others: plain copies
            return Batch(b.x.to(self.device), b.y.to(self.device), lengths)
        # a blocking copy to the GPU makes the host wait for its queue; non_blocking from pinned
        # memory does not (meta, CUDA's stand-in in tests/device_waits.py, cannot pin)
        cuda = self.device.type == "cuda"
        move = lambda t: (t.pin_memory() if cuda else t).to(self.device, non_blocking=True)  # noqa: E731
        return Batch(move(b.x), move(b.y), lengths.pin_memory() if cuda and lengths is not None else lengths)

    def step(self) -> dict:
        """One optimisation step, read back at once: returns its record. A non-finite loss or
        gradient rolls the parameters back to the last ones that gave a finite loss, resets the
        optimiser's moments and sets ``diverged``."""
        recs = self._step(read_back=True)
        return recs[-1]

    def advance(self) -> list[dict]:
        """One optimisation step whose loss and gradient norm stay on the device (no host sync);
        every ``readback_every`` steps they are read back together. Returns the records read
        back by this call (usually none). A divergence is caught at the readback: the parameters
        roll back to those of the last readback (at most ``readback_every`` steps earlier), the
        records end at the first non-finite step and ``step_count`` returns to it."""
        return self._step(read_back=len(self._pending) + 1 >= self.readback_every)

    @property
    def pending(self) -> int:
        """Steps taken whose loss is still on the device (not yet in ``history``)."""
        return len(self._pending)

    def flush(self) -> list[dict]:
        """Read back the pending steps now (probe time, pause, end): their records, divergence
        check and callbacks, as ``advance`` does every ``readback_every`` steps."""
        return self._read_back(update=False)

    def _step(self, read_back: bool) -> list[dict]:
        t0 = time.perf_counter()
        self.model.train()
        batch = self.next_batch()
        out = self.model(batch.x, batch.lengths)
        loss = self.task.loss(out, batch.y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.clip:
            grad_norm = torch.nn.utils.clip_grad_norm_(self._params, self.config.clip)
        else:  # the norm only: no rescaling by 1
            grad_norm = torch.nn.utils.get_total_norm([p.grad for p in self._params if p.grad is not None])
        metric = None if self.task.metric == "mse" else self.task.score_tensor(out.detach(), batch.y)
        self.step_count += 1
        entry = [self.step_count, loss.detach(), grad_norm, metric, t0]  # + seconds once stepped
        self._pending.append(entry)
        if read_back:
            return self._read_back(update=True)
        self.optimizer.step()  # unchecked: a non-finite step is caught (and undone) at the readback
        entry.append(time.perf_counter() - t0)
        return []

    def _read_back(self, update: bool) -> list[dict]:
        """One host sync for all pending steps. ``update``: the last pending step's optimiser
        update is still to do: when every step was finite, its parameters (which gave a finite
        loss) become the rollback point and the update is applied."""
        if not self._pending:
            return []
        pend, self._pending = self._pending, []
        rows = [torch.stack([e[1].float(), e[2].float(), (e[1] if e[3] is None else e[3]).float()]) for e in pend]
        vals = torch.stack(rows).cpu().tolist()  # (S, 3) loss, grad norm, metric: the one sync
        clip, recs = self.config.clip, []
        for e, (loss_v, gn, metric) in zip(pend, vals):
            rec = {"step": e[0], "loss": loss_v, "grad_norm": gn, "clipped": bool(clip and gn > clip),
                   "diverged": not (math.isfinite(loss_v) and math.isfinite(gn))}
            if not rec["diverged"]:
                rec["metric"] = metric
                if self.task.metric == "accuracy":
                    rec["accuracy"] = metric
            recs.append(rec)
            if rec["diverged"]:
                break
        if recs[-1]["diverged"]:
            self._roll_back()
            self.step_count = recs[-1]["step"]  # later steps ran on non-finite parameters: dropped
        elif update:
            torch._foreach_copy_(self._last_good, [p.detach() for p in self._params])
            self.optimizer.step()
        now = time.perf_counter()
        for rec, e in zip(recs, pend):
            rec["seconds"] = e[5] if len(e) > 5 else now - e[4]
            self._record(rec)
            for fn in self.callbacks:
                fn(self, rec)
        return recs

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
        """Run ``steps`` steps (or until ``stop()`` is true), reading losses back every
        ``readback_every`` steps and at the end; returns their records."""
        out = []
        for _ in range(steps):
            if stop is not None and stop():
                break
            out += self.advance()
        return out + self.flush()

    def evaluate(self, batch: Batch | None = None, batch_size: int = 256, track_best: bool = False) -> dict:
        """Loss and metric on held-out data: the task's validation set, or a fixed batch drawn
        from a generator seeded apart from the training stream (the same batch every call).
        ``track_best``: pass the result to ``note_validation`` (keep the best checkpoint)."""
        if batch is None:
            batch = self.validation_batch(batch_size)
        batch = batch.to(self.device)
        self.model.eval()
        with torch.no_grad():
            out = self.model(batch.x, batch.lengths)
            loss = float(self.task.loss(out, batch.y))
            metric = self.task.score(out, batch.y)
        res = {"step": self.step_count, "loss": loss, "metric": metric}
        if track_best:
            self.note_validation(res)
        return res

    # ---- the best checkpoint and early stopping ----------------------------------------------
    def note_validation(self, result: dict) -> bool:
        """Record a held-out result (``evaluate``'s dict, for the CURRENT weights); copies the
        weights when its metric beats the best so far. Returns True on improvement.

        An equal metric (accuracy on a small held-out set often ties) counts when the held-out
        loss is lower; a full tie keeps the earlier step; a non-finite metric never counts."""
        m = float(result["metric"])
        loss = float(result.get("loss", math.inf))
        loss = loss if math.isfinite(loss) else math.inf
        better = math.isfinite(m) and (
            self.best_metric is None
            or (m > self.best_metric if self.task.higher_is_better else m < self.best_metric)
            or (m == self.best_metric and loss < self._best_loss))
        if better:
            self.best_metric, self.best_step = m, int(result.get("step", self.step_count))
            self._best_loss = loss
            self._best_state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
            self._since_best = 0
        else:
            self._since_best += 1
        return better

    @property
    def should_stop(self) -> bool:
        """True when ``patience`` is set and that many tracked evaluations brought no improvement."""
        return self.patience is not None and self.best_step is not None and self._since_best >= self.patience

    def best_state_dict(self) -> dict | None:
        """The model's weights (CPU tensors, a copy) at ``best_step``; None before any tracked evaluation."""
        if self._best_state is None:
            return None
        return {k: v.clone() for k, v in self._best_state.items()}

    def restore_best(self) -> bool:
        """Load the best checkpoint's weights into the model (the optimiser and data stream are
        left as they are). Returns False, changing nothing, when there is none."""
        if self._best_state is None:
            return False
        self.model.load_state_dict(self._best_state)
        torch._foreach_copy_(self._last_good, [p.detach() for p in self._params])
        return True

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
        """Everything needed to continue the run exactly: model, optimiser, data stream, history
        (pending steps are read back first)."""
        self.flush()
        return {
            "model": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "step": self.step_count,
            "history": list(self.history),
            "diverged": self.diverged,
            "config": dict(self.config.__dict__),
            "best": {"step": self.best_step, "metric": self.best_metric, "since": self._since_best,
                     "loss": self._best_loss, "model": self.best_state_dict()},
        }

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.config = TrainConfig(**state["config"])
        self.optimizer = self._make_optimizer()
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.step_count = int(state["step"])
        self._pending = []
        self.history = list(state["history"])
        self.diverged = bool(state["diverged"])
        torch._foreach_copy_(self._last_good, [p.detach() for p in self._params])
        best = state.get("best") or {}  # runs saved before the best checkpoint existed have none
        self.best_step, self.best_metric = best.get("step"), best.get("metric")
        self._since_best = int(best.get("since", 0))
        self._best_loss = float(best.get("loss", math.inf))
        self._best_state = best.get("model")


# output shape of each head, for (B, T) inputs: "BO" (one output), "BTO" (per step), "BSO" (out_steps)
_HEAD_SHAPES = {"per_step": "BTO", "last": "BO", "attention": "BO", "encoder_decoder": "BSO"}


def check_fits(model: nn.Module, task: Task) -> None:
    """Raise ValueError when ``model`` cannot be trained on ``task``: wrong input or output size,
    or a head whose output does not have the targets' shape (checked on a 2-sequence batch drawn
    from a generator of its own, so the training stream is untouched)."""
    cfg = getattr(model, "config", None)
    name = f"the task {task.name!r} ({task.io})"
    if cfg is not None and hasattr(cfg, "head"):
        if cfg.input_size != task.input_size:
            raise ValueError(f"the model reads {cfg.input_size} input features per step but {name} "
                             f"gives {task.input_size}; build it with input_size={task.input_size}")
        if cfg.output_size != task.output_size:
            what = "classes" if task.loss_kind == "cross_entropy" else "outputs"
            raise ValueError(f"the model has {cfg.output_size} outputs but {name} has {task.output_size} "
                             f"{what}; build it with output_size={task.output_size}")
        want = _HEAD_SHAPES.get(task.head)
        if want is not None and _HEAD_SHAPES.get(cfg.head) != want:
            fits = [h for h, s in _HEAD_SHAPES.items() if s == want]
            raise ValueError(f"a {cfg.head!r} head does not fit {name}: it needs one of {fits} "
                             f"(the task's own is {task.head!r})")
        if want == "BSO" and cfg.out_steps is not None and task.out_steps is not None \
                and cfg.out_steps != task.out_steps:
            raise ValueError(f"the model emits {cfg.out_steps} steps but {name} expects {task.out_steps}; "
                             f"build it with out_steps={task.out_steps}")
    batch = task.sample(2, torch.Generator().manual_seed(0))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            dev = next(model.parameters()).device
            out = model(batch.x.to(dev), None if batch.lengths is None else batch.lengths.to(dev))
    finally:
        model.train(was_training)
    y = batch.y
    ok = (tuple(out.shape[:-1]) == tuple(y.shape) and out.shape[-1] == task.output_size
          if task.loss_kind == "cross_entropy" else tuple(out.shape) == tuple(y.shape))
    if not ok:
        raise ValueError(f"the model's output has shape {tuple(out.shape)} for a batch whose targets have "
                         f"shape {tuple(y.shape)}: it does not fit {name}; use the task's head "
                         f"{task.head!r}")
