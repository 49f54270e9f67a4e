"""Engine benchmark: Trainer and trace against a bare PyTorch loop, in the same process.

    python bench/engine.py [--steps 200] [--threads 1] [--probe-every 50]

Prints, for rnn/lstm/gru at B=32, T=100, H=64 (sine forecasting, per-step head): steps/s of a
bare loop (fused module + Linear + Adam, written here), of ``Trainer``, of ``Trainer`` with a
``trace`` every N steps (the pages' default cadence), and the time of one trace; each as a ratio
to the bare loop. Budgets (DESIGN.md): Trainer with probes >= 0.9x bare; trace <= 25 ms on CPU.
When CUDA is available, the same table is printed for CUDA too.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core import Trainer, build_model, get_task, trace  # noqa: E402

B, T, H = 32, 100, 64
PROBE_EVERY = 50  # steps between live traces in the Training lab (explorer.jobs uses this default)


def bare_loop(kind: str, task, steps: int, device) -> float:
    """steps/s of the plainest loop: fused module, Linear readout, MSE, Adam."""
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    g = torch.Generator().manual_seed(0)
    rnn = cls(task.input_size, H, batch_first=True).to(device)
    head = nn.Linear(H, task.output_size).to(device)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)

    def one():
        x, y = task.sample(B, g)
        x, y = x.to(device), y.to(device)
        out, _ = rnn(x)
        loss = nn.functional.mse_loss(head(out), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    for _ in range(10):
        one()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        one()
    _sync(device)
    return steps / (time.perf_counter() - t0)


def trainer_rate(kind: str, task, steps: int, device, probe_every: int | None):
    model = build_model(kind, task.input_size, H, task.output_size, head=task.head, seed=0)
    tr = Trainer(model, task, lr=1e-3, batch_size=B, device=device)
    probe = task.sample(8, torch.Generator().manual_seed(1))
    trace_ms = []

    def maybe_trace(trainer, rec):
        if probe_every and rec["step"] % probe_every == 0:
            t0 = time.perf_counter()
            trace(trainer.model, probe.x, probe.y, task)
            trace_ms.append(1000 * (time.perf_counter() - t0))

    tr.on_step(maybe_trace)
    tr.train(10)
    _sync(device)
    t0 = time.perf_counter()
    tr.train(steps)
    _sync(device)
    return steps / (time.perf_counter() - t0), tr


def trace_time(kind: str, task, device, repeats: int = 30) -> float:
    """Median ms of a full trace of one training batch (B=32, T=100)."""
    model = build_model(kind, task.input_size, H, task.output_size, head=task.head, seed=0).to(device)
    x, y = task.sample(B, torch.Generator().manual_seed(2))
    trace(model, x, y, task)
    times = []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        trace(model, x, y, task)
        _sync(device)
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times)


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def table(device: str, steps: int, probe_every: int) -> None:
    task = get_task("sine", seq_len=T)
    print(f"\ndevice {device}, threads {torch.get_num_threads()}, B={B} T={T} H={H}, {steps} steps each,"
          f" probe every {probe_every} steps")
    print(f"{'cell':5} {'bare/s':>8} {'trainer/s':>10} {'ratio':>6} {'+probes/s':>10} {'ratio':>6}"
          f" {'trace ms':>9} {'budget':>7}")
    for kind in ("rnn", "lstm", "gru"):
        bare = bare_loop(kind, task, steps, device)
        tr, _ = trainer_rate(kind, task, steps, device, None)
        pr, _ = trainer_rate(kind, task, steps, device, probe_every)
        ms = trace_time(kind, task, device)
        ok = "ok" if pr / bare >= 0.9 and (device != "cpu" or ms <= 25) else "MISS"
        print(f"{kind:5} {bare:8.1f} {tr:10.1f} {tr / bare:6.2f} {pr:10.1f} {pr / bare:6.2f} {ms:9.1f} {ok:>7}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--probe-every", type=int, default=PROBE_EVERY)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    table("cpu", a.steps, a.probe_every)
    if torch.cuda.is_available():
        table("cuda", a.steps, a.probe_every)


if __name__ == "__main__":
    main()
