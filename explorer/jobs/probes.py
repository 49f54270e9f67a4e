"""A training job's probes (no Streamlit): what a probe sees (``measure``) and how the job keeps
it (``keep``: bounded histories). A worker process measures; it and the server both keep."""
from __future__ import annotations

import time

import numpy as np

from core import trace
from core.analysis import align_basis, fit_pca

from .snapshots import Probe

MAX_GRAD_ROWS = 300  # rows kept of the (training step x t) gradient-norm history
MAX_STATE_BYTES = 8 * 2**20  # hidden-state history kept for the scrub slider, per job


def measure(job) -> dict:
    """What a probe sees now (numpy arrays, picklable: a worker sends it to the server)."""
    tr = job.trainer
    ev = tr.evaluate(track_best=True)  # keeps a copy of the weights when held-out improves
    b = job._probe_batch
    t = trace(tr.model, b.x, b.y, job.task, lengths=b.lengths)
    step = tr.step_count
    test = getattr(job.task, "test", None)
    te = {"loss": np.nan, "metric": np.nan} if test is None else tr.evaluate(test)
    H = t.hidden.shape[-1]
    k = min(job.pca_dims, H, t.hidden.shape[0] * t.hidden.shape[1])
    basis = fit_pca(t.hidden.reshape(-1, H), k=k)
    if job._basis is not None and job._basis.components.shape == basis.components.shape:
        basis = align_basis(basis, job._basis)
    probe = Probe(step, ev["loss"], ev["metric"], t.hidden, t.grad_h_norm, t.output,
                  b.y.numpy(), b.x.numpy(), t.gates, t.cell, t.attention)
    return {"val": (step, ev["loss"], ev["metric"], te["loss"], te["metric"]), "basis": basis, "probe": probe,
            "grad_row": t.grad_h_norm.astype(np.float32), "hidden": t.hidden.astype(np.float32),
            "time": time.perf_counter()}


def keep(job, p: dict) -> None:
    """Keep a probe's results in the bounded histories (the worker and the server alike)."""
    step = p["val"][0]
    job._val.append(p["val"])
    job._grad_rows.append((step, p["grad_row"]))
    if len(job._grad_rows) > MAX_GRAD_ROWS:  # thin the older half, keep the recent detail
        half = len(job._grad_rows) // 2
        job._grad_rows = job._grad_rows[:half:2] + job._grad_rows[half:]
    job._basis = p["basis"]
    job._states.append((step, p["hidden"]))
    while sum(s.nbytes for _, s in job._states) > MAX_STATE_BYTES and len(job._states) > 2:
        del job._states[1:len(job._states) // 2:2]  # keep the first and the recent ones
    job._probe = p["probe"]
    job._last_probe_step = step
    job._last_probe_time = p["time"]
