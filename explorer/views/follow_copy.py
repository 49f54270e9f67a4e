"""Class mode's "Take a copy": a follower's own run from the lecturer's. No Streamlit.

The copy is the run's settings and its parameters as they are now (not the optimiser's state: the
copy starts its own Adam or SGD from there), written as the Data page's model file and read back
through its import (``run_files.import_model_upload``), so the copy passes the same checks as an
uploaded model (sizes within the Training lab's limits, the task rebuilt, the memory budget) and
lands, paused, in the follower's Training lab, where it trains as any run does (subject to the
server's job limit).
"""
from __future__ import annotations

from dataclasses import fields, replace

from core.export import export_model

from ..jobs.run_files import import_model_upload, run_record
from ..jobs.runs import RunSettings


def copy_settings(job, current: RunSettings) -> RunSettings:
    """The lecturer's run as Training-lab settings: its task, model and optimiser as built, its
    step budget and probe cadence; the device stays the follower's (``current.device``)."""
    return run_record(job, replace(current, steps=max(10, int(job.target_steps)), probe_every=int(job.probe_every)))


def copy_bytes(job, current: RunSettings) -> bytes:
    """The model file of ``job``'s current parameters and settings (read between two steps)."""
    s = copy_settings(job, current)
    with job.locked():
        return export_model(job.trainer.model, job.trainer.task, {f.name: getattr(s, f.name) for f in fields(s)})


def take_copy(room, name: str, current: RunSettings, datasets: dict, board, limiter=None) -> tuple[dict, tuple]:
    """Copy the room's job ``name`` into ``board`` (the follower's) as its Training-lab run.

    Args:
        room: the ``explorer.jobs.rooms.Room`` followed.
        name: which of its jobs (the lab's "lab"; a comparison's "compare.lstm", ...).
        current: the follower's Training-lab settings (their device is kept).
        datasets: the follower's uploaded datasets (a run on uploaded data needs the same upload).
        board: the follower's ``JobBoard``; limiter: the server's ``JobLimiter``.

    Returns:
        (session updates, message) as ``import_model_upload``: the updates set the follower's lab
        to the copy's settings; the message is (level, catalogue key, values).
    """
    job = room.jobs().get(name) if name in room.job_names else None
    if job is None:
        return {}, ("error", "follow.copy_none", {})
    updates, msg = import_model_upload(copy_bytes(job, current), datasets, current, board, limiter)
    if msg[0] == "error":  # the same reasons as an import, said as a copy that failed
        msg = ("error", "follow.copy_error", msg[2])
    return updates, msg
