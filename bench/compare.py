"""Comparison-lab benchmark: the adding preset (T = 100) for the three cells, against a bare loop.

    python bench/compare.py [--steps N] [--preset adding_100] [--threads 1]

For each cell, the same number of steps three ways, in the same process:
- bare: a loop written here (the fused torch module + Linear on the last state, MSE, Adam,
  clip_grad_norm_), sampling the same task;
- job: ``explorer.jobs.training_job.TrainingJob.run_sync``, the page's path (Trainer + live probes at the page's
  cadence, explorer.views.comparison.PROBE_EVERY / PROBE_SECONDS: a held-out evaluation and a trace);
then the wall time of each and the ratio bare/job (1.0 = no overhead; DESIGN.md asks >= 0.9 for
training with the probes on). Default steps: the preset's whole budget (long on a slow CPU).
When CUDA is available the table is repeated on CUDA. The preset's pass/fail criteria are checked
on the job's models when the whole budget is run.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.compare import CELLS, PRESETS, build_trainers, criteria_results, evaluate  # noqa: E402
from explorer.views.comparison import PROBE_EVERY, PROBE_SECONDS  # noqa: E402
from explorer.jobs.training_job import TrainingJob  # noqa: E402


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bare(kind: str, preset, steps: int, device) -> float:
    """Seconds for ``steps`` steps of the plainest loop with the preset's settings."""
    task = preset.build_task()
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    g = torch.Generator().manual_seed(0)
    rnn = cls(task.input_size, preset.hidden, batch_first=True).to(device)
    head = nn.Linear(preset.hidden, task.output_size).to(device)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=preset.lr)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        x, y = task.sample(preset.batch_size, g)
        x, y = x.to(device), y.to(device)
        _, h = rnn(x)
        h = h[0] if isinstance(h, tuple) else h
        loss = nn.functional.mse_loss(head(h[-1]), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, preset.clip)
        opt.step()
    _sync(device)
    return time.perf_counter() - t0


def job(kind: str, preset, steps: int, device):
    """(seconds, trainer) for ``steps`` steps through TrainingJob.run_sync with live probes."""
    task = preset.build_task()
    tr = build_trainers(task, preset.settings(0, str(device)), (kind,))[kind]
    j = TrainingJob(tr, steps, probe_every=PROBE_EVERY, probe_seconds=PROBE_SECONDS, pca_dims=2)
    _sync(device)
    t0 = time.perf_counter()
    j.run_sync(steps)
    _sync(device)
    return time.perf_counter() - t0, tr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="adding_100", choices=sorted(PRESETS))
    ap.add_argument("--steps", type=int, default=None, help="steps per cell (default: the preset's)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (the server uses 1)")
    ap.add_argument("--repeats", type=int, default=1, help="alternate bare/job runs this often; keep the fastest")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    p = PRESETS[a.preset]
    steps = a.steps or p.steps
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"{p.title}: H={p.hidden}, batch {p.batch_size}, Adam lr {p.lr:g}, clip {p.clip:g}, {steps} steps per cell, "
          f"{a.threads} thread(s), best of {a.repeats}")
    for dev in devices:
        name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
        print(f"\n{name}")
        print(f"{'cell':6} {'bare s':>8} {'job s':>8} {'bare/job':>9} {'job steps/s':>12} {'final MSE':>10}")
        total_b = total_j = 0.0
        finals = {}
        for k in CELLS:
            bare(k, p, 5, dev)  # warm-up (allocations, cuDNN plans)
            tb = tj = float("inf")
            for _ in range(a.repeats):  # alternating, so load from other processes hits both alike
                tb = min(tb, bare(k, p, steps, dev))
                t, tr = job(k, p, steps, dev)
                tj = min(tj, t)
            finals[k] = evaluate(tr.model, tr.task)
            total_b += tb
            total_j += tj
            print(f"{k:6} {tb:8.2f} {tj:8.2f} {tb / tj:9.2f} {steps / tj:12.1f} {finals[k]['loss']:10.4f}", flush=True)
        print(f"{'all':6} {total_b:8.2f} {total_j:8.2f} {total_b / total_j:9.2f}")
        if steps >= p.steps:
            for c, v, ok in criteria_results(p, finals):
                print(f"  {'PASS' if ok else 'FAIL'}  {c.describe('mse')}: {v:.4f}")
        else:
            print(f"  (criteria not checked: {steps} < the preset's {p.steps} steps)")


if __name__ == "__main__":
    main()
