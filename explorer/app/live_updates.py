"""Live charts send only what changed: the server half (what each chart last sent, per session);
the browser half is ``applyPatch`` and ``offer`` in explorer/static/live_chart.js.

A full script run (page load, widget change) sends each live chart's whole figure; a timed
fragment's rerun, or the session's stream (``explorer.app.live_feed``), sends a patch against the
figures that chart last sent (``explorer.figures.live_patch``): a growing curve its new points, a
probe chart its arrays. Every message carries a revision, a patch the revisions it applies to; a
browser whose chart holds another one (it missed a message, or was mounted anew) does not guess:
it asks for the whole figure (the component's ``resync`` trigger), and the server forgets what it
sent, so the message that follows brings it.
"""
from __future__ import annotations

from streamlit.runtime.scriptrunner import get_script_run_ctx

from ..figures.live import figure_parts
from ..figures.live_patch import live_json, patch_from_any

BASES = 3  # a patch applies to any of the chart's last BASES revisions (a browser may skip a message)


class _Sent:
    """What one chart last sent: its revision, figure dict, the figure object it came from (a
    cached figure sent again costs nothing), the message itself, and the (revision, figure dict)
    of the last ``BASES`` messages (what a browser may hold)."""

    __slots__ = ("rev", "parts", "fig", "data", "history")

    def __init__(self, rev: int, parts: dict, fig, data: dict, history: list):
        self.rev, self.parts, self.fig, self.data, self.history = rev, parts, fig, data, history


def fragment_rerun() -> bool:
    """Is this script run a timed fragment's (or a widget's in a fragment), not the whole page's?"""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def next_message(sent_all: dict, key: str, fig, partial: bool) -> dict | None:
    """The next message for live chart ``key`` showing ``fig``: {"spec": JSON text} (the whole
    figure) or {"patch": JSON text} (what changed since the chart's last message); None when
    nothing changed since then. Records it in ``sent_all`` (chart key -> what it last sent; the
    caller holds the lock that guards it).

    Args:
        sent_all: one session's record of what its charts last sent (``explorer.app.live_feed``).
        partial: a patch may be sent (a timed refresh); False: the whole figure (a full script run).
    """
    last = sent_all.get(key)
    partial = partial and last is not None and last.parts is not None
    if partial and fig is last.fig:  # the same (cached) figure: nothing new
        return None
    parts = figure_parts(fig)
    rev = 1 if last is None else last.rev + 1
    # Kept across whole figures too: a script run's whole figure and the stream's next patch
    # travel on two channels, and the patch may come first.
    history = last.history if last is not None else []
    bases = history
    patch = patch_from_any([p for _, p in bases], parts) if partial else {"full": True}
    if partial and patch is not None and "full" in patch and len(history) > 1:
        bases = history[-1:]  # one that older figures cannot take: for the newest (the others ask)
        patch = patch_from_any([p for _, p in bases], parts)
    if patch is None:  # nothing changed (partial: ``last`` holds a figure)
        last.fig = fig
        return None
    if "full" in patch:
        data = {"spec": live_json({**parts, "rev": rev})}
    else:
        data = {"patch": live_json({**patch, "rev": rev, "bases": [r for r, _ in bases]})}
    sent_all[key] = _Sent(rev, parts, fig, data, (history + [(rev, parts)])[-BASES:])
    return data


def chart_data(fig, key: str, sent_all: dict) -> dict:
    """The component data for live chart ``key`` showing ``fig`` in this script run: the whole
    figure on a full run, what changed on a timed fragment's rerun (the message sent last when
    nothing did: the element must be drawn again, and the same data cost the browser nothing)."""
    data = next_message(sent_all, key, fig, partial=fragment_rerun())
    return data if data is not None else sent_all[key].data


def forget(sent_all: dict, key: str) -> None:
    """The browser asked for the whole figure (the ``resync`` trigger): send it with the next
    message (under the next revision: revisions only grow)."""
    last = sent_all.get(key)
    if last is not None:
        last.parts = last.fig = None
