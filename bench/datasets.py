"""Parse and prepare time and peak memory of a 50 MB upload (the Data page's size limit).

    python bench/datasets.py [--mb 50] [--kinds series,wide,nn]

Writes the CSVs to a temporary directory, then for each: ``load_dataset`` (parse + checks) and
``dataset_task`` (split, standardisation, windows or padding) timed, then run again under
tracemalloc for the peak of Python/numpy allocations; the process's peak RSS is printed too.
"nn": the 1-NN Euclidean baseline of 1,000 test x 1,000 training sequences of length 500
(``core.baselines.classification_baselines``), seconds and peak traced MB (budget: < 2 s, < 500 MB).
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
from core.baselines import classification_baselines  # noqa: E402
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


def bench_nn(n_train: int = 1000, n_test: int = 1000, T: int = 500) -> None:
    """1-NN-ED of n_test x n_train sequences of length T: best of 3 runs, and its traced peak."""
    rng = np.random.default_rng(2)
    train = [rng.normal(size=(T, 1)).astype(np.float32) for _ in range(n_train)]
    test = [rng.normal(size=(T, 1)).astype(np.float32) for _ in range(n_test)]
    ytr, yte = rng.integers(0, 5, n_train), rng.integers(0, 5, n_test)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        classification_baselines(train, ytr, test, yte)
        times.append(time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    classification_baselines(train, ytr, test, yte)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"1-NN-ED {n_test} test x {n_train} train x {T} steps: {min(times):5.2f} s (best of 3, "
          f"{max(times):.2f} worst), peak traced {peak / 2**20:5.0f} MB (budget < 2 s, < 500 MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50.0)
    ap.add_argument("--kinds", default="series,wide,nn")
    a = ap.parse_args()
    writers = {"series": (write_series, dict(window=50)), "wide": (write_wide, {})}
    if "nn" in a.kinds.split(","):
        bench_nn()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in [k for k in a.kinds.split(",") if k != "nn"]:
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
