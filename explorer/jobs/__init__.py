"""Training jobs and what lives beside them: the ``TrainingJob`` thread (training_job.py), the server's
limiter and locks (concurrency.py), the boards of a session's jobs, snapshots, page settings to
trainers (runs.py), runs as files, the server's runtime resources and class mode's rooms."""

# ``from explorer.jobs import TrainingJob`` (the names the flat explorer/jobs.py offered) keeps working,
# loaded on first use: importing a light module of this package (rooms, concurrency) loads no torch.
_EXPORTS = {"TrainingJob": "training_job", "PROBE_EVERY": "training_job", "JobBoard": "job_board",
            "JobLimiter": "concurrency", "HandoverLock": "concurrency", "Snapshot": "snapshots",
            "Probe": "snapshots", "Progress": "snapshots"}


def __getattr__(name):
    if name in _EXPORTS:
        from importlib import import_module
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
