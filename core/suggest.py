"""Suggested settings for an uploaded dataset, from its shape alone (a pure function).

``suggest_settings(data_shape(ds), budget_s=60)`` returns a frozen ``Suggestion``: the data
options (``task_options()`` for ``dataset_task``), the model (``model_options()`` for
``build_model``), the optimiser (``trainer_options()`` for ``Trainer``), the number of steps for
the time budget, and for every setting a ``Reason``: a catalogue key (``suggest.reason.<key>``
in explorer/locales; ``explorer.views.data_suggest_text`` renders it) and the values its sentence takes.
Core stays English: the reasons carry no text.

The rule (one rule for every dataset, tuned on public UCR/UEA sets of different shapes; see
README, "Your own data"):
- length: an RNN's gradient and its time per step both grow with T; sequences longer than
  ``MAX_STEPS`` are average-pooled by one integer factor to at most that many steps.
- per-channel standardisation (fitted on the training part) always: channels on different scales
  otherwise saturate the gates.
- a bidirectional GRU for classification (both ends of the sequence reach the readout; GRU: fewer
  parameters and ~25% faster than an LSTM at the same H, as accurate on these sizes); an LSTM with
  a unidirectional chain for forecasting (the future is not an input there).
- hidden size from the data: 64, 128 for many classes or channels.
- Adam at ``LR`` (1e-2 for H=64, 3e-3 for H=128), global-norm clipping at 1, batch min(32, N/4).
- steps: the budget times the steps/s (measured, or estimated from the cost per step).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

MAX_STEPS = 32  # the longest sequence the suggestion lets an RNN run over (after pooling)
LR = {64: 1e-2, 128: 3e-3}  # Adam's learning rate by hidden size (a wider layer takes smaller steps)
CLIP = 1.0  # global gradient-norm clip
# seconds per step of one CPU thread ~ STEP_OVERHEAD + B * T * D * gates * H * (H + F) / RATE, fitted
# to the UCR runs of the README (GunPoint 54, JapaneseVowels 29, OSULeaf 43 steps/s on a busy
# 2-core machine); used only when no measurement is given
STEP_OVERHEAD = 0.0145
RATE = 3e9


@dataclass(frozen=True)
class DataShape:
    """What the suggestion looks at."""

    kind: str  # "labelled", "series" or "text"
    n_sequences: int  # sequences (1 for a series)
    min_length: int  # shortest sequence (steps)
    max_length: int  # longest sequence (steps)
    channels: int  # features per step
    classes: int = 0  # classes (labelled data)

    @property
    def equal_length(self) -> bool:
        return self.min_length == self.max_length


def data_shape(ds) -> DataShape:
    """The ``DataShape`` of a ``SequenceDataset``."""
    L = ds.lengths
    return DataShape(ds.kind, len(L), int(L.min()), int(L.max()), len(ds.channels) if ds.kind != "text" else 1,
                     len(ds.classes) if ds.kind == "labelled" else 0)


@dataclass(frozen=True)
class Reason:
    """Why one setting was chosen: ``suggest.reason.<key>`` formatted with ``params``."""

    key: str  # catalogue key under suggest.reason
    params: dict = field(default_factory=dict)  # the values of its placeholders


@dataclass(frozen=True)
class Suggestion:
    """Suggested settings and why. Sizes are for ``build_model``, options for ``dataset_task``."""

    max_steps: int | None  # dataset_task: pool sequences to at most this many steps (None: as they are)
    pool: int  # the pooling factor that gives (1: none)
    standardize: bool  # dataset_task: per-channel standardisation on the training part
    val_fraction: float  # dataset_task: validation split carved from the training data (best checkpoint)
    cell: str  # "rnn", "lstm" or "gru"
    hidden_size: int  # H
    num_layers: int  # stacked layers
    bidirectional: bool  # a backward chain too
    lr: float  # Adam's learning rate
    batch_size: int  # sequences per step
    clip: float  # global gradient-norm clip
    steps: int  # training steps that fit the budget
    budget_s: float  # the time budget the steps were sized for (seconds of one CPU thread)
    steps_per_s: float  # the rate used (measured or estimated)
    reasons: dict = field(default_factory=dict)  # setting name -> Reason

    def task_options(self) -> dict:
        """Keyword arguments for ``dataset_task``."""
        out = {"standardize": self.standardize, "val_fraction": self.val_fraction}
        if self.max_steps is not None:
            out["max_steps"] = self.max_steps
        return out

    def model_options(self) -> dict:
        """``build_model(cell, input_size, hidden_size, output_size, **model_options())`` (head: the task's)."""
        return {"num_layers": self.num_layers, "bidirectional": self.bidirectional}

    def trainer_options(self) -> dict:
        """Keyword arguments for ``Trainer``."""
        return {"lr": self.lr, "batch_size": self.batch_size, "optimizer": "adam", "clip": self.clip}

    def as_dict(self) -> dict:
        """JSON-ready: every setting, and each reason as {"key", "params"}."""
        d = asdict(self)
        d["reasons"] = {k: {"key": r.key, "params": dict(r.params)} for k, r in self.reasons.items()}
        return d


def estimate_steps_per_s(cell: str, hidden: int, steps: int, batch: int, bidirectional: bool,
                         channels: int = 1) -> float:
    """A rough steps/s of one CPU thread for forward + backward + Adam (see ``RATE``)."""
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    work = batch * steps * (2 if bidirectional else 1) * gates * hidden * (hidden + channels)
    return 1.0 / (STEP_OVERHEAD + work / RATE)


def suggest_settings(shape: DataShape, budget_s: float = 60.0, steps_per_s: float | None = None) -> Suggestion:
    """Settings for ``shape`` that train within ``budget_s`` seconds of one CPU thread.

    Args:
        shape: ``data_shape(ds)``.
        budget_s: training time to plan for (seconds).
        steps_per_s: a measured rate for these settings (None: estimated); see
            ``core.train_data.measure_steps_per_s``.
    Returns:
        a ``Suggestion``; ``reasons`` names every setting.
    """
    r: dict[str, Reason] = {}
    classify = shape.kind == "labelled"
    if shape.kind == "series":
        max_steps, pool = None, 1  # forecasting reads a window; its length is the window option
        r["max_steps"] = Reason("length_window", {"length": shape.max_length})
        T = min(shape.max_length, 50)
    elif shape.max_length > MAX_STEPS:
        pool = math.ceil(shape.max_length / MAX_STEPS)
        max_steps = MAX_STEPS
        T = math.ceil(shape.max_length / pool)
        r["max_steps"] = Reason("length_pool", {"length": shape.max_length, "pool": pool, "steps": T})
    else:
        max_steps, pool, T = None, 1, shape.max_length
        r["max_steps"] = Reason("length_keep", {"length": shape.max_length, "most": MAX_STEPS})
    r["standardize"] = Reason("standardize", {"channels": shape.channels})
    cell = "gru" if classify else "lstm"
    r["cell"] = Reason("cell_classify" if classify else "cell_forecast", {})
    bidirectional = classify
    r["bidirectional"] = Reason("bidirectional_yes" if classify else "bidirectional_no", {})
    hidden = 128 if (shape.classes > 8 or shape.channels > 8) else 64
    r["hidden_size"] = Reason("hidden_large" if hidden == 128 else "hidden_small",
                              {"hidden": hidden, "classes": shape.classes, "channels": shape.channels})
    n = shape.n_sequences
    val_fraction = 0.2
    n_train = max(1, n - int(np.floor(val_fraction * n + 0.5))) if classify else n
    batch = int(min(32, max(4, n_train // 4))) if classify else 32
    r["batch_size"] = Reason("batch", {"batch": batch, "n": n_train})
    r["val_fraction"] = Reason("val_fraction", {"percent": round(100 * val_fraction)})
    lr = LR[hidden]
    r["lr"] = Reason("lr", {"lr": lr, "hidden": hidden})
    r["clip"] = Reason("clip", {"clip": CLIP})
    rate = steps_per_s if steps_per_s else estimate_steps_per_s(cell, hidden, T, batch, bidirectional, shape.channels)
    steps = max(100, int(budget_s * rate))
    r["steps"] = Reason("steps_measured" if steps_per_s else "steps_estimated",
                        {"steps": steps, "budget": round(float(budget_s)), "rate": round(float(rate), 1)})
    return Suggestion(max_steps, pool, True, val_fraction, cell, hidden, 1, bidirectional, lr, batch, CLIP,
                      steps, float(budget_s), float(rate), r)
