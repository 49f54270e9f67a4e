"""Apply suggested settings (``core.suggest``) to the Data page and the Training lab. No Streamlit
calls: the pages pass ``st.session_state`` (any mutable mapping) to ``apply_suggestion`` from a
button's on_click callback, which runs before the widgets are drawn, so their keys may be set.
"""
from __future__ import annotations

import dataclasses
import time

import torch

from core.suggest import Reason, Suggestion, data_shape, suggest_settings

from ..app import state
from ..app.i18n import text
from .data import prep_options, prepare
from ..jobs.runs import BATCH_CHOICES, HIDDEN_CHOICES, LR_CHOICES
from ..jobs.runs import UPLOAD_PREFIX
from .data_suggest_text import suggestion_lines

BUDGET_S = 60.0  # the training time the suggested steps are sized for (seconds of one CPU thread)
MAX_LAB_STEPS = 200_000  # the Training lab's steps control allows at most this many
MEASURE_STEPS = 8  # training steps timed to size the suggested number of steps on this server
MEASURE_MAX_S = 2.0  # ... or fewer, when they take longer than this


def nearest(choices, value):
    """The element of ``choices`` closest to ``value`` (on a log scale: choices grow by factors)."""
    import math
    return min(choices, key=lambda c: abs(math.log(c) - math.log(value)))


def measure_rate(entry: dict, s: Suggestion, device: str = "auto") -> float | None:
    """Steps per second of ``s``'s model on ``entry``'s task, timed here (a few steps, at most
    ``MEASURE_MAX_S`` s): this server's speed, not an estimate. None when the task cannot be built."""
    from core import Trainer, build_model
    from core.datasets import dataset_task
    try:
        task = dataset_task(entry["dataset"], test=entry.get("test"), **s.task_options())
    except ValueError:
        return None
    model = build_model(s.cell, task.input_size, s.hidden_size, task.output_size, head=task.head,
                        out_steps=task.out_steps, seed=0, **s.model_options())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the lab's jobs train (explorer.jobs.runtime): two threads on a busy CPU fight
    try:
        tr = Trainer(model, task, **s.trainer_options(), device=device, seed=0)
        tr.step()  # the first step pays for allocations
        times, t_end = [], time.perf_counter() + MEASURE_MAX_S
        while len(times) < MEASURE_STEPS and (len(times) < 3 or time.perf_counter() < t_end):
            t0 = time.perf_counter()
            tr.step()
            times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    # the median step: a step slowed by another thread taking the CPU does not set the rate
    return 1.0 / max(sorted(times)[len(times) // 2], 1e-6)


def suggestion_for(entry: dict, budget_s: float = BUDGET_S, device: str = "auto") -> Suggestion:
    """The suggestion for the dataset of ``entry`` (a Data page entry), its steps sized at the
    rate measured on this server, and its values snapped to the Training lab's controls (the
    reasons then quote the values the lab shows)."""
    shape = data_shape(entry["dataset"])
    s = suggest_settings(shape, budget_s)
    rate = measure_rate(entry, s, device)
    if rate:
        s = suggest_settings(shape, budget_s, steps_per_s=rate)
    reasons = dict(s.reasons)
    batch = nearest(BATCH_CHOICES, s.batch_size)
    if batch != s.batch_size:
        reasons["batch_size"] = Reason(reasons["batch_size"].key, {**reasons["batch_size"].params, "batch": batch})
    return dataclasses.replace(s, batch_size=batch, hidden_size=nearest(HIDDEN_CHOICES, s.hidden_size),
                               lr=nearest(LR_CHOICES, s.lr), reasons=reasons)


def data_state(s: Suggestion) -> dict:
    """Session key -> value that makes the Data page's preparation follow ``s``."""
    return {state.DATA_STD: bool(s.standardize), state.DATA_VAL: float(s.val_fraction),
            state.DATA_MAX_STEPS: int(s.max_steps or 0)}


def lab_state(s: Suggestion, name: str) -> dict:
    """Session key -> value that makes the Training lab train on upload ``name`` with ``s``;
    values snapped to the lab's controls."""
    return {state.LAB_TASK: UPLOAD_PREFIX + name, state.LAB_KIND: s.cell,
            state.LAB_HIDDEN: nearest(HIDDEN_CHOICES, s.hidden_size), state.LAB_LAYERS: int(s.num_layers),
            state.LAB_BIDIR: bool(s.bidirectional), state.LAB_LR: nearest(LR_CHOICES, s.lr),
            state.LAB_BATCH: nearest(BATCH_CHOICES, s.batch_size), state.LAB_OPT: "adam",
            state.LAB_CLIP: float(s.clip), state.LAB_STEPS: int(min(MAX_LAB_STEPS, max(10, s.steps)))}


def apply_suggestion(ss, name: str) -> Suggestion | None:
    """Set the Data page's preparation and the Training lab's settings for dataset ``name`` to its
    suggestion, re-prepare its task with them (so the lab builds the suggested task), and record
    the suggestion for the pages to explain (``state.SUGGESTED``). None when ``name`` is not loaded.

    Args:
        ss: the session state (a mutable mapping of session keys).
        name: a key of ``ss[state.DATASETS]``.
    """
    entry = ss[state.DATASETS].get(name)
    if not isinstance(entry, dict):
        return None
    s = suggestion_for(entry, device=ss.get(state.DEVICE) or "auto")
    ss.update(data_state(s))
    ss.update(lab_state(s, name))
    try:
        prepare(entry, prep_options(lambda k: ss[k]))
    except ValueError:  # DatasetError: the Data page shows it with the other choices
        pass
    ss[state.SUGGESTED] = (name, s)
    return s


def applied_lines(ss, name: str, lang: str = "en") -> list[str]:
    """The reasons of the suggestion last applied to ``name`` ([] when none), in ``lang``."""
    rec = ss.get(state.SUGGESTED)
    if not rec or rec[0] != name:
        return []
    s = rec[1]  # with a test file too, the validation split picks the best step
    lines = suggestion_lines(s, lang)
    if s.steps > MAX_LAB_STEPS:
        lines.append(text("suggest.capped", lang, most=f"{MAX_LAB_STEPS:,}"))
    return lines
