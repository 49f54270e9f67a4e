"""Suggested settings against 1-NN Euclidean on UCR/UEA sets: runs the command line on each.

    python bench/ucr.py FOLDER [--budget-s 60] [--names GunPoint,BasicMotions] [--jobs 2] [--ext ts]

FOLDER holds one folder per dataset, <Name>/<Name>_TRAIN.<ext> and <Name>/<Name>_TEST.<ext> (the
archive's layout; nothing is bundled with the repository). For each set it runs
``python -m core.train --data TRAIN --test TEST --settings suggested --budget-s S --threads 1 --json``
in its own process (``--jobs`` at once, one thread each; the budget is CPU time, so a busy machine
stretches the wall time but not the training), reads the last line, and prints a table: shape,
1-NN-ED and constant accuracy on the test file, the suggested settings' test accuracy (best
checkpoint on a validation split of the training file), and the seconds.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_one(folder: Path, name: str, ext: str, budget: float, seed: int) -> dict:
    cmd = [sys.executable, "-m", "core.train", "--data", str(folder / name / f"{name}_TRAIN.{ext}"),
           "--test", str(folder / name / f"{name}_TEST.{ext}"), "--settings", "suggested", "--budget-s",
           str(budget), "--threads", "1", "--seed", str(seed), "--json"]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        return {"name": name, "error": (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]}
    return {"name": name, **json.loads(p.stdout.strip().splitlines()[-1])}


def shape(r: dict) -> str:
    d = r["dataset"]
    length = f"{d['min_length']}" if d["min_length"] == d["max_length"] else f"{d['min_length']}-{d['max_length']}"
    return f"{d['n_sequences']} x {length} x {d['channels']}, {d['classes']} classes"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--budget-s", type=float, default=60.0)
    ap.add_argument("--names", default=None, help="comma-separated (default: every folder with a _TRAIN file)")
    ap.add_argument("--ext", default="ts")
    ap.add_argument("--jobs", type=int, default=1, help="sets trained at once (one CPU thread each)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    names = a.names.split(",") if a.names else sorted(
        p.name for p in a.folder.iterdir() if (p / f"{p.name}_TRAIN.{a.ext}").is_file())
    with ThreadPoolExecutor(max(1, a.jobs)) as pool:
        rows = list(pool.map(lambda n: run_one(a.folder, n, a.ext, a.budget_s, a.seed), names))
    print(f"| dataset | train shape (N x T x F) | test N | 1-NN-ED | constant | suggested | best step / steps "
          f"| CPU s | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    wins = 0
    for r in rows:
        if "error" in r:
            print(f"| {r['name']} | error: {r['error']} | | | | | | | |")
            continue
        b = r["baselines"]
        win = r["test_metric"] > b["1nn_euclidean"]
        wins += win
        n_test = r["dataset"]["n_held_out"]
        print(f"| {r['name']} | {shape(r)} | {n_test} | {b['1nn_euclidean']:.3f} | {b['constant']:.3f} | "
              f"**{r['test_metric']:.3f}**{' >' if win else ''} | {r['best_step']} / {r['steps']} | "
              f"{r['cpu_seconds']:.0f} | {r['seconds']:.0f} |")
    print(f"\nsuggested settings beat 1-NN-ED on {wins} of {len(rows)} sets "
          f"(budget {a.budget_s:g} s of one CPU thread each, seed {a.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
