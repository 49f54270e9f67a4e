"""Apply suggested settings (``core.suggest``) to the Data page and the Training lab. No Streamlit
calls: the pages pass ``st.session_state`` (any mutable mapping) to ``apply_suggestion`` from a
button's on_click callback, which runs before the widgets are drawn, so their keys may be set.
"""
from __future__ import annotations

from core.suggest import Suggestion, data_shape, suggest_settings

from . import state
from .i18n import text
from .data_views import BATCH_CHOICES, HIDDEN_CHOICES, LR_CHOICES, prep_options, prepare
from .runs import UPLOAD_PREFIX
from .suggest_text import suggestion_lines

BUDGET_S = 60.0  # the training time the suggested steps are sized for (seconds of one CPU thread)
MAX_LAB_STEPS = 200_000  # the Training lab's steps control allows at most this many


def nearest(choices, value):
    """The element of ``choices`` closest to ``value`` (on a log scale: choices grow by factors)."""
    import math
    return min(choices, key=lambda c: abs(math.log(c) - math.log(value)))


def suggestion_for(entry: dict, budget_s: float = BUDGET_S) -> Suggestion:
    """The suggestion for the dataset of ``entry`` (a Data page entry)."""
    return suggest_settings(data_shape(entry["dataset"]), budget_s)


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
    s = suggestion_for(entry)
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
    lines = suggestion_lines(rec[1], lang)
    if rec[1].steps > MAX_LAB_STEPS:
        lines.append(text("suggest.capped", lang, most=f"{MAX_LAB_STEPS:,}"))
    return lines
