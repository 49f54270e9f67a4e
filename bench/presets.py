"""Every comparison preset for every seed it must pass for: preset x seed -> passed, values, seconds.

    nice -n 10 python bench/presets.py [--presets adding_50,temporal_order] [--seeds 0,1,2,3,4] [--json]

Runs ``core.compare.preset_report`` (the preset's whole budget for the cells its criteria name, the criteria
checked on the fixed evaluation batch, as the page's badges) sequentially in this one process on
one CPU thread: the budgets are stated for that. Prints one row per (preset, seed) as it finishes,
then a summary; with --json the last line is one JSON object {"rows": [...], "all_passed": bool}.
The same run for one cell of the grid: ``python -m core.compare --preset NAME --seed S --json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.compare import PRESETS, preset_report  # noqa: E402
from core.presets import PRESET_SEEDS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default=",".join(PRESETS), help="comma-separated preset names (default: all)")
    ap.add_argument("--seeds", default=",".join(map(str, PRESET_SEEDS)), help="comma-separated seeds (default 0-4)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1, as the server)")
    ap.add_argument("--json", action="store_true", help="end with one JSON line")
    a = ap.parse_args()
    names = [n for n in a.presets.split(",") if n]
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        ap.error(f"unknown presets {unknown}; choose from {list(PRESETS)}")
    seeds = [int(s) for s in a.seeds.split(",") if s]
    torch.set_num_threads(max(1, a.threads))
    t0 = time.perf_counter()
    rows = []
    print(f"{'preset':20} {'seed':>4} {'passed':>6} {'seconds':>8}  values")
    for name in names:
        for seed in seeds:
            rep = preset_report(PRESETS[name], seed)
            rows.append(rep)
            vals = ", ".join(f"{c['check']}: {c['value']:.4g}{'' if c['passed'] else ' (FAIL)'}" for c in rep["checks"])
            print(f"{name:20} {seed:>4} {'yes' if rep['passed'] else 'NO':>6} {rep['seconds']:8.1f}  {vals}", flush=True)
    ok = all(r["passed"] for r in rows)
    failed = [(r["preset"], r["seed"]) for r in rows if not r["passed"]]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} passed in {time.perf_counter() - t0:.0f} s"
          + (f"; failed: {failed}" if failed else ""))
    if a.json:
        print(json.dumps({"rows": rows, "all_passed": ok, "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
