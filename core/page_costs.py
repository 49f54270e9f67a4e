"""What a page computation will cost, estimated from its settings before it runs.

A shared link can ask for any setting the widgets offer; the gradient-flow view at T=1000 and
H=512 for three cells took 38 s and 1.6 GB on a busy 2-core machine. Each estimate here is checked
before the computation starts, and an over-budget request is refused with a ``BudgetError`` saying
what to reduce. Time is estimated from the work (multiply-adds) at a conservative rate measured on
that machine; bytes from ``core.budget``'s trace estimate.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .budget import GATES, BudgetError, fmt_bytes, machine_budget, trace

# The trace's float64 BPTT on one busy core (measured: B=8, T=1000; H=512 took 3.8 s (RNN), 12 s (GRU),
# 22 s (LSTM); H=64 about 0.9 s each, mostly per-step overhead).
FLOW_RATE = 0.35e9  # multiply-adds of the recurrent matrices per second
FLOW_STEP_S = 0.8e-3  # seconds per time step and cell, whatever the size
PAGE_SECONDS = 10.0  # longest page computation allowed (RNNX_PAGE_S overrides)


@dataclass(frozen=True)
class Cost:
    """A page computation's estimated peak bytes and seconds."""

    bytes: int  # peak memory it needs (the largest single step, plus the results it keeps)
    seconds: float  # time on one busy core


def page_seconds(env=None) -> float:
    """The time budget of one page computation (``RNNX_PAGE_S``, default ``PAGE_SECONDS``)."""
    env = os.environ if env is None else env
    try:
        v = float(env.get("RNNX_PAGE_S", "") or PAGE_SECONDS)
    except ValueError:
        v = PAGE_SECONDS
    return v if v > 0 else PAGE_SECONDS


def flow_cost(kinds, seq_len: int, hidden: int, *, batch: int = 8, layers: int = 1, bidirectional: bool = False,
              input_size: int = 1, output_size: int = 1) -> Cost:
    """The gradient-flow measurement (``core.gradients.gradient_flow``) of each cell in ``kinds``,
    one after another: the largest trace, plus every cell's kept gate activations (float64)."""
    B, T, H = int(batch), int(seq_len), int(hidden)
    D, L = (2 if bidirectional else 1), int(layers)
    peak = kept = 0
    seconds = 0.0
    for k in kinds:
        peak = max(peak, trace(k, B, T, input_size, H, output_size, layers=L, bidirectional=bidirectional).total)
        kept += 8 * B * T * H * (GATES[k] if k != "rnn" else 0)
        seconds += T * L * D * FLOW_STEP_S + B * T * H * (H * GATES[k] + input_size) * L * D / FLOW_RATE
    return Cost(int(peak + kept), float(seconds))


def check_page(cost: Cost, *, key: str, limit_bytes: int | None = None, limit_s: float | None = None) -> None:
    """Raise ``BudgetError`` (catalogue ``budget.<key>``) when ``cost`` is over this server's page
    budget (``core.budget.Budget.page_bytes`` and ``page_seconds()``)."""
    limit_bytes = machine_budget().page_bytes if limit_bytes is None else int(limit_bytes)
    limit_s = page_seconds() if limit_s is None else float(limit_s)
    if cost.bytes <= limit_bytes and cost.seconds <= limit_s:
        return
    raise BudgetError(f"this view needs about {cost.seconds:.0f} s and {fmt_bytes(cost.bytes)}; this server allows "
                      f"{limit_s:.0f} s and {fmt_bytes(limit_bytes)} a view: {ADVICE[key]}", key,
                      seconds=f"{cost.seconds:.0f}", need=fmt_bytes(cost.bytes), limit_s=f"{limit_s:.0f}",
                      limit=fmt_bytes(limit_bytes))


ADVICE = {  # catalogue key (budget.<key>) -> what to reduce
    "page.flow": "reduce the sequence length, the hidden size or the number of cells",
    "page.lab_flow": "train a smaller model or a shorter sequence in the Training lab",
}
