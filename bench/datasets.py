"""Parse and prepare time and peak memory of a 50 MB upload (the Data page's size limit).

    python bench/datasets.py [--mb 50] [--kinds series,wide]

Writes the CSVs to a temporary directory, then for each: ``load_dataset`` (parse + checks) and
``dataset_task`` (split, standardisation, windows or padding) timed, then run again under
tracemalloc for the peak of Python/numpy allocations; the process's peak RSS is printed too.
"""
from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.datasets import dataset_task, load_dataset  # noqa: E402


def write_series(path: Path, mb: float, channels: int = 8) -> None:
    """Rows are time steps: a date column and ``channels`` numeric columns, about ``mb`` MB."""
    rng = np.random.default_rng(0)
    row = 16 + channels * 7.6  # bytes per line, measured
    T = int(0.99 * mb * 2**20 / row)
    dates = np.arange("2000-01-01T00:00", T, dtype="datetime64[m]")[:T].astype(str)
    vals = np.round(rng.normal(size=(T, channels)).cumsum(0) * 0.01, 4)
    with open(path, "w") as f:
        f.write("time," + ",".join(f"ch{k}" for k in range(channels)) + "\n")
        for i in range(0, T, 50_000):
            block = vals[i:i + 50_000]
            lines = (d + "," + ",".join(map(str, r)) for d, r in zip(dates[i:i + 50_000], block.tolist()))
            f.write("\n".join(lines) + "\n")


def write_wide(path: Path, mb: float, T: int = 500) -> None:
    """UCR layout: label, then T values per row, tab-separated, about ``mb`` MB."""
    rng = np.random.default_rng(1)
    n = int(0.99 * mb * 2**20 / (T * 7.4))  # about 7.4 bytes per value, measured; stay under the limit
    with open(path, "w") as f:
        for i in range(0, n, 2000):
            k = min(2000, n - i)
            y = rng.integers(1, 6, k)
            X = np.round(rng.normal(size=(k, T)), 4)
            f.write("\n".join(f"{c}\t" + "\t".join(map(str, r)) for c, r in zip(y, X.tolist())) + "\n")


def run(path: Path, opts: dict) -> tuple:
    t0 = time.perf_counter()
    ds = load_dataset(path)
    t1 = time.perf_counter()
    task = dataset_task(ds, **opts)
    t2 = time.perf_counter()
    return ds, task, t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50.0)
    ap.add_argument("--kinds", default="series,wide")
    a = ap.parse_args()
    writers = {"series": (write_series, dict(window=50)), "wide": (write_wide, {})}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in a.kinds.split(","):
            write, opts = writers[kind]
            path = Path(tmp) / f"{kind}.csv"
            write(path, a.mb)
            size = os.path.getsize(path) / 2**20
            gc.collect()
            ds, task, parse_s, prep_s = run(path, opts)
            shape = f"{len(ds.sequences)} x {int(ds.lengths.max())} x {len(ds.channels)}"
            del ds, task
            gc.collect()
            tracemalloc.start()
            run(path, opts)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            print(f"{kind:6s} {size:5.1f} MB file ({shape}): parse {parse_s:5.2f} s, prepare {prep_s:5.2f} s, "
                  f"peak traced {peak / 2**20:6.0f} MB ({peak / 2**20 / size:4.1f}x the file), "
                  f"process peak RSS so far {rss:6.0f} MB")


if __name__ == "__main__":
    main()
