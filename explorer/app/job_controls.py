"""One Train / Pause / Step / Reset row for every page that trains (Training lab, Comparison, Dynamics).

The pages differ only in what they build and what they forget; the rules are the same everywhere:
Train builds the runs when there are none or when the settings changed since they were built
(the "settings signature"), then starts them; Step does the same and takes one step; Pause and
Reset are greyed out without runs; a notice says when the runs on the page were built from other
settings than the widgets show now. A build error is shown on the page, never raised.
"""
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from explorer.app import i18n
from explorer.app.lang import t
from explorer.jobs import runtime


@dataclass(frozen=True)
class JobControls:
    """One page's control row. Button keys double as their text keys in the locale catalogues."""
    names: tuple[str, ...]  # job-board names of the runs the row drives (built, started, removed together)
    signature_key: str  # session-state key of the settings the runs were built with (None: no runs)
    train: str  # key of the Train button; "<key>_help" is its tooltip where the catalogue has one
    pause: str  # key of the Pause button
    reset: str  # key of the Reset button
    stale: str  # text key of the "settings changed" notice ({button}: the Train button's text)
    step: str | None = None  # key of the Step button (None: the page has none)
    widths: tuple[float, ...] | None = None  # column widths, one per button then the notice's


@dataclass
class JobRow:
    """What the row left on the board after this script run."""
    jobs: dict | None  # job name -> explorer.jobs.training_job.TrainingJob; None when there are no runs
    stale: bool  # the runs were built from other settings than the page's widgets show now


def _button(where, key: str, *, primary: bool = False, disabled: bool = False, icon: str) -> bool:
    help_key = f"{key}_help"  # every English key has its Korean twin (the catalogue test says so)
    return where.button(t(key), icon=icon, key=key, type="primary" if primary else "secondary",
                        disabled=disabled, use_container_width=True, help=t(help_key) if i18n.has(help_key) else None)


def job_row(c: JobControls, signature: object, build: Callable[[], dict], *,
            error: Callable[[Exception], str],
            prepare: Callable[[object], None] | None = None,
            on_new: Callable[[dict], None] | None = None,
            on_reset: Callable[[], None] | None = None) -> JobRow:
    """Draw the row and act on the button pressed.

    Args:
        c: the page's keys and texts.
        signature: the settings the widgets show now (compared with ``session_state[c.signature_key]``).
        build: makes the runs, name -> TrainingJob for every name in ``c.names``; may raise
            ValueError or RuntimeError (BudgetError is one), shown with ``error``.
        error: the message for a build error, in the session's language.
        prepare: applied to each run before it starts or steps (settings that may change live).
        on_new: called with the new runs once they are on the board (the page forgets old analyses).
        on_reset: called after Reset removed the runs.
    Returns:
        the runs on the board after the buttons acted, and whether they are stale.
    """
    ss = st.session_state
    board = runtime.session_jobs()
    jobs = {n: board.get(n) for n in c.names}
    jobs = jobs if all(j is not None for j in jobs.values()) else None
    n_buttons = 4 if c.step else 3
    # four buttons of 1.2 in 7: "Step once" whole at 1280 px with the sidebar open (1 of 7 cut it)
    cols = st.columns(list(c.widths) if c.widths else [1.2] * n_buttons + [7 - 1.2 * n_buttons])

    def run(action: str) -> dict | None:
        """Start or step the board's runs, built anew when there are none or they are stale.
        Returns the runs on the board afterwards (the old ones when building failed)."""
        current = jobs
        if current is None or ss[c.signature_key] != signature:
            try:
                new = build()
            except (ValueError, RuntimeError) as e:
                st.error(error(e))
                return current
            for name in c.names:
                board.put(name, new[name])
            ss[c.signature_key], current = signature, new
            if on_new is not None:
                on_new(new)
        for j in current.values():
            if prepare is not None:
                prepare(j)
            getattr(j, action)()
        return current

    if _button(cols[0], c.train, primary=True, icon=":material/play_arrow:"):
        jobs = run("start")
    drawn_without_runs = jobs is None  # how Pause (and Reset) are drawn: greyed out without runs
    if _button(cols[1], c.pause, disabled=drawn_without_runs, icon=":material/pause:") and jobs is not None:
        for j in jobs.values():
            j.pause()
    if c.step and _button(cols[2], c.step, icon=":material/skip_next:"):
        jobs = run("step_once")
    if _button(cols[n_buttons - 1], c.reset, disabled=jobs is None, icon=":material/restart_alt:") and jobs is not None:
        for name in c.names:
            board.remove(name)
        ss[c.signature_key], jobs = None, None
        if on_reset is not None:
            on_reset()
    if (jobs is None) != drawn_without_runs:
        # Step built the first runs, or Reset removed them, after Pause was drawn: draw the row again
        # so that Pause and Reset are greyed out exactly when there is nothing to pause or reset.
        st.rerun()
    stale = jobs is not None and ss[c.signature_key] != signature
    if stale:
        cols[n_buttons].info(t(c.stale, button=t(c.train)))
    return JobRow(jobs, stale)
