"""Fixed points of a network trained on the 3-bit flip-flop (Sussillo & Barak 2013).

Trains an LSTM (or GRU/RNN) on ``get_task("flipflop")``, then times ``find_fixed_points`` started
from visited states of a traced batch, with torch's default thread count and with one thread.
For each it prints the time, the number of starts, the distinct fixed points found, how many
are stable, and how many of the 2^3 output corners (sign patterns) are read out, within 0.3, from
a stable point. A working memory of 3 bits needs all 8.

    python bench/fixed_points.py [--kind lstm] [--hidden 64] [--steps 500] [--starts 256]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.analysis import find_fixed_points  # noqa: E402
from core.models import build_model  # noqa: E402
from core.tasks import get_task  # noqa: E402
from core.trace import trace  # noqa: E402
from core.trainer import Trainer  # noqa: E402


def corners_matched(model, fp, n_bits: int = 3, radius: float = 0.3) -> int:
    """How many of the 2^n_bits sign patterns a stable fixed point reads out within ``radius``."""
    W = model.readout.weight.detach().cpu().double().numpy()
    b = model.readout.bias.detach().cpu().double().numpy()
    ro = fp.hidden[fp.stable] @ W.T + b
    hits = 0
    for corner in itertools.product([-1.0, 1.0], repeat=n_bits):
        d = np.linalg.norm(ro - np.array(corner), axis=1)
        hits += bool(len(d)) and bool(d.min() < radius)
    return hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", default="lstm", choices=["rnn", "lstm", "gru"])
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--steps", type=int, default=500, help="training steps")
    ap.add_argument("--starts", type=int, default=256, help="fixed-point starts")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops train faster on one thread
    task = get_task("flipflop")
    model = build_model(args.kind, task.input_size, args.hidden, task.output_size, seed=args.seed)
    trainer = Trainer(model, task, lr=1e-2, batch_size=32, clip=1.0, device="cpu", seed=args.seed)
    t0 = time.perf_counter()
    trainer.train(args.steps)
    ev = trainer.evaluate()
    print(f"{args.kind.upper()} H={args.hidden}: {args.steps} training steps in "
          f"{time.perf_counter() - t0:.1f} s, validation MSE {ev['loss']:.2e} "
          f"(constant baseline {task.baseline_loss:.2f})")

    x, y = task.sample(64, torch.Generator().manual_seed(args.seed + 99))
    tr = trace(model, x, y, task)
    states = tr.hidden if tr.cell is None else np.concatenate([tr.hidden, tr.cell], -1)
    find_fixed_points(model, states=states, n_starts=8, steps=5)  # warm-up (torch.func tracing)

    print(f"{'threads':>8} {'time s':>7} {'starts':>6} {'found':>5} {'stable':>6} {'corners':>7} "
          f"{'converged':>9}")
    for threads in dict.fromkeys([default_threads, 1]):
        torch.set_num_threads(threads)
        t0 = time.perf_counter()
        fp = find_fixed_points(model, states=states, n_starts=args.starts, seed=args.seed)
        dt = time.perf_counter() - t0
        print(f"{threads:>8} {dt:>7.2f} {args.starts:>6} {len(fp):>5} {int(fp.stable.sum()):>6} "
              f"{corners_matched(model, fp):>5}/8 {fp.converged_fraction:>9.2f}")
    unstable = fp.n_unstable_dims[~fp.stable]
    print(f"unstable points: {len(unstable)}, unstable dimensions {sorted(unstable.tolist())}; "
          f"max q of kept points {fp.q.max() if len(fp) else float('nan'):.1e}")


if __name__ == "__main__":
    main()
