"""Report benchmark: size and build time of the HTML report of a 1,000-step Training-lab run.

    python bench/report.py [--steps 1000] [--probe-every 100] [--lang en] [--json]

Trains the Training lab's default run (sine, T = 50, LSTM, H = 32) through
``explorer.jobs.training_job.TrainingJob.run_sync`` (the page's path: probes every ``--probe-every`` steps and
at the clock's cadence, PROBE_SECONDS), then builds the report of that run in each language and of
a run probed ten times as often (more frames: the replays thin them to MAX_FRAMES). Prints the
build time (plotly.js is compressed once per process, before: timed on its own) and the size.
Budgets (DESIGN.md, issue 19): build < 3 s, file < 5 MB. ``--json``: the last line is one JSON
object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from explorer.figures.replay import MAX_FRAMES  # noqa: E402
from explorer.jobs.training_job import TrainingJob  # noqa: E402
from explorer.report.build import build_report  # noqa: E402
from explorer.report.document import plotly_js_payload  # noqa: E402
from explorer.report.record import from_jobs  # noqa: E402
from explorer.jobs.runs import RunSettings, build_trainer  # noqa: E402

BUILD_BUDGET_S = 3.0
SIZE_BUDGET = 5 * 10**6  # bytes


def run(steps: int, probe_every: int) -> tuple[TrainingJob, dict]:
    s = RunSettings("sine", 50, "lstm", 32, 1, "tanh", False, 0.01, 32, "adam", 1.0, 0, steps, probe_every, "cpu")
    # probe_min_seconds=0: the dense run really probes every `probe_every` steps (the page's clock
    # would allow at most ~3 probes a second, and this run is fast)
    job = TrainingJob(build_trainer(s), steps, probe_every=probe_every, probe_min_seconds=0.0)
    job.run_sync(steps)
    return job, asdict(s)


def measure(job: TrainingJob, settings: dict, lang: str) -> dict:
    rec = from_jobs("training_lab", {"lab": job}, settings, query={})
    t0 = time.perf_counter()
    doc = build_report(rec, lang)
    return {"build_s": time.perf_counter() - t0, "bytes": len(doc.encode("utf-8")),
            "probes": len(job.snapshot().state_history)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--probe-every", type=int, default=100, help="the Training lab's default: 100")
    p.add_argument("--lang", default="en", choices=("en", "ko"))
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    plotly_js_payload()
    gzip_s = time.perf_counter() - t0
    print(f"plotly.js compressed once per process: {len(plotly_js_payload()) / 1e6:.2f} MB base64 in {gzip_s:.2f} s")
    rows = {}
    for name, every in (("default", a.probe_every), ("dense", max(1, a.probe_every // 10))):
        job, settings = run(a.steps, every)
        for lang in dict.fromkeys((a.lang, "ko" if a.lang == "en" else "en")):
            m = measure(job, settings, lang)
            rows[f"{name}_{lang}"] = m
            ok = m["build_s"] < BUILD_BUDGET_S and m["bytes"] < SIZE_BUDGET
            print(f"{a.steps} steps, probe every {every:4d} ({m['probes']:3d} probes, replays <= {MAX_FRAMES} frames), "
                  f"{lang}: build {m['build_s']:.2f} s, file {m['bytes'] / 1e6:.2f} MB  "
                  f"[{'ok' if ok else 'OVER BUDGET'}: < {BUILD_BUDGET_S:g} s, < {SIZE_BUDGET / 1e6:g} MB]")
    worst_build = max(m["build_s"] for m in rows.values())
    worst_size = max(m["bytes"] for m in rows.values())
    passed = worst_build < BUILD_BUDGET_S and worst_size < SIZE_BUDGET
    if a.json:
        print(json.dumps({"steps": a.steps, "probe_every": a.probe_every, "gzip_s": round(gzip_s, 3),
                          "runs": {k: {"build_s": round(v["build_s"], 3), "bytes": v["bytes"], "probes": v["probes"]}
                                   for k, v in rows.items()},
                          "max_build_s": round(worst_build, 3), "max_bytes": worst_size, "passed": passed}))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
