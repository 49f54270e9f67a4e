"""Engine benchmark: Trainer and trace against a bare PyTorch loop, in the same process.

    python bench/engine.py [--steps 150] [--rounds 3] [--threads 1] [--probe-every 50]

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
from explorer.jobs import PROBE_EVERY  # noqa: E402  (the Training lab's default cadence)

B, T, H = 32, 100, 64


def bare_loop(kind: str, task, device):
    """The plainest loop: fused module, Linear readout, MSE, Adam. Returns run(steps) -> steps/s."""
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

    return _timed(one, device)


def trainer_loop(kind: str, task, device, probe_every: int | None):
    """``Trainer.step`` with (optionally) a ``trace`` of 8 held-out sequences every N steps."""
    model = build_model(kind, task.input_size, H, task.output_size, head=task.head, seed=0)
    tr = Trainer(model, task, lr=1e-3, batch_size=B, device=device)
    probe = task.sample(8, torch.Generator().manual_seed(1))
    if probe_every:
        tr.on_step(lambda trainer, rec: rec["step"] % probe_every == 0
                   and trace(trainer.model, probe.x, probe.y, task))
    return _timed(tr.step, device)


def _timed(one, device):
    for _ in range(10):  # warm-up
        one()

    def run(steps: int) -> float:
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            one()
        _sync(device)
        return steps / (time.perf_counter() - t0)
    return run


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


def table(device: str, steps: int, probe_every: int, rounds: int = 3) -> None:
    """Each configuration runs ``steps`` steps ``rounds`` times, interleaved (so a burst of load
    from elsewhere hits all of them alike); the median rate is printed."""
    task = get_task("sine", seq_len=T)
    print(f"\ndevice {device}, threads {torch.get_num_threads()}, B={B} T={T} H={H}, {steps} steps x {rounds}"
          f" rounds (median), probe every {probe_every} steps")
    print(f"{'cell':5} {'bare/s':>8} {'trainer/s':>10} {'ratio':>6} {'+probes/s':>10} {'ratio':>6}"
          f" {'trace ms':>9} {'budget':>7}")
    for kind in ("rnn", "lstm", "gru"):
        runs = {"bare": bare_loop(kind, task, device), "trainer": trainer_loop(kind, task, device, None),
                "probes": trainer_loop(kind, task, device, probe_every)}
        rates = {k: [] for k in runs}
        for _ in range(rounds):
            for k, run in runs.items():
                rates[k].append(run(steps))
        bare, tr, pr = (statistics.median(rates[k]) for k in ("bare", "trainer", "probes"))
        ms = trace_time(kind, task, device)
        ok = "ok" if pr / bare >= 0.9 and (device != "cpu" or ms <= 25) else "MISS"
        print(f"{kind:5} {bare:8.1f} {tr:10.1f} {tr / bare:6.2f} {pr:10.1f} {pr / bare:6.2f} {ms:9.1f} {ok:>7}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--probe-every", type=int, default=PROBE_EVERY)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    table("cpu", a.steps, a.probe_every, a.rounds)
    if torch.cuda.is_available():
        table("cuda", a.steps, a.probe_every, a.rounds)


if __name__ == "__main__":
    main()
