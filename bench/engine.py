"""Engine benchmark: Trainer and trace against a bare PyTorch loop, in the same process.

    python bench/engine.py [--steps 150] [--rounds 3] [--threads 1] [--probe-every 50] [--big] [--varlen]
                           [--device all|cpu|cuda] [--json]

Prints, for rnn/lstm/gru at B=32, T=100, H=64 (sine forecasting, per-step head): steps/s of a
bare loop (fused module + Linear + Adam, written here), of ``Trainer``, of ``Trainer`` with a
``trace`` every N steps (the pages' default cadence), and the time of one trace; each as a ratio
to the bare loop. Budgets (DESIGN.md): Trainer with probes >= 0.9x bare; trace <= 25 ms on CPU.
When CUDA is available, the same table is printed for CUDA too, and ``--big`` adds
B=128 T=200 H=256. ``Trainer`` runs as the pages run it: ``advance()``, losses read back every
``readback_every`` steps and at each probe. The job column runs the Training lab's own job
(``TrainingJob`` in thread mode, as on CUDA) with its whole probe at its own cadence; budget >= 0.9x
too. ``--varlen`` adds, on each device, an uploaded-style
labelled dataset of variable lengths (T 20..100, many-to-one, packed sequences) against a bare
loop that packs as the PyTorch documentation shows. ``--json``: one last line with every ratio.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core import Trainer, build_model, get_task, trace  # noqa: E402
from core.datasets import SequenceDataset, dataset_task  # noqa: E402
from explorer.jobs.training_job import PROBE_EVERY, TrainingJob  # noqa: E402  (the Training lab's cadence)

def _bare_parts(kind: str, task, device, H: int):
    """(data generator, fused module, Linear readout, Adam) of a bare loop."""
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    rnn = cls(task.input_size, H, batch_first=True).to(device)
    head = nn.Linear(H, task.output_size).to(device)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
    return torch.Generator().manual_seed(0), rnn, head, opt


def bare_loop(kind: str, task, device, B: int, H: int):
    """The plainest loop: fused module, Linear readout, MSE, Adam. Returns run(steps) -> steps/s."""
    g, rnn, head, opt = _bare_parts(kind, task, device, H)

    def one():
        x, y = task.sample(B, g)
        x, y = x.to(device), y.to(device)
        out, _ = rnn(x)
        loss = nn.functional.mse_loss(head(out), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return _timed(one, device)


def bare_packed_loop(kind: str, task, device, B: int, H: int):
    """The plain loop for variable lengths: pack (lengths on the CPU, unsorted), fused module,
    Linear on the last state, cross-entropy, Adam. Returns run(steps) -> steps/s."""
    g, rnn, head, opt = _bare_parts(kind, task, device, H)

    def one():
        b = task.sample(B, g)
        x, y = b.x.to(device), b.y.to(device)
        packed = nn.utils.rnn.pack_padded_sequence(x, b.lengths, batch_first=True, enforce_sorted=False)
        _, hn = rnn(packed)
        h = hn[0] if isinstance(hn, tuple) else hn
        loss = nn.functional.cross_entropy(head(h[-1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return _timed(one, device)


def varlen_task(T: int = 100, n: int = 512):
    """A labelled dataset as an upload gives it: ``n`` sequences of 2 channels, lengths T/5..T."""
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(int(rng.integers(T // 5, T + 1)), 2)).astype(np.float32) for _ in range(n)]
    return dataset_task(SequenceDataset("labelled", seqs, labels=np.arange(n) % 3, classes=["a", "b", "c"],
                                        channels=["f0", "f1"], name="varlen"), max_steps=T)


def trainer_loop(kind: str, task, device, probe_every: int | None, B: int, H: int):
    """``Trainer.advance`` with (optionally) a readback and a ``trace`` of 8 held-out sequences
    every N steps, as a training job probes."""
    model = build_model(kind, task.input_size, H, task.output_size, head=task.head, seed=0)
    tr = Trainer(model, task, lr=1e-3, batch_size=B, device=device)
    probe = task.sample(8, torch.Generator().manual_seed(1))

    def one():
        tr.advance()
        if probe_every and tr.step_count % probe_every == 0:
            tr.flush()
            trace(tr.model, probe.x, probe.y, task, lengths=probe.lengths)
    return _timed(one, device, tr.flush)


def job_loop(kind: str, task, device, B: int, H: int):
    """The Training lab's job as a GPU runs it (thread mode: steps and probes in one thread), at
    its own probe cadence (every PROBE_EVERY steps, at most every PROBE_MIN_SECONDS, at least every
    PROBE_SECONDS) and with its whole probe: held-out evaluation (best checkpoint), a trace of
    the probe sequences, the PCA basis, the kept histories."""
    model = build_model(kind, task.input_size, H, task.output_size, head=task.head, seed=0)
    tr = Trainer(model, task, lr=1e-3, batch_size=B, device=device)
    job = TrainingJob(tr, 10**9, mode="thread")
    job._last_probe_time = time.perf_counter()

    def one():
        with job.locked():
            job._one_step()
    return _timed(one, device, tr.flush)


def _timed(one, device, finish=lambda: None):
    for _ in range(10):  # warm-up
        one()
    finish()

    def run(steps: int) -> float:
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            one()
        finish()  # the last readback is part of the work
        _sync(device)
        return steps / (time.perf_counter() - t0)
    return run


def trace_time(kind: str, task, device, B: int, H: int, repeats: int = 30) -> float:
    """Median ms of a full trace of one training batch (B, T)."""
    model = build_model(kind, task.input_size, H, task.output_size, head=task.head, seed=0).to(device)
    b = task.sample(B, torch.Generator().manual_seed(2))
    trace(model, b.x, b.y, task, lengths=b.lengths)
    times = []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        trace(model, b.x, b.y, task, lengths=b.lengths)
        _sync(device)
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times)


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def table(device: str, steps: int, probe_every: int, rounds: int = 3, B: int = 32, T: int = 100,
          H: int = 64, varlen: bool = False) -> list[dict]:
    """Each configuration runs ``steps`` steps ``rounds`` times, interleaved (so a burst of load
    from elsewhere hits all of them alike); the median rate is printed. Returns one row a cell."""
    task = varlen_task(T) if varlen else get_task("sine", seq_len=T)
    rows, bare_loop_of = [], bare_packed_loop if varlen else bare_loop
    print(f"\ndevice {device}, threads {torch.get_num_threads()}, B={B} T={T} H={H}, {steps} steps x {rounds}"
          f" rounds (median), probe every {probe_every} steps{', variable lengths (upload)' if varlen else ''}")
    print(f"{'cell':5} {'bare/s':>8} {'trainer/s':>10} {'ratio':>6} {'+probes/s':>10} {'ratio':>6}"
          f" {'job/s':>7} {'ratio':>6} {'trace ms':>9} {'budget':>7}")
    for kind in ("rnn", "lstm", "gru"):
        runs = {"bare": bare_loop_of(kind, task, device, B, H), "trainer": trainer_loop(kind, task, device, None, B, H),
                "probes": trainer_loop(kind, task, device, probe_every, B, H), "job": job_loop(kind, task, device, B, H)}
        rates = {k: [] for k in runs}
        for _ in range(rounds):
            for k, run in runs.items():
                rates[k].append(run(steps))
        bare, tr, pr, jb = (statistics.median(rates[k]) for k in ("bare", "trainer", "probes", "job"))
        ms = trace_time(kind, task, device, B, H)
        ok = "ok" if (tr / bare >= 0.95 and min(pr, jb) / bare >= 0.9
                      and (device != "cpu" or ms <= 25)) else "MISS"
        print(f"{kind:5} {bare:8.1f} {tr:10.1f} {tr / bare:6.2f} {pr:10.1f} {pr / bare:6.2f} {jb:7.1f} {jb / bare:6.2f}"
              f" {ms:9.1f} {ok:>7}")
        rows.append({"device": device, "cell": kind, "B": B, "T": T, "H": H, "varlen": varlen,
                     "bare_steps_per_s": round(bare, 1),
                     "trainer_ratio": round(tr / bare, 3), "probes_ratio": round(pr / bare, 3),
                     "job_ratio": round(jb / bare, 3), "trace_ms": round(ms, 2), "ok": ok == "ok"})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--probe-every", type=int, default=PROBE_EVERY)
    p.add_argument("--big", action="store_true", help="on CUDA, also B=128 T=200 H=256")
    p.add_argument("--json", action="store_true", help="end with one JSON line of all rows")
    p.add_argument("--varlen", action="store_true", help="also a variable-length (uploaded) dataset")
    p.add_argument("--device", default="all", choices=("all", "cpu", "cuda"),
                   help="all: the CPU, and CUDA when there is one (cuda: CUDA only, to spare a GPU machine's time)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: torch sees no CUDA device here")
    devices = {"cpu": ["cpu"], "cuda": ["cuda"]}.get(a.device, ["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    rows = []
    for dev in devices:
        rows += table(dev, a.steps, a.probe_every, a.rounds)
        if dev == "cuda" and a.big:
            rows += table(dev, a.steps, a.probe_every, a.rounds, B=128, T=200, H=256)
        if a.varlen:
            rows += table(dev, a.steps, a.probe_every, a.rounds, varlen=True)
    if a.json:
        print(json.dumps({"rows": rows, "ok": all(r["ok"] for r in rows)}))


if __name__ == "__main__":
    main()
